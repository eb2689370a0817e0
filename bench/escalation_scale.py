#!/usr/bin/env python3
"""Account-wide IAM analysis as accounts grow: `mlguard policy escalation` over
generated `aws iam get-account-authorization-details` output of 500 to 4,000
principals, against Cloudsplaining's `scan` of the same files in the same run.

The accounts (bench/data/escalation/account-N.json, git-ignored, generated with a
fixed seed) have the full shape the aws CLI prints (ids, dates, paths, policy
versions), so both tools read them unchanged: half users, half roles; roles trusted
by the account, by named users and roles, by `*`, or by SageMaker, Lambda and EC2;
inline and customer managed policies with sts:AssumeRole, iam:PassRole with the
compute actions, credential and policy writes on other principals, data reads,
tag conditions; principal and resource tags; permissions boundaries on a tenth;
groups; a few administrators.

The two tools answer different questions, so the rows compare cost, not findings:
mlguard evaluates every pair of principals with the policy engine (can A assume,
pass, take over or rewrite B) and searches the graph for paths to an
administrator; Cloudsplaining judges each policy on its own by its actions and
resource constraints, and writes an HTML report.

Usage: cargo build --release -p mlguard
       pip install cloudsplaining==0.9.1      (optional; skipped when missing)
       python3 bench/escalation_scale.py [--sizes 500,1000,2000,4000] [--rounds 3]
Prints a Markdown table for docs/benchmarks.md.
"""

import argparse
import json
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = ROOT / "target" / "release"
DATA = ROOT / "bench" / "data" / "escalation"
ACCOUNT = "111122223333"
DATE = "2026-01-15T10:00:00+00:00"
SERVICES = ["sagemaker.amazonaws.com", "lambda.amazonaws.com", "ec2.amazonaws.com"]


def generate(principals, seed=11):
    rng = random.Random(seed)
    n = principals // 2

    def role_arn(i):
        return f"arn:aws:iam::{ACCOUNT}:role/team{i % 40}/r{i}"

    def user_arn(i):
        return f"arn:aws:iam::{ACCOUNT}:user/u{i}"

    def tags():
        return [{"Key": "team", "Value": rng.choice(["ml", "web", "data"])}] if rng.random() < 0.5 else []

    def doc(statements):
        return {"Version": "2012-10-17", "Statement": statements}

    choices = [
        (0.20, lambda: {"Action": "sts:AssumeRole", "Resource": rng.choices(
            ["*", role_arn(rng.randrange(n)), f"arn:aws:iam::{ACCOUNT}:role/team{rng.randrange(40)}/*"],
            [1, 6, 3])[0]}),
        (0.15, lambda: {"Action": ["iam:PassRole", rng.choice(
            ["sagemaker:CreateTrainingJob", "lambda:CreateFunction", "ec2:RunInstances"])],
            "Resource": rng.choices(["*", role_arn(rng.randrange(n))], [1, 3])[0]}),
        (0.05, lambda: {"Action": ["lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}),
        (0.05, lambda: {"Action": rng.choice(
            ["iam:CreateAccessKey", "iam:UpdateLoginProfile", "iam:CreateLoginProfile"]),
            "Resource": rng.choices([user_arn(rng.randrange(n)), f"arn:aws:iam::{ACCOUNT}:user/*"], [9, 1])[0]}),
        (0.04, lambda: {"Action": rng.choice(
            ["iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:AttachRolePolicy"]),
            "Resource": role_arn(rng.randrange(n))}),
        (0.02, lambda: {"Action": rng.choice(["iam:PutUserPolicy", "iam:AttachUserPolicy"]),
                        "Resource": user_arn(rng.randrange(n))}),
        (0.49, lambda: {"Action": rng.choice(
            [["s3:GetObject", "s3:PutObject"], "secretsmanager:GetSecretValue", "kms:Decrypt",
             ["sagemaker:DescribeTrainingJob", "sagemaker:ListTrainingJobs"], "dynamodb:Query"]),
            "Resource": rng.choice(["*", f"arn:aws:s3:::bucket-{rng.randrange(100)}/*"])}),
    ]

    def statement():
        r, acc = rng.random(), 0.0
        for weight, make in choices:
            acc += weight
            if r < acc:
                break
        s = {"Effect": "Allow", **make()}
        if rng.random() < 0.15:
            s["Condition"] = {"StringEquals": {rng.choice(["aws:ResourceTag/team", "aws:PrincipalTag/team"]):
                                               rng.choice(["ml", "web", "data"])}}
        return s

    def statements():
        out = [statement() for _ in range(rng.randrange(1, 5))]
        if rng.random() < 0.08:
            out.append({"Effect": "Deny", "Action": "iam:*", "Resource": "*",
                        "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "ml"}}})
        return out

    def trust():
        r = rng.random()
        if r < 0.30:
            p = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
        elif r < 0.45:
            p = {"AWS": [user_arn(rng.randrange(n)), role_arn(rng.randrange(n))]}
        elif r < 0.452:
            p = {"AWS": "*"}
        else:
            p = {"Service": rng.choice(SERVICES)}
        s = {"Effect": "Allow", "Principal": p, "Action": "sts:AssumeRole"}
        if "AWS" in p and rng.random() < 0.1:
            s["Condition"] = {"StringEquals": {"aws:PrincipalTag/team": "ml"}}
        return doc([s])

    def version(document):
        return [{"Document": document, "VersionId": "v1", "IsDefaultVersion": True, "CreateDate": DATE}]

    def managed(name, document, attachments):
        return {"PolicyName": name, "PolicyId": f"ANPA{len(name):04d}{sum(map(ord, name)):013d}",
                "Arn": f"arn:aws:iam::{ACCOUNT}:policy/{name}", "Path": "/", "DefaultVersionId": "v1",
                "AttachmentCount": attachments, "PermissionsBoundaryUsageCount": 0, "IsAttachable": True,
                "CreateDate": DATE, "UpdateDate": DATE, "PolicyVersionList": version(document)}

    shared = [managed(f"team-{k}", doc(statements()), 0) for k in range(20)]
    boundary = managed("boundary", doc([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]), 0)
    admin = {"PolicyName": "AdministratorAccess", "PolicyId": "ANPAIWMBCKSKIEE64ZLYK",
             "Arn": "arn:aws:iam::aws:policy/AdministratorAccess", "Path": "/", "DefaultVersionId": "v1",
             "AttachmentCount": 0, "PermissionsBoundaryUsageCount": 0, "IsAttachable": True,
             "CreateDate": DATE, "UpdateDate": DATE,
             "PolicyVersionList": version(doc([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))}

    def attach(p):
        p["AttachmentCount"] += 1
        return {"PolicyName": p["PolicyName"], "PolicyArn": p["Arn"]}

    def attached():
        out = [attach(rng.choice(shared))] if rng.random() < 0.4 else []
        if rng.random() < 0.01:
            out.append(attach(admin))
        return out

    def bound(entry):
        if rng.random() < 0.1:
            boundary["PermissionsBoundaryUsageCount"] += 1
            entry["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy",
                                            "PermissionsBoundaryArn": boundary["Arn"]}
        return entry

    groups = [{"Path": "/", "GroupName": f"g{k}", "GroupId": f"AGPA{k:017d}",
               "Arn": f"arn:aws:iam::{ACCOUNT}:group/g{k}", "CreateDate": DATE,
               "GroupPolicyList": [{"PolicyName": "inline", "PolicyDocument": doc(statements())}],
               "AttachedManagedPolicies": attached()} for k in range(10)]
    users = [bound({"Path": "/", "UserName": f"u{i}", "UserId": f"AIDA{i:017d}", "Arn": user_arn(i),
                    "CreateDate": DATE, "Tags": tags(),
                    "UserPolicyList": [{"PolicyName": "inline", "PolicyDocument": doc(statements())}],
                    "GroupList": [f"g{rng.randrange(10)}"] if rng.random() < 0.3 else [],
                    "AttachedManagedPolicies": attached()}) for i in range(n)]
    roles = [bound({"Path": f"/team{i % 40}/", "RoleName": f"r{i}", "RoleId": f"AROA{i:017d}",
                    "Arn": role_arn(i), "CreateDate": DATE, "AssumeRolePolicyDocument": trust(),
                    "InstanceProfileList": [], "Tags": tags(), "RoleLastUsed": {},
                    "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": doc(statements())}],
                    "AttachedManagedPolicies": attached()}) for i in range(n)]
    return {"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles,
            "Policies": [*shared, boundary, admin], "IsTruncated": False}


def account_file(principals):
    path = DATA / f"account-{principals}.json"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(generate(principals)))
    return path


def mlguard(path, rounds):
    best, report = None, None
    for _ in range(rounds):
        t0 = time.perf_counter()
        out = subprocess.run([str(TARGET / "mlguard"), "policy", "escalation", str(path), "--format", "json"],
                             capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        if out.returncode not in (0, 1):
            sys.exit(f"mlguard failed on {path}: {out.stderr[-2000:]}")
        best = seconds if best is None else min(best, seconds)
        report = json.loads(out.stdout)
    return best, report


def cloudsplaining(path):
    if shutil.which("cloudsplaining") is None:
        return None
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        run = subprocess.run(["cloudsplaining", "scan", "--input-file", str(path), "--output", out,
                              "--skip-open-report"], capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        if run.returncode != 0:
            sys.exit(f"cloudsplaining failed on {path}: {run.stderr[-2000:]}")
    return seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="500,1000,2000,4000")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-peer", action="store_true")
    args = ap.parse_args()
    if not (TARGET / "mlguard").exists():
        sys.exit("build first: cargo build --release -p mlguard")
    print(f"mlguard best of {args.rounds}, process start included; Cloudsplaining once\n")
    print("| principals | file MB | mlguard s | findings (escalation) | Cloudsplaining s | ratio |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in map(int, args.sizes.split(",")):
        path = account_file(size)
        seconds, report = mlguard(path, args.rounds)
        escalation = sum(f["kind"] == "PRIVILEGE_ESCALATION" for f in report["findings"])
        peer = None if args.no_peer else cloudsplaining(path)
        peer_cell = "—" if peer is None else f"{peer:.2f}"
        ratio = "—" if peer is None else f"{peer / seconds:.0f}×"
        print(f"| {report['principals']:,} | {path.stat().st_size / 1e6:.1f} | {seconds:.2f} | "
              f"{len(report['findings']):,} ({escalation:,}) | {peer_cell} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
