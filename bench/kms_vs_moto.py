#!/usr/bin/env python3
"""KMS Encrypt (1 KiB) and GenerateDataKey throughput: mlguard against moto's server,
in the same run, with the same compiled load generator (bench/src/bin/kms_load.rs:
every request SigV4-signed, keep-alive connections, concurrent).

mlguard runs for real: SigV4 verified, key policy evaluated, every request audited
to its hash-chained log. moto runs its server (`python -m moto.server`), which
checks nothing.

Usage: python3 bench/kms_vs_moto.py [--seconds 10] [--concurrency 64] [--rounds 3]
Needs: cargo build --release -p mlguard -p mlguard-bench; pip install moto[server] boto3
Prints a Markdown table for docs/benchmarks.md.
"""

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile

import boto3

from common import TARGET, Mlguard, start_moto

def load(endpoint, key_id, operation, seconds, concurrency, env):
    out = subprocess.run(
        [str(TARGET / "kms_load"), "--endpoint", endpoint, "--key-id", key_id, "--operation", operation,
         "--seconds", str(seconds), "--concurrency", str(concurrency), "--threads", "2"],
        capture_output=True, text=True, env=env, check=True,
    )
    result = json.loads(out.stdout)
    if result["failed"]:
        raise RuntimeError(f"{endpoint}: {result['failed']} failed requests: {out.stderr}")
    return result["per_second"]


def run_mlguard(work, transport, args, procs):
    """Starts a fresh mlguard, loads it with both operations; returns {op: per second}."""
    server = Mlguard(work / f"mlguard-{transport}", transport)
    procs.append(server.proc)
    key = server.kms.create_key()["KeyMetadata"]["KeyId"]
    out = {op: load(server.endpoint, key, op, args.seconds, args.concurrency, server.env) for op in OPERATIONS}
    server.stop()
    return out


def run_moto(args, procs):
    """Starts moto's server, loads it with both operations; returns {op: per second}."""
    p, endpoint, env = start_moto()
    procs.append(p)
    kms = boto3.client("kms", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    out = {op: load(endpoint, key, op, args.seconds, args.concurrency, env) for op in OPERATIONS}
    p.terminate()
    p.wait()
    return out


OPERATIONS = ("encrypt", "generate-data-key")
SERVERS = ("mlguard (http)", "mlguard (https)", "moto")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of all three servers, interleaved; the table gives medians")
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="mlguard-bench-"))
    procs = []
    try:
        samples = {(server, op): [] for server in SERVERS for op in OPERATIONS}
        for n in range(args.rounds):
            round_dir = work / f"round-{n}"
            round_dir.mkdir()
            measured = {
                "mlguard (http)": run_mlguard(round_dir, "http", args, procs),
                "mlguard (https)": run_mlguard(round_dir, "https", args, procs),
                "moto": run_moto(args, procs),
            }
            for server, ops in measured.items():
                for op, rate in ops.items():
                    samples[(server, op)].append(rate)
            print(f"round {n + 1}: " + ", ".join(f"{server} {ops['encrypt']:,.0f}/{ops['generate-data-key']:,.0f}"
                                                  for server, ops in measured.items()), file=sys.stderr)
        median = {k: statistics.median(v) for k, v in samples.items()}
        spread = {k: (min(v), max(v)) for k, v in samples.items()}

        def cell(server, op):
            value, (lo, hi) = median[(server, op)], spread[(server, op)]
            text = f"{value:,.0f} [{lo:,.0f}–{hi:,.0f}]"
            if server != "moto":
                text += f" ({value / median[('moto', op)]:,.0f}× moto)"
            return text

        print(f"{args.rounds} rounds of {args.seconds} s, {args.concurrency} connections; median [min–max]\n")
        print("| server | Encrypt 1 KiB /s | GenerateDataKey /s |")
        print("| --- | --- | --- |")
        for server in SERVERS:
            print(f"| {server} | {cell(server, 'encrypt')} | {cell(server, 'generate-data-key')} |")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
