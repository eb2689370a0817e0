#!/usr/bin/env python3
"""`mlguard encrypt` / `mlguard decrypt` throughput on a 1 GiB file, against raw
AES-256-GCM on one core measured in the same run.

Runs, in one invocation:
  1. target/release/envelope_throughput: raw AES-256-GCM (one core, in place, the
     same frame size) and the envelope format memory-to-memory;
  2. a real `mlguard serve --http` and the real CLI on a 1 GiB file in /dev/shm
     (tmpfs: the page cache, no disk), to /dev/null and to a file in /dev/shm.
Each timing is the best of --rounds runs; GB/s is 10^9 bytes per second.

Usage: python3 bench/envelope.py [--mib 1024] [--rounds 3]
Needs: cargo build --release -p mlguard -p mlguard-bench
Prints a Markdown table for docs/benchmarks.md.
"""

import argparse
import json
import pathlib
import shutil
import subprocess
import tempfile
import time

from common import TARGET, Mlguard

def best_of(rounds, argv, env, fresh=None):
    """Best wall time of `rounds` runs; `fresh` (a path) is removed before each."""
    best = float("inf")
    for _ in range(rounds):
        if fresh is not None and fresh.exists():
            fresh.unlink()
        start = time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    size = args.mib << 20

    inproc = json.loads(subprocess.run(
        [str(TARGET / "envelope_throughput"), "--mib", str(args.mib), "--rounds", str(args.rounds)],
        check=True, capture_output=True, text=True).stdout)
    # The cipher's ceiling: one core sealing a frame that stays in cache.
    raw = inproc["raw_aes_256_gcm_in_cache_gbps"]

    shm = pathlib.Path("/dev/shm") if pathlib.Path("/dev/shm").is_dir() else pathlib.Path(tempfile.gettempdir())
    work = pathlib.Path(tempfile.mkdtemp(prefix="mlguard-envelope-", dir=shm))
    server = None
    try:
        server = Mlguard(work / "data")
        endpoint, env, kms = server.endpoint, server.env, server.kms
        key = kms.create_key(Description="envelope benchmark")["KeyMetadata"]["KeyId"]

        plain = work / "plain.bin"
        block = bytes((i * 31) & 0xFF for i in range(1 << 20))
        with open(plain, "wb") as f:
            for _ in range(args.mib):
                f.write(block)
        sealed = work / "sealed.mge"
        mlguard = str(TARGET / "mlguard")
        common = ["--endpoint-url", endpoint]
        rows = []
        t = best_of(args.rounds, [mlguard, "encrypt", "--key-id", key, *common, str(plain), "/dev/null"], env)
        rows.append(("`mlguard encrypt` file → /dev/null", size / t / 1e9))
        t = best_of(args.rounds, [mlguard, "encrypt", "--key-id", key, *common, str(plain), str(sealed)], env, sealed)
        rows.append(("`mlguard encrypt` file → file (tmpfs)", size / t / 1e9))
        t = best_of(args.rounds, [mlguard, "decrypt", *common, str(sealed), "/dev/null"], env)
        rows.append(("`mlguard decrypt` file → /dev/null", size / t / 1e9))
        out = work / "roundtrip.bin"
        t = best_of(args.rounds, [mlguard, "decrypt", *common, str(sealed), str(out)], env, out)
        rows.append(("`mlguard decrypt` file → file (tmpfs)", size / t / 1e9))
        if out.stat().st_size != size or subprocess.run(["cmp", "-s", str(plain), str(out)]).returncode != 0:
            raise RuntimeError("decrypted file differs from the original")
        # What merely copying the file costs here: the floor for file → file.
        copy = work / "copy.bin"
        t = best_of(args.rounds, ["cp", str(plain), str(copy)], env, copy)
        rows.append(("`cp` file → file (tmpfs), no cryptography, for reference", size / t / 1e9))

        print(f"{args.mib} MiB, frame size {inproc['frame_size']} bytes, best of {args.rounds}\n")
        print("| what | GB/s | of raw AES-256-GCM (in cache) |")
        print("| --- | --- | --- |")
        print(f"| raw AES-256-GCM, one core, one frame in cache | {raw:.2f} | 100 % |")
        print(f"| raw AES-256-GCM, one core, over the whole buffer | {inproc['raw_aes_256_gcm_gbps']:.2f} | "
              f"{100 * inproc['raw_aes_256_gcm_gbps'] / raw:.0f} % |")
        for name, field in (("envelope encrypt, stream, memory → memory", "envelope_encrypt_gbps"),
                            ("envelope decrypt, stream, memory → memory", "envelope_decrypt_gbps"),
                            ("envelope encrypt, positional, memory → memory", "envelope_encrypt_at_gbps"),
                            ("envelope decrypt, positional, memory → memory", "envelope_decrypt_at_gbps")):
            print(f"| {name} | {inproc[field]:.2f} | {100 * inproc[field] / raw:.0f} % |")
        for name, gbps in rows:
            print(f"| {name} | {gbps:.2f} | {100 * gbps / raw:.0f} % |")
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
