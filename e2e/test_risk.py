"""`mlguard risk` against an independent checker: the equivalence classes, k,
the share of records at risk, distinct l-diversity and t-closeness of a
generated table, computed here in plain Python from the file itself (no code
shared with the engine), must equal what the command reports."""

import collections
import json
import random
import subprocess

from conftest import binary


def risk(*args, code=0):
    proc = subprocess.run([binary(), "risk", *map(str, args)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == code, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    return proc


def generate(path, rows, seed):
    rnd = random.Random(seed)
    with open(path, "w") as f:
        f.write("zip;age;sex;diagnosis;income\n")
        for _ in range(rows):
            zip_ = rnd.choice(["13053", "13068", "14850", "14853", "1305*", ""])
            age = str(rnd.choice([rnd.randint(18, 90), rnd.randint(20, 30)]))
            sex = rnd.choice(["F", "M"])
            diagnosis = rnd.choice(["flu", "cancer", "heart", "flu", "flu"])
            income = str(rnd.randint(10, 40) * 1000)
            f.write(";".join([zip_, age, sex, diagnosis, income]) + "\n")


def independent(path, qis, sensitive, threshold):
    with open(path) as f:
        header = f.readline().rstrip("\n").split(";")
        rows = [dict(zip(header, line.rstrip("\n").split(";"))) for line in f]
    classes = collections.defaultdict(list)
    for r in rows:
        classes[tuple(r[q] for q in qis)].append(r)
    n = len(rows)
    k = min(len(c) for c in classes.values())
    at_risk = sum(len(c) for c in classes.values() if 1 / len(c) > threshold)
    overall = collections.Counter(r[sensitive] for r in rows)
    distinct_l = min(len({r[sensitive] for r in c}) for c in classes.values())
    t = 0.0
    for c in classes.values():
        counts = collections.Counter(r[sensitive] for r in c)
        d = 0.5 * sum(abs(overall[v] / n - counts[v] / len(c)) for v in overall)
        t = max(t, d)
    return {"records": n, "classes": len(classes), "k": k, "at_risk": at_risk, "l": distinct_l, "t": t}


def test_risk_matches_an_independent_count(tmp_path):
    path = tmp_path / "patients.csv"
    generate(path, 5000, seed=7)
    for qis, threshold in ((["zip", "sex"], 0.2), (["zip", "age", "sex"], 0.5), (["age"], 0.1)):
        want = independent(path, qis, "diagnosis", threshold)
        got = json.loads(risk(path, "--quasi-identifiers", ",".join(qis), "--sensitive", "diagnosis",
                              "--threshold", threshold, "--format", "json").stdout)
        assert got["records"] == want["records"]
        assert got["classes"] == want["classes"]
        assert got["k"] == got["smallestClassSize"] == want["k"]
        assert got["prosecutor"]["recordsAtRisk"] == want["at_risk"]
        assert abs(got["prosecutor"]["shareAtRisk"] - want["at_risk"] / want["records"]) < 1e-12
        assert abs(got["prosecutor"]["highestRisk"] - 1 / want["k"]) < 1e-12
        assert got["sensitive"]["distinctL"] == want["l"]
        assert got["sensitive"]["distance"] == "equal"
        assert abs(got["sensitive"]["tCloseness"] - want["t"]) < 1e-9
    # A numeric sensitive attribute is judged by the ordered distance.
    got = json.loads(risk(path, "--quasi-identifiers", "zip", "--sensitive", "income", "--format", "json").stdout)
    assert got["sensitive"]["distance"] == "ordered"
    table = risk(path, "--quasi-identifiers", "zip,sex").stdout
    assert "k = " in table and "prosecutor" in table


def test_bad_input_is_a_clear_error(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n3,4,5\n")
    assert "line" in risk(path, "--quasi-identifiers", "a", code=2).stderr
    path.write_text("a,b\n1,2\n")
    err = risk(path, "--quasi-identifiers", "zip", code=2).stderr
    assert 'no column "zip"' in err and "a, b" in err
    risk(path, "--quasi-identifiers", "a", "--threshold", "1.5", code=2)
    risk(tmp_path / "missing.csv", "--quasi-identifiers", "a", code=2)


def test_json_lines_and_parquet_measure_as_the_same_table_in_csv(tmp_path):
    csv_path = tmp_path / "patients.csv"
    generate(csv_path, 2000, seed=11)
    with open(csv_path) as f:
        header = f.readline().rstrip("\n").split(";")
        rows = [dict(zip(header, line.rstrip("\n").split(";"))) for line in f]
    jsonl = tmp_path / "patients.jsonl"
    with open(jsonl, "w") as f:
        for r in rows:
            # Empty CSV fields are nulls; in JSON they are null.
            f.write(json.dumps({k: (v if v != "" else None) for k, v in r.items()}) + "\n")
    args = ("--quasi-identifiers", "zip,age,sex", "--sensitive", "diagnosis", "--format", "json")
    a = json.loads(risk(csv_path, *args).stdout)
    b = json.loads(risk(jsonl, *args).stdout)
    assert a == b
    # The same table as Parquet (written by pyarrow, typed: age an integer) measures the same.
    import pyarrow as pa
    import pyarrow.parquet as pq
    with open(csv_path) as f:
        header = f.readline().rstrip("\n").split(";")
        cols = list(zip(*(line.rstrip("\n").split(";") for line in f)))
    arrays = {h: pa.array([v or None for v in c]) for h, c in zip(header, cols)}
    arrays["age"] = pa.array([int(v) if v else None for v in cols[header.index("age")]], type=pa.int32())
    pq.write_table(pa.table(arrays), tmp_path / "t.parquet")
    assert json.loads(risk(tmp_path / "t.parquet", *args).stdout) == a
    (tmp_path / "broken.parquet").write_bytes(b"PAR1")
    assert "not a Parquet file" in risk(tmp_path / "broken.parquet", "--quasi-identifiers", "a", code=2).stderr
    (tmp_path / "bad.jsonl").write_text('{"a": 1}\n[2]\n')
    assert "line 2" in risk(tmp_path / "bad.jsonl", "--quasi-identifiers", "a", code=2).stderr


def test_a_corrupt_parquet_file_is_refused_not_a_crash(tmp_path):
    # Two bytes of the footer changed: the parquet crate panics decoding it.
    import pathlib
    good = (pathlib.Path(__file__).parent / "data" / "customers.parquet").read_bytes()
    bad = bytearray(good)
    bad[133], bad[383] = 98, 192
    path = tmp_path / "bad.parquet"
    path.write_bytes(bytes(bad))
    proc = risk(path, "--quasi-identifiers", "name", code=2)
    assert "corrupt" in proc.stderr
