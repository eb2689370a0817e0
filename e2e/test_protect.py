"""`mlguard protect` and `mlguard detokenize` as a user runs them: recipes
over CSV, JSON Lines and Parquet (Parquet read back with pyarrow, not with
mlguard), every output checked here in plain Python (HMACs recomputed,
masks re-derived, k-anonymity recounted), token vaults wrapped by a real
`mlguard serve` KMS, and detokenizing refused to a caller without its own
permission — and audited."""

import base64
import collections
import csv
import hashlib
import hmac
import json
import pathlib
import random
import subprocess

import pyarrow as pa
import pyarrow.parquet as pq

from conftest import binary
from kms_helpers import create_key

ADULT = pathlib.Path(__file__).resolve().parent.parent / "crates" / "mlguard-deid" / "data" / "adult"


def run(*args, code=0, env=None):
    proc = subprocess.run([binary(), *map(str, args)], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == code, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    return proc


def people(path, rows=300, seed=3):
    rnd = random.Random(seed)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "email", "ssn", "card", "age", "zip", "admitted", "discharged", "notes",
                    "salary", "diagnosis"])
        for i in range(rows):
            person = rnd.randint(1, rows // 3)  # people come back: joins must survive
            rr = random.Random(person)
            first, last = rr.choice(["Ana", "Bo", "Chen", "Dara"]), rr.choice(["Ng", "Ruiz", "Okafor"])
            ssn = f"{rr.randint(100, 665):03d}-{rr.randint(1, 99):02d}-{rr.randint(1, 9999):04d}"
            month = rnd.randint(1, 9)
            w.writerow([str(person), f"{first} {last}", f"{first.lower()}.{last.lower()}@mail.example", ssn,
                        "4111 1111 1111 1111", str(rr.randint(18, 90)), f"0{rr.randint(2100, 2199)}",
                        f"2024-{month:02d}-0{rnd.randint(1, 9)}", f"2024-{month + 1:02d}-1{rnd.randint(0, 9)}",
                        f"patient SSN {ssn} seen" if i % 2 else "", str(rnd.randint(30, 90) * 1000),
                        rnd.choice(["flu", "cold", "asthma"])])


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_every_column_technique_checked_independently(tmp_path):
    source = tmp_path / "people.csv"
    people(source)
    key = bytes(range(200, 232))
    (tmp_path / "key.bin").write_bytes(key)
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("""
columns: {age: integer, salary: integer, admitted: date, discharged: date}
steps:
  - Action: {Operation: CRYPTOGRAPHIC_HASH, Parameters: {sourceColumns: "[\\"id\\"]"}}
  - Action: {Operation: SUBSTITUTE, Parameters: {sourceColumns: [name], type: NAME}}
  - Action: {Operation: MASK_EMAIL, Parameters: {sourceColumns: [email]}}
  - Action: {Operation: MASK_RANGE, Parameters: {sourceColumns: [ssn], maskSymbol: "*", stop: "-4", alphabet: [SYMBOLS]}}
  - Action: {Operation: GENERALIZE, Parameters: {sourceColumns: [age], method: RANGE, width: 10}}
  - Action: {Operation: GENERALIZE, Parameters: {sourceColumns: [zip], method: PREFIX, keep: 3}}
  - Action: {Operation: SHIFT_DATE, Parameters: {sourceColumns: [admitted, discharged], entityColumn: id, maxDays: 20}}
  - Action: {Operation: REDACT_PII, Parameters: {sourceColumns: [notes], entityTypeFilter: [SSN]}}
  - Action: {Operation: ADD_NOISE, Parameters: {sourceColumns: [salary], epsilon: "0.5", sensitivity: 1000}}
  - Action: {Operation: SHUFFLE_ROWS, Parameters: {sourceColumns: [diagnosis], seed: 7}}
  - Action: {Operation: DELETE, Parameters: {sourceColumns: [card]}}
privacy: {epsilon: 1, quasiIdentifiers: [age, zip]}
""")
    out, report = tmp_path / "out.csv", tmp_path / "report.json"
    run("protect", "--recipe", recipe, "--key-file", tmp_path / "key.bin", source, out, "--report", report)
    before, after = read_csv(source), read_csv(out)
    assert len(after) == len(before) and "card" not in after[0]
    names = {}
    for b, a in zip(before, after):
        # DataBrew's default hash: HMAC-SHA-256 under the secret, hex.
        assert a["id"] == hmac.new(key, b["id"].encode(), hashlib.sha256).hexdigest()
        # The same person gets the same substitute, never their own name.
        assert names.setdefault(b["name"], a["name"]) == a["name"] and a["name"] != b["name"]
        assert a["email"] == b["email"][:3] + "***@" + b["email"].split("@")[1]
        assert a["ssn"] == "***-**-" + b["ssn"][-4:]
        lo = int(b["age"]) // 10 * 10
        assert a["age"] == f"{lo}-{lo + 9}"
        assert a["zip"] == b["zip"][:3] + "**"
        # Shifted by the same days per person: the stay's length is kept.
        from datetime import date
        d = lambda s: date.fromisoformat(s)
        assert (d(a["discharged"]) - d(a["admitted"])) == (d(b["discharged"]) - d(b["admitted"]))
        assert abs((d(a["admitted"]) - d(b["admitted"])).days) <= 20
        if b["notes"]:
            assert a["notes"] == b["notes"].replace(b["ssn"], "[SSN]")
        int(a["salary"])
    shifts = collections.defaultdict(set)
    for b, a in zip(before, after):
        shifts[b["id"]].add((__import__("datetime").date.fromisoformat(a["admitted"]) -
                             __import__("datetime").date.fromisoformat(b["admitted"])).days)
    assert all(len(s) == 1 for s in shifts.values())
    assert len({next(iter(s)) for s in shifts.values()}) > 1
    assert sorted(a["diagnosis"] for a in after) == sorted(b["diagnosis"] for b in before)
    assert [a["diagnosis"] for a in after] != [b["diagnosis"] for b in before]
    r = json.loads(report.read_text())
    assert r["recordsIn"] == r["recordsOut"] == len(before)
    assert r["epsilonSpent"] == "1/2"
    assert r["riskBefore"]["k"] <= r["riskAfter"]["k"]
    assert [s["operation"] for s in r["steps"]][:2] == ["CRYPTOGRAPHIC_HASH", "SUBSTITUTE"]
    # Noise is unbiased: the mean moves by far less than the scale would allow per value.
    mean = lambda rows: sum(int(x["salary"]) for x in rows) / len(rows)
    assert abs(mean(after) - mean(before)) < 2000 * 4
    # A second run with the same key gives the same keyed values (joins across datasets).
    out2 = tmp_path / "out2.csv"
    run("protect", "--recipe", recipe, "--key-file", tmp_path / "key.bin", source, out2)
    again = read_csv(out2)
    assert [a["id"] for a in again] == [a["id"] for a in after]
    assert [a["name"] for a in again] == [a["name"] for a in after]


def test_parquet_and_json_lines_in_and_out(tmp_path):
    table = pa.table({
        "user": pa.array(["u1", "u2", "u3", "u4"]),
        "age": pa.array([34, 41, 29, None], type=pa.int64()),
        "score": pa.array([0.5, 1.25, 2.0, 3.5], type=pa.float64()),
        "zip": pa.array(["02139", "02141", "94110", "10001"]),
    })
    pq.write_table(table, tmp_path / "in.parquet")
    recipe = tmp_path / "r.yaml"
    recipe.write_text("""steps:
  - Action: {Operation: ADD_NOISE, Parameters: {sourceColumns: [age], epsilon: 2, sensitivity: 1}}
  - Action: {Operation: GENERALIZE, Parameters: {sourceColumns: [zip], method: PREFIX, keep: 2}}
  - Action: {Operation: MASK_RANGE, Parameters: {sourceColumns: [user], start: 0, stop: 1}}
""")
    run("protect", "--recipe", recipe, tmp_path / "in.parquet", tmp_path / "out.parquet")
    out = pq.read_table(tmp_path / "out.parquet")
    # Noise on an integer column keeps it an integer column; text transforms write text.
    assert out.schema.field("age").type == pa.int64()
    assert out.schema.field("score").type == pa.float64()
    assert out.column("zip").to_pylist() == ["02***", "02***", "94***", "10***"]
    assert out.column("user").to_pylist() == ["#1", "#2", "#3", "#4"]
    assert out.column("age").to_pylist()[3] is None
    assert out.column("score").to_pylist() == [0.5, 1.25, 2.0, 3.5]
    # Parquet in, JSON Lines out, and back to CSV.
    run("protect", "--recipe", recipe, tmp_path / "in.parquet", tmp_path / "out.jsonl")
    lines = [json.loads(l) for l in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [l["zip"] for l in lines] == ["02***", "02***", "94***", "10***"]
    assert isinstance(lines[0]["age"], int) and lines[3]["age"] is None
    run("protect", "--recipe", recipe, tmp_path / "out.jsonl", tmp_path / "again.csv")
    rows = read_csv(tmp_path / "again.csv")
    assert [r["zip"] for r in rows] == ["02***", "02***", "94***", "10***"]
    # JSON types survive: strings that look like numbers stay strings, numbers stay numbers.
    (tmp_path / "typed.jsonl").write_text(
        '{"user": "a1", "zip": "10001", "n": 5, "x": 1.5, "flag": true, "age": 30}\n'
        '{"user": "a2", "zip": "02139", "n": 6, "x": 2, "flag": false, "age": null}\n')
    run("protect", "--recipe", recipe, tmp_path / "typed.jsonl", tmp_path / "typed-out.jsonl")
    lines = [json.loads(l) for l in (tmp_path / "typed-out.jsonl").read_text().splitlines()]
    assert lines[0]["zip"] == "10***" and lines[0]["n"] == 5 and lines[0]["x"] == 1.5
    assert lines[0]["flag"] is True and lines[1]["flag"] is False and isinstance(lines[0]["age"], int)
    assert lines[0]["user"] == "#1"


def test_bad_input_never_leaves_a_half_written_output(tmp_path):
    source = tmp_path / "people.csv"
    people(source, rows=30)
    out = tmp_path / "out.csv"
    out.write_text("previous\n")
    cases = {
        "unknown column": ("steps:\n  - Action: {Operation: MASK_RANGE, Parameters: {sourceColumns: [nope]}}\n",
                           'no column "nope"'),
        "type mismatch": ("columns: {name: string}\nsteps:\n  - Action: {Operation: ADD_NOISE, Parameters: "
                          "{sourceColumns: [name], epsilon: 1, sensitivity: 1}}\n", "needs numbers"),
        "bad value": ("steps:\n  - Action: {Operation: GENERALIZE, Parameters: {sourceColumns: [name], method: RANGE, "
                      "width: 5}}\n", "record 1"),
        "budget": ("steps:\n  - Action: {Operation: ADD_NOISE, Parameters: {sourceColumns: [age, salary], epsilon: 0.6, "
                   "sensitivity: 1}}\nprivacy: {epsilon: 1}\n", "budget"),
        "unknown operation": ("steps:\n  - Action: {Operation: MASK_EVERYTHING}\n", "unknown operation"),
        "unknown parameter": ("steps:\n  - Action: {Operation: MASK_RANGE, Parameters: {sourceColumns: [ssn], "
                              "strat: 1}}\n", "unknown parameter `strat`"),
        "md5": ("steps:\n  - Action: {Operation: CRYPTOGRAPHIC_HASH, Parameters: {sourceColumns: [ssn], "
                "algorithm: MD5}}\n", "MD5"),
        "no key": ("steps:\n  - Action: {Operation: PSEUDONYMIZE, Parameters: {sourceColumns: [ssn]}}\n",
                   "--key-file"),
        "not yaml": ("steps: [\n", "recipe"),
    }
    for name, (text, message) in cases.items():
        recipe = tmp_path / f"{name.replace(' ', '_')}.yaml"
        recipe.write_text(text)
        proc = run("protect", "--recipe", recipe, source, out, code=2)
        assert message in proc.stderr, (name, proc.stderr)
        assert out.read_text() == "previous\n", name
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3\n")
    ok = tmp_path / "ok.yaml"
    ok.write_text("steps:\n  - Action: {Operation: MASK_RANGE, Parameters: {sourceColumns: [a]}}\n")
    assert "line" in run("protect", "--recipe", ok, ragged, out, code=2).stderr
    assert out.read_text() == "previous\n"
    # A quote never closed would carry the later rows' SSNs, unmasked, into
    # one cell of the last column: refused, nothing written.
    leak = tmp_path / "leak.csv"
    leak.write_text('ssn,note\n123-45-6789,"broken\n111-22-3333,ok\n444-55-6666,ok\n')
    mask = tmp_path / "mask.yaml"
    mask.write_text("steps:\n  - Action: {Operation: MASK_RANGE, Parameters: {sourceColumns: [ssn], stop: -4}}\n")
    assert "never closed" in run("protect", "--recipe", mask, leak, out, code=2).stderr
    # A key file or recipe is small: /dev/zero is refused, not read for ever.
    assert "larger than" in run("protect", "--recipe", mask, "--key-file", "/dev/zero", source, out, code=2).stderr
    assert "larger than" in run("protect", "--recipe", "/dev/zero", source, out, code=2).stderr
    assert out.read_text() == "previous\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def _kms_env(server):
    return server.client_env()


def test_tokenize_and_detokenize_through_kms(server, tmp_path):
    kms = server.client("kms")
    key_id = create_key(kms)["KeyId"]
    source = tmp_path / "people.csv"
    people(source, rows=60)
    recipe = tmp_path / "t.yaml"
    recipe.write_text("""steps:
  - Action: {Operation: TOKENIZE, Parameters: {sourceColumns: [ssn], namespace: people}}
  - Action: {Operation: TOKENIZE, Parameters: {sourceColumns: [card], format: FF1}}
""")
    vault, out, back = tmp_path / "vault.json", tmp_path / "tokens.csv", tmp_path / "back.csv"
    env = _kms_env(server)
    ep = ["--endpoint-url", server.endpoint]
    run("protect", "--recipe", recipe, "--vault", vault, "--vault-key-id", key_id, *ep, source, out, env=env)
    before, tokens = read_csv(source), read_csv(out)
    assert all(t["ssn"].startswith("TKN-") for t in tokens)
    by_value = collections.defaultdict(set)
    for b, t in zip(before, tokens):
        by_value[b["ssn"]].add(t["ssn"])
        assert len(t["card"]) == len(b["card"]) and t["card"].count(" ") == 3 and t["card"] != b["card"]
    assert all(len(v) == 1 for v in by_value.values())
    stored = vault.read_text()
    assert not any(b["ssn"] in stored for b in before) and "4111" not in stored
    assert json.loads(stored)["keySource"] == {"source": "kms", "keyId": key_id}
    run("detokenize", "--vault", vault, *ep, out, back, env=env)
    assert read_csv(back) == before
    # A second run reuses the vault: old values keep their tokens.
    run("protect", "--recipe", recipe, "--vault", vault, *ep, source, tmp_path / "t2.csv", env=env)
    assert [r["ssn"] for r in read_csv(tmp_path / "t2.csv")] == [t["ssn"] for t in tokens]


def test_detokenizing_is_its_own_permission_and_audited(fresh_server, tmp_path):
    server = fresh_server(http=True)
    kms, iam = server.client("kms"), server.client("iam")
    key = create_key(kms)
    iam.create_user(UserName="tokenizer")
    iam.put_user_policy(UserName="tokenizer", PolicyName="tokenize-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": key["Arn"],
            "Condition": {"StringEquals": {"kms:EncryptionContext:mlguard:purpose": "tokenize"}}}]}))
    ak = iam.create_access_key(UserName="tokenizer")["AccessKey"]
    user_env = server.client_env({"AWS_ACCESS_KEY_ID": ak["AccessKeyId"],
                                  "AWS_SECRET_ACCESS_KEY": ak["SecretAccessKey"], "AWS_PROFILE": ""})
    user_env.pop("AWS_PROFILE")
    user_env.pop("AWS_SHARED_CREDENTIALS_FILE")
    source = tmp_path / "people.csv"
    people(source, rows=20)
    recipe = tmp_path / "t.yaml"
    recipe.write_text("steps:\n  - Action: {Operation: TOKENIZE, Parameters: {sourceColumns: [ssn]}}\n")
    vault, out = tmp_path / "vault.json", tmp_path / "tokens.csv"
    ep = ["--endpoint-url", server.endpoint]
    # The root creates the vault (wrapping both keys); the tokenizer may tokenize.
    run("protect", "--recipe", recipe, "--vault", vault, "--vault-key-id", key["KeyId"], *ep, source, out,
        env=server.client_env())
    run("protect", "--recipe", recipe, "--vault", vault, *ep, source, tmp_path / "t2.csv", env=user_env)
    denied = run("detokenize", "--vault", vault, *ep, out, tmp_path / "back.csv", code=2, env=user_env)
    assert "AccessDeniedException" in denied.stderr and "detokenize" in denied.stderr
    assert not (tmp_path / "back.csv").exists()
    run("detokenize", "--vault", vault, *ep, out, tmp_path / "back.csv", env=server.client_env())
    assert read_csv(tmp_path / "back.csv") == read_csv(source)
    server.stop()
    events = [json.loads(l) for l in run("audit", "lookup", server.data_dir, "--event-name", "Decrypt")
              .stdout.splitlines() if l.strip()]
    purposes = [(e["requestParameters"]["encryptionContext"]["mlguard:purpose"], e.get("errorCode"),
                 e["userIdentity"].get("userName")) for e in events]
    assert ("detokenize", "AccessDeniedException", "tokenizer") in purposes, purposes
    assert any(p == "detokenize" and err is None for p, err, _ in purposes), purposes


def _classes(rows, qis):
    classes = collections.defaultdict(list)
    for r in rows:
        classes[tuple(r[q] for q in qis)].append(r)
    return classes


def test_k_anonymity_on_adult_checked_independently(tmp_path):
    qis = ["sex", "age", "race", "marital-status", "education", "native-country", "workclass", "occupation"]
    files = "\n".join(f"    {q}: {ADULT / f'adult_hierarchy_{q}.csv'}" for q in qis)
    mondrian = files.replace(f"    age: {ADULT / 'adult_hierarchy_age.csv'}", "    age: {numeric: true}")
    for k, limit, l, method in ((5, 0.0, None, "FULL_DOMAIN"), (10, 0.05, None, "FULL_DOMAIN"),
                                (5, 0.05, 2, "FULL_DOMAIN"), (5, 0.0, None, "MONDRIAN"),
                                (10, 0.0, 2, "MONDRIAN")):
        recipe = tmp_path / f"k{k}-{method}.yaml"
        diversity = f"\n  sensitive: [salary-class]\n  l: {l}" if l else ""
        hierarchies = mondrian if method == "MONDRIAN" else files
        recipe.write_text(f"privacy:\n  quasiIdentifiers: [{', '.join(qis)}]\n  k: {k}\n  method: {method}\n"
                          f"  suppressionLimit: {limit}{diversity}\n  hierarchies:\n{hierarchies}\n")
        out, report = tmp_path / f"out{k}-{method}.csv", tmp_path / f"r{k}-{method}.json"
        run("protect", "--recipe", recipe, ADULT / "adult.csv", out, "--report", report)
        with open(out, newline="") as f:
            rows = list(csv.DictReader(f, delimiter=";"))
        assert len(rows) == 30162
        suppressed = [r for r in rows if all(r[q] == "*" for q in qis)]
        kept = [r for r in rows if not all(r[q] == "*" for q in qis)]
        assert len(suppressed) <= int(limit * len(rows))
        classes = _classes(kept, qis)
        assert min(len(c) for c in classes.values()) >= k
        if l:
            assert min(len({r["salary-class"] for r in c}) for c in classes.values()) >= l
        r = json.loads(report.read_text())
        assert r["anonymization"]["suppressed"] == len(suppressed)
        assert 0.0 <= r["anonymization"]["loss"] <= 1.0
        assert r["riskAfter"]["records"] == len(rows)


def test_keys_from_secrets_manager_as_databrew_reads_them(server, tmp_path):
    """DataBrew's secretId: the secret's value (base64 in SecretString, or
    SecretBinary) is the HMAC key; fetched from a real Secrets Manager."""
    sm = server.client("secretsmanager")
    key = bytes(range(100, 132))
    name = f"deid-{tmp_path.name}"
    arn = sm.create_secret(Name=name, SecretString=base64.b64encode(key).decode())["ARN"]
    source = tmp_path / "people.csv"
    people(source, rows=10)
    recipe = tmp_path / "h.yaml"
    recipe.write_text(f"""steps:
  - Action: {{Operation: CRYPTOGRAPHIC_HASH, Parameters: {{sourceColumns: [ssn], secretId: "{arn}", algorithm: HMAC_SHA512}}}}
  - Action: {{Operation: DETERMINISTIC_ENCRYPT, Parameters: {{sourceColumns: [email], secretId: "{name}"}}}}
""")
    out = tmp_path / "out.csv"
    run("protect", "--recipe", recipe, "--endpoint-url", server.endpoint, source, out, env=server.client_env())
    for b, a in zip(read_csv(source), read_csv(out)):
        assert a["ssn"] == hmac.new(key, b["ssn"].encode(), hashlib.sha512).hexdigest()
        assert a["email"] != b["email"] and base64.b64decode(a["email"])
    recipe.write_text('steps:\n  - Action: {Operation: CRYPTOGRAPHIC_HASH, Parameters: {sourceColumns: [ssn], '
                      'secretId: "no-such-secret"}}\n')
    err = run("protect", "--recipe", recipe, "--endpoint-url", server.endpoint, source, out, code=2,
              env=server.client_env()).stderr
    assert "ResourceNotFoundException" in err


def test_key_files_must_hold_a_real_key(tmp_path):
    source = tmp_path / "people.csv"
    people(source, rows=5)
    recipe = tmp_path / "p.yaml"
    recipe.write_text("steps:\n  - Action: {Operation: PSEUDONYMIZE, Parameters: {sourceColumns: [ssn]}}\n")
    out = tmp_path / "out.csv"
    for name, content in (("passphrase", b"correct horse battery staple 12345\n"),
                          ("short-hex", b"00112233445566778899aabbccddeeff\n"), ("short", b"\xff" * 16)):
        (tmp_path / name).write_bytes(content)
        err = run("protect", "--recipe", recipe, "--key-file", tmp_path / name, source, out, code=2).stderr
        assert "at least 32 random bytes" in err, (name, err)
    for name, content in (("hex", ("ab" * 32 + "\n").encode()),
                          ("b64", base64.b64encode(bytes(range(200, 232))) + b"\n"), ("raw", bytes(range(200, 232)))):
        (tmp_path / name).write_bytes(content)
        run("protect", "--recipe", recipe, "--key-file", tmp_path / name, source, out)
    # The same key as raw bytes or base64 gives the same pseudonyms.
    run("protect", "--recipe", recipe, "--key-file", tmp_path / "raw", source, tmp_path / "a.csv")
    run("protect", "--recipe", recipe, "--key-file", tmp_path / "b64", source, tmp_path / "b.csv")
    assert read_csv(tmp_path / "a.csv") == read_csv(tmp_path / "b.csv")
