#!/usr/bin/env python3
"""IAM policy analysis: mlguard against Parliament and Cloudsplaining (both from
PyPI) on the same labeled policies, in one run.

Each policy is labeled with the problems it really has, by category. Every tool's
findings are mapped onto those categories; a finding in a category the policy does
not have is a false positive, a category the tool does not report is a miss.
Findings of a tool that map to no category here (Parliament's RESOURCE_STAR,
Cloudsplaining's Infrastructure Modification, ...) are counted separately as
"other". Privilege escalation, data exfiltration and credential exposure are
judged for the policy attached to a user in an account that has an administrator
role trusted by every compute service and an administrator user, which is the
account Cloudsplaining's per-policy verdict assumes; mlguard answers it with
`mlguard policy escalation` over that account.

Usage: python3 bench/policy_compare.py [--mlguard target/release/mlguard]
Needs: pip install parliament==1.6.4 cloudsplaining==0.9.1 (bench/README-policy.md)
Prints Markdown tables for docs/policy-analyzer.md.
"""

import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
ACCOUNT = "111122223333"
# A customer managed policy the subject has attached (what CreatePolicyVersion rewrites).
TEAM = f"arn:aws:iam::{ACCOUNT}:policy/team"


def pol(*statements, version=True):
    d = {"Statement": list(statements)}
    if version:
        d = {"Version": "2012-10-17", **d}
    return d


def allow(action, resource="*", condition=None, **extra):
    s = {"Effect": "Allow", "Action": action, "Resource": resource, **extra}
    if condition:
        s["Condition"] = condition
    return s


# (label, policy, kind, categories it really has)
CASES = [
    ("least privilege", pol(allow(["s3:GetObject", "s3:ListBucket"], ["arn:aws:s3:::data", "arn:aws:s3:::data/*"])), "identity", set()),
    ("typo in action", pol(allow("s3:GetObjekt", "arn:aws:s3:::data/*")), "identity", {"UNKNOWN_ACTION"}),
    ("typo in service", pol(allow("s4:GetObject", "*")), "identity", {"UNKNOWN_SERVICE"}),
    ("unknown condition key", pol(allow("s3:ListBucket", "arn:aws:s3:::data", {"StringEquals": {"s3:prefixx": "a/"}})), "identity", {"CONDITION_KEY"}),
    ("condition key of another action", pol(allow("s3:GetObject", "arn:aws:s3:::data/*", {"StringEquals": {"s3:prefix": "a/"}})), "identity", {"CONDITION_KEY"}),
    ("condition key that applies", pol(allow("s3:ListBucket", "arn:aws:s3:::data", {"StringLike": {"s3:prefix": "a/*"}})), "identity", set()),
    ("ListBucket on objects", pol(allow("s3:ListBucket", "arn:aws:s3:::data/*")), "identity", {"RESOURCE_MISMATCH"}),
    ("GetObject on the bucket", pol(allow("s3:GetObject", "arn:aws:s3:::data")), "identity", {"RESOURCE_MISMATCH"}),
    ("KMS action on a bucket", pol(allow("kms:Decrypt", "arn:aws:s3:::data")), "identity", {"RESOURCE_MISMATCH"}),
    ("ARN without the arn: prefix", pol(allow("s3:GetObject", "s3:::data/*")), "identity", {"MALFORMED_ARN"}),
    ("ARN with a bad account", pol(allow("kms:Decrypt", "arn:aws:kms:us-east-1:12345:key/k")), "identity", {"MALFORMED_ARN"}),
    ("no Version", pol(allow("s3:GetObject", "arn:aws:s3:::data/*"), version=False), "identity", {"MISSING_VERSION"}),
    ("Allow with NotAction", pol({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}), "identity",
     {"ALLOW_NOT_ACTION", "DATA_EXFIL", "CREDENTIALS"}),
    ("Deny with NotAction (guardrail)", pol({"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}), "identity", set()),
    ("Allow with NotResource", pol({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"}), "identity",
     {"ALLOW_NOT_RESOURCE", "DATA_EXFIL"}),
    ("PassRole on every role", pol(allow("iam:PassRole", "*")), "identity", {"PASSROLE_STAR"}),
    ("PassRole + CreateTrainingJob", pol(allow(["iam:PassRole", "sagemaker:CreateTrainingJob"], "*")), "identity",
     {"PASSROLE_STAR", "PRIVESC"}),
    ("PassRole + CreateProcessingJob", pol(allow(["iam:PassRole", "sagemaker:CreateProcessingJob"], "*")), "identity",
     {"PASSROLE_STAR", "PRIVESC"}),
    ("PassRole to one role for SageMaker", pol(
        allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/sm-limited", {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}),
        allow("sagemaker:CreateTrainingJob", "*")), "identity", set()),
    ("PassRole only to EC2, SageMaker job", pol(
        allow("iam:PassRole", "*", {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}),
        allow("sagemaker:CreateTrainingJob", "*")), "identity", set()),
    ("PassRole denied", pol(allow("sagemaker:CreateTrainingJob", "*"), {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"}),
     "identity", set()),
    ("CreatePolicyVersion anywhere", pol(allow("iam:CreatePolicyVersion", "*")), "identity", {"PRIVESC"}),
    ("AttachUserPolicy anywhere", pol(allow("iam:AttachUserPolicy", "*")), "identity", {"PRIVESC"}),
    ("Lambda create and invoke with PassRole", pol(allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "*")),
     "identity", {"PASSROLE_STAR", "PRIVESC"}),
    ("s3:* on everything", pol(allow("s3:*", "*")), "identity", {"WILDCARD_SENSITIVE", "DATA_EXFIL"}),
    ("s3:* denied without TLS (guardrail)", pol({"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                                                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}}), "identity", set()),
    ("read secrets everywhere", pol(allow("secretsmanager:GetSecretValue", "*")), "identity", {"DATA_EXFIL"}),
    ("access keys for anyone", pol(allow("iam:CreateAccessKey", "*")), "identity", {"CREDENTIALS", "PRIVESC"}),
    ("redundant action", pol(allow(["s3:Get*", "s3:GetObject"], "arn:aws:s3:::data/*")), "identity", {"REDUNDANT"}),
    ("public bucket policy", pol({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}),
     "resource", {"PUBLIC_PRINCIPAL"}),
    ("public principal within the organization", pol({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
                                                      "Resource": "arn:aws:s3:::data/*",
                                                      "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}), "resource", set()),
]

MLGUARD_MAP = {
    "INVALID_ACTION": "UNKNOWN_ACTION", "INVALID_SERVICE_IN_ACTION": "UNKNOWN_SERVICE",
    "INVALID_SERVICE_CONDITION_KEY": "CONDITION_KEY", "INVALID_GLOBAL_CONDITION_KEY": "CONDITION_KEY",
    "UNSUPPORTED_ACTION_FOR_CONDITION_KEY": "CONDITION_KEY", "ACTION_RESOURCE_MISMATCH": "RESOURCE_MISMATCH",
    "INVALID_ARN_PREFIX": "MALFORMED_ARN", "MISSING_ARN_FIELD": "MALFORMED_ARN", "INVALID_ARN_ACCOUNT": "MALFORMED_ARN",
    "INVALID_ARN_SERVICE_CASE": "MALFORMED_ARN", "MISSING_VERSION": "MISSING_VERSION",
    "ALLOW_WITH_NOT_ACTION": "ALLOW_NOT_ACTION", "ALLOW_WITH_NOT_RESOURCE": "ALLOW_NOT_RESOURCE",
    "PASS_ROLE_WITH_STAR_IN_RESOURCE": "PASSROLE_STAR", "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE": "PASSROLE_STAR",
    "PASS_ROLE_WITH_NOT_RESOURCE": "PASSROLE_STAR", "WILDCARD_ACTION_ON_SENSITIVE_SERVICE": "WILDCARD_SENSITIVE",
    "FULL_ADMIN_ACCESS": "WILDCARD_SENSITIVE", "PUBLIC_PRINCIPAL_WITHOUT_CONDITION": "PUBLIC_PRINCIPAL",
    "REDUNDANT_ACTION": "REDUNDANT", "REDUNDANT_STATEMENT": "REDUNDANT",
}
ESCALATION_MAP = {"PRIVILEGE_ESCALATION": "PRIVESC", "DATA_EXFILTRATION": "DATA_EXFIL", "CREDENTIALS_EXPOSURE": "CREDENTIALS"}
PARLIAMENT_MAP = {
    "UNKNOWN_ACTION": "UNKNOWN_ACTION", "UNKNOWN_PREFIX": "UNKNOWN_SERVICE", "UNKNOWN_CONDITION_FOR_ACTION": "CONDITION_KEY",
    "RESOURCE_MISMATCH": "RESOURCE_MISMATCH", "NO_VERSION": "MISSING_VERSION", "MALFORMED": "MALFORMED_ARN",
    "INVALID_ARN": "MALFORMED_ARN", "PRIVILEGE_ESCALATION": "PRIVESC", "CREDENTIALS_EXPOSURE": "CREDENTIALS",
    "SENSITIVE_ACCESS": "DATA_EXFIL",
}
CLOUDSPLAINING_MAP = {"Privilege Escalation": "PRIVESC", "Data Exfiltration": "DATA_EXFIL", "Credentials Exposure": "CREDENTIALS"}
# Categories a tool does not attempt are not counted as its misses.
SCOPE = {
    "mlguard": None,
    "parliament": {"UNKNOWN_ACTION", "UNKNOWN_SERVICE", "CONDITION_KEY", "RESOURCE_MISMATCH", "MISSING_VERSION", "MALFORMED_ARN",
                   "PRIVESC", "CREDENTIALS", "DATA_EXFIL", "PASSROLE_STAR", "REDUNDANT"},
    "cloudsplaining": {"PRIVESC", "DATA_EXFIL", "CREDENTIALS"},
}


def account_for(policy):
    """The account the escalation verdict assumes: the policy on a user, an
    administrator role trusted by every compute service, an administrator user,
    and a customer managed policy attached to the subject."""
    admin_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    services = ["sagemaker.amazonaws.com", "lambda.amazonaws.com", "glue.amazonaws.com", "ec2.amazonaws.com",
                "cloudformation.amazonaws.com"]
    return {
        "UserDetailList": [
            {"UserName": "subject", "Arn": f"arn:aws:iam::{ACCOUNT}:user/subject",
             "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": policy}],
             "AttachedManagedPolicies": [{"PolicyName": "team", "PolicyArn": TEAM}], "GroupList": []},
            {"UserName": "admin", "Arn": f"arn:aws:iam::{ACCOUNT}:user/admin", "UserPolicyList": [],
             "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": admin_arn}], "GroupList": []},
        ],
        "GroupDetailList": [],
        "RoleDetailList": [
            {"RoleName": "admin-role", "Arn": f"arn:aws:iam::{ACCOUNT}:role/admin-role",
             "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                 {"Effect": "Allow", "Principal": {"Service": services}, "Action": "sts:AssumeRole"}]},
             "RolePolicyList": [], "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": admin_arn}]},
            {"RoleName": "sm-limited", "Arn": f"arn:aws:iam::{ACCOUNT}:role/sm-limited",
             "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                 {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
             "RolePolicyList": [{"PolicyName": "read", "PolicyDocument": pol(allow("s3:GetObject", "arn:aws:s3:::data/*"))}],
             "AttachedManagedPolicies": []},
        ],
        "Policies": [
            {"PolicyName": "AdministratorAccess", "Arn": admin_arn, "PolicyVersionList": [
                {"Document": pol(allow("*", "*")), "VersionId": "v1", "IsDefaultVersion": True}]},
            {"PolicyName": "team", "Arn": TEAM, "PolicyVersionList": [
                {"Document": pol(allow("s3:ListBucket", "arn:aws:s3:::data")), "VersionId": "v1", "IsDefaultVersion": True}]},
        ],
    }


def run_mlguard(binary, case, tmp):
    label, policy, kind, _ = case
    f = tmp / "p.json"
    f.write_text(json.dumps(policy))
    out = subprocess.run([binary, "policy", "validate", f, "--format", "json", "--fail-on", "never",
                          "--policy-type", kind], capture_output=True, text=True, check=True)
    found = [MLGUARD_MAP.get(x["issueCode"], "other:" + x["issueCode"]) for x in json.loads(out.stdout)[0]["findings"]]
    if kind == "identity":
        a = tmp / "account.json"
        a.write_text(json.dumps(account_for(policy)))
        out = subprocess.run([binary, "policy", "escalation", a, "--format", "json", "--fail-on", "never"],
                             capture_output=True, text=True, check=True)
        for x in json.loads(out.stdout)["findings"]:
            if x["principal"].endswith("user/subject"):
                found.append(ESCALATION_MAP[x["kind"]])
    return found


def run_parliament(case):
    from parliament import analyze_policy_string
    _, policy, kind, _ = case
    p = analyze_policy_string(json.dumps(policy), include_community_auditors=True,
                              ignore_private_auditors=True)
    found = []
    for f in p.findings:
        if f.issue == "RESOURCE_STAR" and "iam:PassRole" in str(f.detail):
            found.append("PASSROLE_STAR")
        found.append(PARLIAMENT_MAP.get(f.issue, "other:" + f.issue))
    return found


def run_cloudsplaining(case, tmp):
    _, policy, kind, _ = case
    if kind != "identity":
        return []
    f = tmp / "cs.json"
    f.write_text(json.dumps(policy))
    out = subprocess.run(["cloudsplaining", "scan-policy-file", "--input-file", f], capture_output=True, text=True)
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout)
    return [CLOUDSPLAINING_MAP.get(m, "other:" + m) for m in re.findall(r"Policy is capable of (.+)", text)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlguard", default=str(ROOT / "target" / "release" / "mlguard"))
    args = ap.parse_args()
    tools = ["mlguard", "parliament", "cloudsplaining"]
    totals = {t: {"tp": 0, "fp": 0, "fn": 0, "other": 0} for t in tools}
    per_category = {}
    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        for case in CASES:
            label, _, _, truth = case
            results = {
                "mlguard": run_mlguard(args.mlguard, case, tmp),
                "parliament": run_parliament(case),
                "cloudsplaining": run_cloudsplaining(case, tmp),
            }
            cells = []
            for t in tools:
                got = {c for c in results[t] if not c.startswith("other:")}
                other = sorted({c[6:] for c in results[t] if c.startswith("other:")})
                scope = SCOPE[t]
                tp = got & truth
                fp = got - truth
                fn = {c for c in truth - got if scope is None or c in scope}
                totals[t]["tp"] += len(tp)
                totals[t]["fp"] += len(fp)
                totals[t]["fn"] += len(fn)
                totals[t]["other"] += len(other)
                for c in truth | got:
                    pc = per_category.setdefault(c, {x: [0, 0, 0] for x in tools})
                    pc[t][0] += c in tp
                    pc[t][1] += c in fp
                    pc[t][2] += c in fn
                cell = ", ".join(sorted(tp)) or "—"
                if fp:
                    cell += " **FP:** " + ", ".join(sorted(fp))
                if fn:
                    cell += " **missed:** " + ", ".join(sorted(fn))
                cells.append(cell)
            rows.append(f"| {label} | {', '.join(sorted(truth)) or 'nothing'} | " + " | ".join(cells) + " |")
    print("| policy | has | mlguard | Parliament 1.6.4 | Cloudsplaining 0.9.1 |")
    print("| --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    print()
    print("| tool | true findings | false positives | misses (in its scope) | other findings |")
    print("| --- | --- | --- | --- | --- |")
    for t in tools:
        x = totals[t]
        print(f"| {t} | {x['tp']} | {x['fp']} | {x['fn']} | {x['other']} |")
    print()
    print("| category | " + " | ".join(f"{t} found / FP / missed" for t in tools) + " |")
    print("| --- | " + " | ".join("---" for _ in tools) + " |")
    for c in sorted(per_category):
        print(f"| {c} | " + " | ".join("{} / {} / {}".format(*per_category[c][t]) for t in tools) + " |")


if __name__ == "__main__":
    sys.exit(main())
