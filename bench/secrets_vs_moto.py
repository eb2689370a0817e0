#!/usr/bin/env python3
"""Secrets Manager GetSecretValue (a 1 KiB secret) throughput: mlguard against
moto's server, in the same run, with the same compiled load generator
(bench/src/bin/kms_load.rs: every request SigV4-signed, keep-alive connections,
concurrent).

mlguard runs for real: SigV4 verified, the caller authorized for
secretsmanager:GetSecretValue and, through Secrets Manager, for kms:Decrypt under
the aws/secretsmanager key policy; the value's data key decrypted by KMS and the
value opened (AES-256-GCM); every request audited. moto keeps values in plaintext
and checks nothing.

Usage: python3 bench/secrets_vs_moto.py [--seconds 10] [--concurrency 64] [--rounds 3]
Needs: cargo build --release -p mlguard -p mlguard-bench; pip install moto[server] boto3
Prints a Markdown table for docs/benchmarks.md.
"""

import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile

import boto3

from common import Mlguard, start_moto
from kms_vs_moto import load

SECRET = "bench/db-password"


def run_mlguard(work, transport, args, procs):
    server = Mlguard(work / f"mlguard-{transport}", transport)
    procs.append(server.proc)
    sm = boto3.client("secretsmanager", endpoint_url=server.endpoint, region_name="us-east-1",
                      **server.boto_kwargs())
    sm.create_secret(Name=SECRET, SecretString="s" * 1024)
    rate = load(server.endpoint, SECRET, "get-secret-value", args.seconds, args.concurrency, server.env)
    server.stop()
    return rate


def run_moto(args, procs):
    p, endpoint, env = start_moto()
    procs.append(p)
    sm = boto3.client("secretsmanager", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    sm.create_secret(Name=SECRET, SecretString="s" * 1024)
    rate = load(endpoint, SECRET, "get-secret-value", args.seconds, args.concurrency, env)
    p.terminate()
    p.wait()
    return rate


SERVERS = ("mlguard (http)", "mlguard (https)", "moto")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="mlguard-bench-"))
    procs = []
    try:
        samples = {server: [] for server in SERVERS}
        for n in range(args.rounds):
            round_dir = work / f"round-{n}"
            round_dir.mkdir()
            measured = {
                "mlguard (http)": run_mlguard(round_dir, "http", args, procs),
                "mlguard (https)": run_mlguard(round_dir, "https", args, procs),
                "moto": run_moto(args, procs),
            }
            for server, rate in measured.items():
                samples[server].append(rate)
            print(f"round {n + 1}: " + ", ".join(f"{s} {r:,.0f}" for s, r in measured.items()), file=sys.stderr)
        median = {k: statistics.median(v) for k, v in samples.items()}
        print(f"{args.rounds} rounds of {args.seconds} s, {args.concurrency} connections; median [min–max]\n")
        print("| server | GetSecretValue (1 KiB) /s |")
        print("| --- | --- |")
        for server in SERVERS:
            v = samples[server]
            text = f"{median[server]:,.0f} [{min(v):,.0f}–{max(v):,.0f}]"
            if server != "moto":
                text += f" ({median[server] / median['moto']:,.0f}× moto)"
            print(f"| {server} | {text} |")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
