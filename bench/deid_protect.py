#!/usr/bin/env python3
"""De-identification throughput: a synthetic patient table through a full
`mlguard protect` recipe (every kind of column step), and each step alone on
one core.

    cargo build --release -p mlguard
    python3 bench/deid_protect.py --rows 10000000           # the full recipe, all cores
    python3 bench/deid_protect.py --rows 1000000 --per-step # each step, one core (taskset)

The table is generated once into bench/data/ (not committed). Times are
mlguard's own report: reading, each step, and the total including writing.
"""

import argparse
import json
import os
import pathlib
import random
import resource
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BINARY = ROOT / "target" / "release" / "mlguard"

FULL_RECIPE = """
columns: {age: integer, salary: integer, dob: date, visit: date}
steps:
  - Action: {Operation: CRYPTOGRAPHIC_HASH, Parameters: {sourceColumns: [patient_id]}}
  - Action: {Operation: SUBSTITUTE, Parameters: {sourceColumns: [name], type: NAME}}
  - Action: {Operation: MASK_EMAIL, Parameters: {sourceColumns: [email]}}
  - Action: {Operation: MASK_RANGE, Parameters: {sourceColumns: [ssn], maskSymbol: "*", stop: -4, alphabet: [SYMBOLS]}}
  - Action: {Operation: DETERMINISTIC_ENCRYPT, Parameters: {sourceColumns: [card]}}
  - Action: {Operation: GENERALIZE, Parameters: {sourceColumns: [age], method: RANGE, width: 10}}
  - Action: {Operation: GENERALIZE, Parameters: {sourceColumns: [zip], method: PREFIX, keep: 3}}
  - Action: {Operation: SHIFT_DATE, Parameters: {sourceColumns: [dob, visit], entityColumn: patient_id, maxDays: 30}}
  - Action: {Operation: ADD_NOISE, Parameters: {sourceColumns: [salary], epsilon: 1, sensitivity: 1000}}
  - Action: {Operation: SHUFFLE_ROWS, Parameters: {sourceColumns: [diagnosis], seed: 1}}
privacy: {epsilon: 1}
"""

FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez"]
DIAG = ["flu", "cold", "asthma", "diabetes", "hypertension"]


def generate(path, rows, seed=1):
    rnd = random.Random(seed)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as f:
        f.write("patient_id,name,email,ssn,card,age,zip,dob,visit,salary,diagnosis\n")
        chunk = []
        for i in range(rows):
            p = rnd.randrange(rows // 4 + 1)
            fn, ln = FIRST[p % 10], LAST[(p // 10) % 10]
            chunk.append(
                f"P{p:08d},{fn} {ln},{fn.lower()}.{ln.lower()}{p % 1000}@mail.example,"
                f"{100 + p % 600:03d}-{p % 99 + 1:02d}-{p % 9999 + 1:04d},4111111111{p % 1000000:06d},"
                f"{18 + p % 70},{p % 90000 + 10000},{1940 + p % 60}-{p % 12 + 1:02d}-{p % 28 + 1:02d},"
                f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d},{30000 + (i * 7919) % 90000},{DIAG[i % 5]}\n")
            if len(chunk) == 100000:
                f.write("".join(chunk))
                chunk.clear()
        f.write("".join(chunk))
    tmp.rename(path)


def protect(recipe_text, data, workdir, one_core):
    recipe = workdir / "recipe.yaml"
    recipe.write_text(recipe_text)
    key = workdir / "key.bin"
    key.write_bytes(os.urandom(32))
    report = workdir / "report.json"
    cmd = [str(BINARY), "protect", "--recipe", str(recipe), "--key-file", str(key), str(data),
           str(workdir / "out.csv"), "--report", str(report)]
    if one_core:
        cmd = ["taskset", "-c", "0", *cmd]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    wall = time.perf_counter() - started
    return wall, json.loads(report.read_text())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--per-step", action="store_true", help="each step alone on one core")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--stream", action="store_true",
                    help="the full recipe without SHUFFLE_ROWS, so protect streams batch by batch")
    args = ap.parse_args()
    if not BINARY.exists():
        sys.exit("build first: cargo build --release -p mlguard")
    data_dir = ROOT / "bench" / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    data = data_dir / f"deid-{args.rows}.csv"
    if not data.exists():
        t = time.perf_counter()
        generate(data, args.rows)
        print(f"generated {data} ({data.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s")
    size = data.stat().st_size / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        workdir = pathlib.Path(tmp)
        if not args.per_step:
            best = None
            recipe = FULL_RECIPE
            if args.stream:
                recipe = "\n".join(l for l in FULL_RECIPE.splitlines() if "SHUFFLE_ROWS" not in l)
            for _ in range(args.rounds):
                wall, report = protect(recipe, data, workdir, one_core=False)
                if best is None or wall < best[0]:
                    best = (wall, report)
            wall, report = best
            rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6
            print(f"{args.rows:,} rows, {size:.0f} MB, {len(report['steps'])} steps, "
                  f"{report['threads']} threads, {'streamed' if report['streamed'] else 'whole table'}: "
                  f"{wall:.1f} s wall (read {report['seconds']['read']:.1f} s), peak memory {rss:.1f} GB")
            print("| step | operation | columns | seconds |")
            print("| ---: | --- | --- | ---: |")
            for s in report["steps"]:
                print(f"| {s['step']} | {s['operation']} | {', '.join(s['columns'])} | {s['seconds']:.2f} |")
            return
        lines = [l for l in FULL_RECIPE.strip().splitlines() if l.strip().startswith("- Action")]
        header = "columns: {age: integer, salary: integer, dob: date, visit: date}\nsteps:\n"
        print(f"{args.rows:,} rows, one core (taskset -c 0)")
        print("| operation | columns | seconds | rows/s per column |")
        print("| --- | --- | ---: | ---: |")
        for line in lines:
            best = None
            for _ in range(args.rounds):
                _, report = protect(header + line + "\n", data, workdir, one_core=True)
                s = report["steps"][0]
                if best is None or s["seconds"] < best["seconds"]:
                    best = s
            per_column = args.rows * len(best["columns"]) / best["seconds"]
            print(f"| {best['operation']} | {', '.join(best['columns'])} | {best['seconds']:.3f} | {per_column:,.0f} |")


if __name__ == "__main__":
    main()
