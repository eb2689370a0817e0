"""`mlguard scan` as a user runs it: text, CSV, JSON Lines and gzip files in a
directory tree, every output format, custom identifiers, sampling, malformed
input, and the exit status that gates a CI pipeline."""

import gzip
import json
import pathlib
import subprocess

import pytest

from conftest import binary


def scan(*args, check_code=None):
    proc = subprocess.run([binary(), "scan", *map(str, args)], capture_output=True, text=True, timeout=120)
    if check_code is not None:
        assert proc.returncode == check_code, proc.stderr
    return proc


@pytest.fixture()
def tree(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "people.csv").write_text(
        "id,name,email,ssn,notes\n"
        "1,John Smith,john@example.com,536-22-8451,card 4111 1111 1111 1111\n"
        "2,Jane Roe,jane@example.org,,nothing here\n")
    (tmp_path / "sub" / "events.jsonl").write_text(
        '{"user":{"email":"a@b.io","phone":"(555) 234-5678"},"password":"hunter22"}\n'
        "this line is not json\n"
        '{"ok":1}\n')
    with gzip.open(tmp_path / "sub" / "notes.txt.gz", "wt") as f:
        f.write("Contact Maria Garcia at maria@example.com\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe not utf-8\nSSN 536-22-8451\n")
    (tmp_path / "clean.txt").write_text("The model reached 0.93 accuracy after 12 epochs.\n")
    return tmp_path


def test_json_report_groups_by_file_type_and_field(tree):
    report = json.loads(scan(tree, "--format", "json", check_code=0).stdout)
    files = {f["path"].split("/")[-1]: f for f in report["files"]}
    assert set(files) == {"people.csv", "events.jsonl", "notes.txt.gz", "bad.txt", "clean.txt"}
    csv = {(g["type"], g.get("field")): g for g in files["people.csv"]["findings"]}
    assert set(csv) == {("NAME", "name"), ("EMAIL", "email"), ("SSN", "ssn"), ("CREDIT_DEBIT_NUMBER", "notes")}
    assert csv[("EMAIL", "email")]["count"] == 2
    assert csv[("SSN", "ssn")]["severity"] == "HIGH"
    assert csv[("SSN", "ssn")]["locations"][0]["line"] == 2
    jsonl = files["events.jsonl"]
    assert jsonl["malformed"] == 1 and jsonl["records"] == 2
    assert {(g["type"], g["field"]) for g in jsonl["findings"]} == {
        ("EMAIL", "user.email"), ("PHONE", "user.phone"), ("PASSWORD", "password")}
    notes = files["notes.txt.gz"]
    assert notes["gzip"] is True
    kinds = {g["type"]: g for g in notes["findings"]}
    assert set(kinds) == {"NAME", "EMAIL", "AWS_ACCESS_KEY"}
    assert kinds["AWS_ACCESS_KEY"]["locations"][0] == {"line": 2, "byteOffset": 62}
    assert files["bad.txt"]["malformed"] == 1
    assert [g["type"] for g in files["bad.txt"]["findings"]] == ["SSN"]
    assert files["clean.txt"]["findings"] == []
    assert report["summary"]["maxSeverity"] == "HIGH"
    # Samples are masked: no raw value anywhere in the report.
    text = json.dumps(report)
    for raw in ("536-22-8451", "4111 1111 1111 1111", "john@example.com", "hunter22", "AKIAIOSFODNN7EXAMPLE",
                "Maria Garcia"):
        assert raw not in text


def test_table_output_and_fail_on_gates(tree):
    out = scan(tree, check_code=0).stdout
    assert "people.csv" in out and "CREDIT_DEBIT_NUMBER" in out and "**** **** **** 1111" in out
    assert out.strip().endswith("5 files, 13 findings")
    scan(tree, "--fail-on", "high", check_code=1)
    scan(tree / "clean.txt", "--fail-on", "low", check_code=0)
    scan(tree / "sub" / "events.jsonl", "--fail-on", "high", check_code=1)
    scan(tree / "people.csv", "--fail-on", "medium", "--min-score", "1", check_code=0)


def test_table_names_formats_and_counts_records(tree):
    out = scan(tree, check_code=0).stdout
    assert "people.csv (CSV, 2 records)" in out
    assert "events.jsonl (JSON Lines, 2 records, 1 malformed skipped)" in out
    assert "notes.txt.gz (text, gzip, 2 records)" in out
    assert "clean.txt (text, 1 record)" in out


@pytest.mark.parametrize("fmt", ["table", "json", "sarif"])
def test_a_reader_that_goes_away_stops_the_scan_quietly(tree, fmt):
    # `mlguard scan ... | head -c 10`: the report (300 files) is larger than a
    # pipe's buffer, the reader closes early; the scan ends as after SIGPIPE,
    # printing nothing.
    for i in range(300):
        (tree / f"more-{i}.txt").write_text(f"SSN 536-22-{1000 + i:04d} and mail person{i}@example.com\n")
    proc = subprocess.Popen([binary(), "scan", str(tree), "--format", fmt],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert len(proc.stdout.read(10)) == 10
    proc.stdout.close()
    stderr = proc.stderr.read()
    assert proc.wait(timeout=120) == 141, stderr
    assert stderr == b""


def test_sarif_output(tree):
    sarif = json.loads(scan(tree, "--format", "sarif", check_code=0).stdout)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    assert run["tool"]["driver"]["name"] == "mlguard"
    rules = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert {"SSN", "EMAIL", "AWS_ACCESS_KEY"} <= rules
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["SSN"] == "error" and levels["EMAIL"] == "warning"
    loc = run["results"][0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] and loc["region"]["startLine"] >= 1
    assert all(r["ruleId"] in rules for r in run["results"])


def test_custom_identifiers_and_sampling(tree, tmp_path):
    (tree / "hr.txt").write_text("employee EMP-123456 joined\nEMP-654321 without keyword\n" * 50)
    custom = tmp_path / "custom.json"
    custom.write_text(json.dumps({"customDataIdentifiers": [
        {"name": "EMPLOYEE_ID", "regex": "EMP-[0-9]{6}", "keywords": ["employee"], "maximumMatchDistance": 15,
         "severityLevels": [{"occurrencesThreshold": 1, "severity": "HIGH"}]}]}))
    report = json.loads(scan(tree / "hr.txt", "--custom", custom, "--format", "json", check_code=0).stdout)
    groups = report["files"][0]["findings"]
    assert [(g["type"], g["count"], g["severity"]) for g in groups] == [("EMPLOYEE_ID", 50, "HIGH")]
    sampled = json.loads(scan(tree / "hr.txt", "--custom", custom, "--format", "json", "--sample-rate", "0.2",
                              check_code=0).stdout)["files"][0]
    assert 5 <= sampled["records"] <= 40
    again = json.loads(scan(tree / "hr.txt", "--custom", custom, "--format", "json", "--sample-rate", "0.2",
                            check_code=0).stdout)["files"][0]
    assert again == sampled
    bad = tmp_path / "bad.json"
    bad.write_text('[{"name": "x", "regex": "("}]')
    proc = scan(tree, "--custom", bad, check_code=2)
    assert "does not compile" in proc.stderr


def test_bad_arguments_and_missing_files(tree):
    assert "--sample-rate" in scan(tree, "--sample-rate", "0", check_code=2).stderr
    assert "--min-score" in scan(tree, "--min-score", "2", check_code=2).stderr
    # A named path that does not exist is reported, and the status says the
    # command was unusable, whatever --fail-on says (a typo must not pass a gate).
    proc = scan(tree / "nope", tree / "clean.txt", "--format", "json", "--fail-on", "high", check_code=2)
    report = json.loads(proc.stdout)
    missing = [f for f in report["files"] if f["path"].endswith("nope")][0]
    assert "No such file" in missing["error"]
    assert report["summary"]["notScanned"] == 1
    assert "not found" in proc.stderr and "nope" in proc.stderr


def test_parquet(tmp_path):
    """e2e/data/customers.parquet is written by mlguard-pii's tests (see
    `write_parquet_fixture`): Snappy pages, an SSN stored as a number, a nested group."""
    import shutil
    import pathlib
    fixture = pathlib.Path(__file__).parent / "data" / "customers.parquet"
    shutil.copy(fixture, tmp_path / "customers.parquet")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    report = json.loads(scan(tmp_path, "--format", "json", "--fail-on", "high", check_code=1).stdout)
    files = {f["path"].split("/")[-1]: f for f in report["files"]}
    good = files["customers.parquet"]
    assert good["format"] == "parquet" and good["records"] == 3
    assert {(g["type"], g["field"]) for g in good["findings"]} == {
        ("NAME", "name"), ("EMAIL", "email"), ("SSN", "ssn"), ("ADDRESS", "address.street"),
        ("CREDIT_DEBIT_NUMBER", "notes")}
    assert "byteOffset" not in good["findings"][0]["locations"][0]
    assert "not a Parquet file" in files["broken.parquet"]["error"]
    sarif = json.loads(scan(tmp_path / "customers.parquet", "--format", "sarif", check_code=0).stdout)
    assert sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}


def test_symbolic_link_loops_are_walked_once(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("SSN 536-22-8451\n")
    for name in ("l1", "l2"):
        (tmp_path / "d" / name).symlink_to(".")
    (tmp_path / "d" / "up").symlink_to("../d")
    report = json.loads(scan(tmp_path, "--format", "json", check_code=0).stdout)
    assert [f["path"] for f in report["files"]] == [str(tmp_path / "d" / "a.txt")]


def test_a_corrupt_parquet_file_is_reported_and_the_scan_goes_on(tmp_path):
    good = (pathlib.Path(__file__).parent / "data" / "customers.parquet").read_bytes()
    # Bytes of the footer's metadata changed: the parquet crate's decoder panics
    # on these; the file must be reported, not the run lost.
    bad = bytearray(good)
    bad[133], bad[383] = 98, 192
    (tmp_path / "bad.parquet").write_bytes(bytes(bad))
    (tmp_path / "good.txt").write_text("SSN 536-22-8451\n")
    for threads in ("1", "2"):
        proc = scan(tmp_path, "--format", "json", "--threads", threads, check_code=0)
        files = {pathlib.Path(f["path"]).name: f for f in json.loads(proc.stdout)["files"]}
        assert "Parquet" in files["bad.parquet"]["error"]
        assert files["good.txt"]["findings"][0]["type"] == "SSN"


def test_one_endless_line_is_read_in_bounded_parts(tmp_path):
    # 64 MiB of one line, gzip-compressed to a few dozen kB: read in parts, as
    # one record, its finding at its true offset.
    path = tmp_path / "bomb.txt.gz"
    with gzip.open(path, "wb") as f:
        chunk = b"\0" * (1 << 20)
        for _ in range(64):
            f.write(chunk)
        f.write(b" ssn 536-22-8451\n")
    report = json.loads(scan(path, "--format", "json", check_code=0).stdout)
    (only,) = report["files"]
    assert only["records"] == 1
    assert only["findings"][0]["locations"][0] == {"byteOffset": (64 << 20) + 5, "line": 1}


def test_custom_identifiers_cannot_take_a_built_in_name(tree, tmp_path):
    custom = tmp_path / "custom.json"
    custom.write_text(json.dumps([{"name": "SSN", "regex": "EMP-[0-9]{6}",
                                   "severityLevels": [{"occurrencesThreshold": 1, "severity": "LOW"}]}]))
    assert "built-in" in scan(tree, "--custom", custom, check_code=2).stderr


def test_sarif_uris_are_uri_references(tmp_path):
    (tmp_path / "a b#c%d.txt").write_text("SSN 536-22-8451\n")
    sarif = json.loads(scan(tmp_path, "--format", "sarif", check_code=0).stdout)
    uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.startswith("file://") and uri.endswith("/a%20b%23c%25d.txt")


def test_csv_locations_are_lines_of_the_file(tmp_path):
    # A quoted field spans lines: the next record starts on line 5, not "row 3".
    (tmp_path / "notes.csv").write_text('id,notes\n1,"multi\nline\nnote"\n2,SSN 536-22-8451\n')
    report = json.loads(scan(tmp_path, "--format", "json", check_code=0).stdout)
    assert report["files"][0]["findings"][0]["locations"][0]["line"] == 5


def test_a_file_read_partway_reports_what_was_read_in_every_format(tmp_path):
    rows = "".join(f"{i},SSN 536-22-{8000 + i % 1000:04d}\n" for i in range(20000))
    whole = gzip.compress(("id,notes\n" + rows).encode())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(whole[: len(whole) // 2])
    table = scan(path, "--fail-on", "high", check_code=1).stdout
    assert "stopped partway" in table and "SSN" in table
    report = json.loads(scan(path, "--format", "json", check_code=0).stdout)
    assert report["files"][0]["error"] and report["files"][0]["findings"][0]["count"] > 0


@pytest.mark.parametrize("fmt", ["table", "json", "sarif"])
def test_field_names_that_are_data_are_masked(tmp_path, fmt):
    # No header row: the first row's values become column names; JSON keys can
    # be values too. Neither reaches a report raw.
    (tmp_path / "nohdr.csv").write_text("John Smith,536-22-8451,zoe@example.com,4111111111111111\n"
                                        "Jane Roe,123-45-6789,a@b.io,5500000000000004\n")
    (tmp_path / "keys.jsonl").write_text('{"users":{"zoe@example.com":{"ssn":"536-22-8451"}}}\n')
    out = scan(tmp_path, "--format", fmt, check_code=0).stdout
    for raw in ("536-22-8451", "zoe@example.com", "4111111111111111", "John Smith", "123-45-6789"):
        assert raw not in out, (raw, out)
