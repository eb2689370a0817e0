#!/usr/bin/env python3
"""Posture checks: mlguard against Checkov on the same CloudFormation templates and
Terraform plans (crates/mlguard-posture/tests/fixtures/peers).

Checkov's findings are mapped onto mlguard's check ids with
crates/mlguard-posture/data/peer-ids.json; Checkov findings with no mlguard
equivalent (access logging, versioning, ...) are left out. Each fixture's true
failures are the mlguard check ids listed for it in expected.json in the fixture
directory (labeled by hand from the check definitions, README.md there). A tool's
finding is counted once per (fixture, check id), whatever the number of resources.

Usage: python3 bench/posture_checkov.py [--checkov checkov] [--mlguard target/release/mlguard]
                                        [--fixtures DIR]
Needs: pip install checkov (3.3.30 was used for checkov-expected.json).
Prints Markdown tables. Stdlib only.
"""

import argparse
import json
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "crates" / "mlguard-posture" / "tests" / "fixtures" / "peers"
PEER_IDS = ROOT / "crates" / "mlguard-posture" / "data" / "peer-ids.json"


def fixture_files(directory):
    return sorted(
        p
        for p in directory.iterdir()
        if p.is_file()
        and (
            (p.name.startswith("cfn-") and p.suffix in (".yaml", ".yml", ".json", ".template"))
            or (p.name.startswith("tf-") and p.name.endswith(".plan.json"))
        )
    )


def checkov_to_mlguard(peer_ids):
    """Checkov id -> the mlguard check ids it corresponds to."""
    out = {}
    for check, peers in peer_ids.items():
        if check.startswith("_") or not isinstance(peers, dict):
            continue
        for ckv in peers.get("checkov", []):
            out.setdefault(ckv, set()).add(check)
    return out


def run_checkov(checkov, files):
    """Runs Checkov once over the fixture directory (both frameworks); returns file
    name -> set of (checkov id, resource), or raises RuntimeError."""
    directory = files[0].parent
    cmd = [checkov, "-d", str(directory), "--framework", "cloudformation", "terraform_plan",
           "-o", "json", "--skip-download", "--quiet", "--compact"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    # Checkov exits 1 when a check fails; anything that isn't JSON is an error.
    try:
        report = json.loads(proc.stdout) if proc.stdout.strip() else []
    except json.JSONDecodeError:
        raise RuntimeError(f"checkov gave no JSON (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
    names = {f.name for f in files}
    found = {n: set() for n in names}
    for r in report if isinstance(report, list) else [report]:
        results = r.get("results") if isinstance(r, dict) else None
        if not results:
            continue  # {"passed": 0, ...} summary when nothing was scanned
        for c in results.get("failed_checks", []):
            name = pathlib.PurePath(c.get("file_path", "")).name
            if name in found:
                found[name].add((c["check_id"], c.get("resource", "")))
    return found


# Checkov ids shared by several mlguard checks (CKV_AWS_187 covers notebooks and
# domains) are told apart by the resource type in Checkov's resource name.
KIND_WORDS = {
    "sagemaker-notebook-": ("notebookinstance", "notebook_instance"),
    "sagemaker-domain-": ("sagemaker::domain", "sagemaker_domain"),
    "sagemaker-model-": ("sagemaker::model", "sagemaker_model"),
}


def mapped(mapping, ckv_id, resource):
    candidates = mapping.get(ckv_id, set())
    if len(candidates) <= 1:
        return set(candidates)
    res = resource.lower()
    chosen = {c for c in candidates
              if any(c.startswith(prefix) and any(w in res for w in words) for prefix, words in KIND_WORDS.items())}
    return chosen or set(candidates)


def checkov_version(checkov):
    try:
        return subprocess.run([checkov, "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def run_mlguard(mlguard, files):
    """Runs `mlguard posture check FILE --format json` per fixture; returns file name ->
    set of (check id, resource) of unsuppressed failures, or None per file on error
    (with the reason)."""
    found, errors = {}, {}
    for f in files:
        cmd = [str(mlguard), "posture", "check", str(f), "--format", "json"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        try:
            doc = json.loads(proc.stdout)
        except json.JSONDecodeError:
            msg = " ".join((proc.stderr or proc.stdout).split())[:200].replace("|", "/")
            errors[f.name] = f"exit {proc.returncode}: {msg}"
            continue
        hits = set()
        for finding in doc.get("findings", []):
            if finding.get("suppressed"):
                continue
            if finding.get("status", "fail") != "fail":
                continue
            hits.add((finding["check"], finding.get("resource", "")))
        found[f.name] = hits
    return found, errors


def fmt(ids):
    return ", ".join(sorted(ids)) if ids else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkov", default="checkov", help="Checkov executable (default: checkov on PATH)")
    ap.add_argument("--mlguard", default=str(ROOT / "target" / "release" / "mlguard"), help="mlguard binary")
    ap.add_argument("--fixtures", default=str(FIXTURES), help="fixture directory")
    ap.add_argument("--peer-ids", default=str(PEER_IDS), help="peer-ids.json")
    args = ap.parse_args()

    fixtures = pathlib.Path(args.fixtures)
    files = fixture_files(fixtures)
    if not files:
        sys.exit(f"no fixtures (cfn-*, tf-*.plan.json) in {fixtures}")
    peer_ids = json.loads(pathlib.Path(args.peer_ids).read_text())
    mapping = checkov_to_mlguard(peer_ids)
    expected_path = fixtures / "expected.json"
    expected = {}
    if expected_path.exists():
        expected = {k: set(v) for k, v in json.loads(expected_path.read_text()).items() if not k.startswith("_")}
    else:
        print(f"note: {expected_path} is missing; true findings cannot be counted\n")

    checkov = shutil.which(args.checkov) or args.checkov
    try:
        ckv_raw = run_checkov(checkov, files)
        ckv_note = checkov_version(checkov)
    except (OSError, RuntimeError) as e:
        ckv_raw, ckv_note = None, f"not run: {e}"

    mlguard = pathlib.Path(args.mlguard)
    if mlguard.is_file():
        ml_raw, ml_errors = run_mlguard(mlguard, files)
        ml_note = str(mlguard)
        if not ml_raw:
            first = next(iter(ml_errors.values()), "no output")
            ml_note = f"not run: `{mlguard} posture check` failed on every fixture ({first})"
            ml_raw, ml_errors = None, {}
        elif ml_errors:
            ml_note += f" ({len(ml_errors)} fixtures failed to run; their rows show the error and count as misses)"
    else:
        ml_raw, ml_errors = None, {}
        ml_note = f"not run: {mlguard} does not exist (build it with `cargo build --release`)"

    print(f"Checkov: {ckv_note}  \nmlguard: {ml_note}\n")
    if ckv_raw is None and ml_raw is None:
        sys.exit("neither tool ran")

    # Per fixture: mlguard check ids failed by each tool.
    ckv = {}
    unmapped = {}
    for name in (f.name for f in files):
        ids, other = set(), set()
        for ckv_id, res in (ckv_raw or {}).get(name, ()):
            if ckv_id in mapping:
                ids |= mapped(mapping, ckv_id, res)
            else:
                other.add(ckv_id)
        ckv[name] = ids
        unmapped[name] = other
    ml = {name: {c for c, _ in hits} for name, hits in (ml_raw or {}).items()}

    print("| fixture | expected | mlguard | Checkov (mapped) | Checkov ids without an mlguard check |")
    print("|---|---|---|---|---|")
    for f in files:
        name = f.name
        exp = expected.get(name)
        m = "n/a" if ml_raw is None else (f"error: {ml_errors[name]}" if name in ml_errors else fmt(ml.get(name, set())))
        c = "n/a" if ckv_raw is None else fmt(ckv[name])
        o = "n/a" if ckv_raw is None else fmt(unmapped[name])
        print(f"| {name} | {fmt(exp) if exp is not None else '?'} | {m} | {c} | {o} |")

    # Summary over (fixture, check id) pairs.
    def pairs(by_file):
        return {(n, c) for n, ids in by_file.items() for c in ids}

    exp_pairs = pairs(expected)
    ml_pairs = pairs({n: ml.get(n, set()) for n in ml}) if ml_raw is not None else None
    ckv_pairs = pairs(ckv) if ckv_raw is not None else None
    print()
    print("| | mlguard | Checkov |")
    print("|---|---|---|")

    def cell(p, fn):
        return "n/a" if p is None else str(fn(p))

    print(f"| true findings reported (of {len(exp_pairs)}) | {cell(ml_pairs, lambda p: len(p & exp_pairs))} | {cell(ckv_pairs, lambda p: len(p & exp_pairs))} |")
    print(f"| false positives (not expected) | {cell(ml_pairs, lambda p: len(p - exp_pairs))} | {cell(ckv_pairs, lambda p: len(p - exp_pairs))} |")
    print(f"| missed | {cell(ml_pairs, lambda p: len(exp_pairs - p))} | {cell(ckv_pairs, lambda p: len(exp_pairs - p))} |")
    if ml_pairs is not None and ckv_pairs is not None:
        only_ml = (ml_pairs - ckv_pairs) & exp_pairs
        only_ckv = (ckv_pairs - ml_pairs) & exp_pairs
        print(f"| true findings only this tool reports | {len(only_ml)} | {len(only_ckv)} |")
        print(f"| true findings both report | {len(ml_pairs & ckv_pairs & exp_pairs)} | |")
    elif ckv_pairs is not None:
        print("\nmlguard was not run, so nothing is compared; the Checkov column stands alone.")

    def listing(title, ps):
        if ps:
            print(f"\n{title}:")
            for n, c in sorted(ps):
                print(f"- {n}: {c}")

    if ml_pairs is not None and ckv_pairs is not None:
        listing("True findings only mlguard reports", (ml_pairs - ckv_pairs) & exp_pairs)
        listing("True findings only Checkov reports", (ckv_pairs - ml_pairs) & exp_pairs)
    if ml_pairs is not None:
        listing("mlguard false positives", ml_pairs - exp_pairs)
        listing("mlguard misses", exp_pairs - ml_pairs)
    if ckv_pairs is not None:
        listing("Checkov false positives (mapped)", ckv_pairs - exp_pairs)
        listing("Checkov misses", exp_pairs - ckv_pairs)


if __name__ == "__main__":
    main()
