#!/usr/bin/env python3
"""The cost of authorization: KMS Encrypt (1 KiB) signed by an IAM user with ten
attached managed policies, against the same request signed by the account root
(who has no identity policies to evaluate), on the same server, in interleaved
rounds, with the same compiled load generator (bench/src/bin/kms_load.rs).

The user's ten policies are what an ML platform attaches: S3 data access with
conditions, SageMaker, CloudWatch Logs, ECR, a deny-without-TLS guard, and the one
that allows kms:Encrypt on the key. Every request of either caller is SigV4-verified,
evaluated (the user's ten policies and the key policy; root's key policy only) and
audited.

Throughput on this two-core machine moves by ±15 % from run to run (the load
generator shares the cores), so the table also gives the server's own CPU time per
request (from /proc), which is what authorization adds to.

Usage: python3 bench/authz_cost.py [--seconds 10] [--concurrency 64] [--rounds 3]
Needs: cargo build --release -p mlguard -p mlguard-bench
Prints a Markdown table for docs/benchmarks.md.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile

import boto3

from common import TARGET, Mlguard

POLICIES = [
    {"Sid": "TrainingData", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
     "Resource": ["arn:aws:s3:::training-data", "arn:aws:s3:::training-data/*"],
     "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}},
    {"Sid": "ModelArtifacts", "Effect": "Allow", "Action": "s3:PutObject",
     "Resource": "arn:aws:s3:::model-artifacts/${aws:username}/*"},
    {"Sid": "Training", "Effect": "Allow", "Action": ["sagemaker:CreateTrainingJob", "sagemaker:Describe*"],
     "Resource": "arn:aws:sagemaker:us-east-1:*:training-job/*"},
    {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
     "Resource": "arn:aws:logs:us-east-1:*:log-group:/aws/sagemaker/*"},
    {"Sid": "Images", "Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
     "Resource": "arn:aws:ecr:us-east-1:*:repository/training/*"},
    {"Sid": "Secrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
     "Resource": "arn:aws:secretsmanager:us-east-1:*:secret:ml/*"},
    {"Sid": "ReadOnlyIam", "Effect": "Allow", "Action": ["iam:GetUser", "iam:ListAttachedUserPolicies"],
     "Resource": "arn:aws:iam::*:user/${aws:username}"},
    {"Sid": "NoDeletes", "Effect": "Deny", "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey"],
     "Resource": "*"},
    {"Sid": "TlsOnlyData", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
]


def cpu_seconds(pid):
    """The server's user + system CPU time so far (Linux /proc)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(endpoint, key_id, seconds, concurrency, env, pid=None):
    """Requests per second, and the server's CPU microseconds per request."""
    before = cpu_seconds(pid) if pid else 0.0
    out = subprocess.run(
        [str(TARGET / "kms_load"), "--endpoint", endpoint, "--key-id", key_id, "--operation", "encrypt",
         "--seconds", str(seconds), "--concurrency", str(concurrency), "--threads", "2"],
        capture_output=True, text=True, env=env, check=True,
    )
    result = json.loads(out.stdout)
    if result["failed"]:
        raise RuntimeError(f"{result['failed']} failed requests: {out.stderr}")
    cpu = (cpu_seconds(pid) - before) * 1e6 / result["ok"] if pid else 0.0
    return result["per_second"], cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="mlguard-authz-")
    server = Mlguard(f"{work}/data", "http")
    try:
        key = server.kms.create_key()["KeyMetadata"]
        akid, secret = (server.kms._request_signer._credentials.access_key,
                        server.kms._request_signer._credentials.secret_key)
        iam = boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1",
                           aws_access_key_id=akid, aws_secret_access_key=secret)
        iam.create_user(UserName="trainer")
        statements = POLICIES + [{"Sid": "DataKey", "Effect": "Allow", "Action": "kms:Encrypt",
                                  "Resource": key["Arn"]}]
        for i, statement in enumerate(statements):
            arn = iam.create_policy(PolicyName=f"p{i}", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [statement]}))["Policy"]["Arn"]
            iam.attach_user_policy(UserName="trainer", PolicyArn=arn)
        assert len(iam.list_attached_user_policies(UserName="trainer")["AttachedPolicies"]) == 10
        user_key = iam.create_access_key(UserName="trainer")["AccessKey"]
        user_env = {k: v for k, v in server.env.items() if k not in ("AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE")}
        user_env.update({"AWS_ACCESS_KEY_ID": user_key["AccessKeyId"],
                         "AWS_SECRET_ACCESS_KEY": user_key["SecretAccessKey"],
                         "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
        root, user = [], []
        pid = server.proc.pid
        for _ in range(args.rounds):
            root.append(load(server.endpoint, key["KeyId"], args.seconds, args.concurrency, server.env, pid))
            user.append(load(server.endpoint, key["KeyId"], args.seconds, args.concurrency, user_env, pid))
        r, u = statistics.median(x for x, _ in root), statistics.median(x for x, _ in user)
        rc, uc = statistics.median(c for _, c in root), statistics.median(c for _, c in user)
        print(f"rounds: root {[round(x) for x, _ in root]}, user {[round(x) for x, _ in user]}")
        print(f"server CPU µs/request: root {[round(c, 1) for _, c in root]}, user {[round(c, 1) for _, c in user]}")
        print("| caller | Encrypt req/s (median) | vs root | server CPU per request (median) | vs root |")
        print("| --- | ---: | ---: | ---: | ---: |")
        print(f"| root (key policy only) | {r:,.0f} | 1.00 | {rc:.1f} µs | 1.00 |")
        print(f"| IAM user, 10 attached policies | {u:,.0f} | {u / r:.2f} ({(1 - u / r) * 100:.1f}% loss) "
              f"| {uc:.1f} µs | {uc / rc:.2f} (+{(uc / rc - 1) * 100:.1f}%) |")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
