"""The audit trail (CloudTrail-shaped JSON lines under DATA_DIR/audit/): every request
recorded, denied and failed ones with their errorCode, no plaintext ever written, and
tampering detected by `mlguard audit validate`."""

import base64
import json
import uuid

from kms_helpers import create_key, expect_error, run_cli


def lookup(server, event_name=None):
    args = ["audit", "lookup", str(server.data_dir)]
    if event_name:
        args += ["--event-name", event_name]
    proc = run_cli(*args, check=0)
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def validate(server):
    return run_cli("audit", "validate", str(server.data_dir))


def event_files(server):
    return sorted(p for p in (server.data_dir / "audit").rglob("*") if p.is_file() and p.suffix == ".jsonl")


def everything_written(server):
    """(path, bytes) of every file the server wrote: audit log, digests, database, its log."""
    files = [p for p in server.data_dir.rglob("*") if p.is_file()]
    files.append(server.log_path)
    return [(p, p.read_bytes()) for p in files if p.exists()]


def some_calls(kms):
    meta = create_key(kms, Description="audited")
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"audited data")["CiphertextBlob"]
    kms.decrypt(CiphertextBlob=blob)
    kms.generate_data_key(KeyId=meta["KeyId"], KeySpec="AES_256")
    kms.list_keys()
    expect_error(lambda: kms.describe_key(KeyId=str(uuid.uuid4())), "NotFoundException")
    return meta


def test_validate_after_calls(fresh_server):
    server = fresh_server(http=True)
    kms = server.client("kms")
    meta = some_calls(kms)
    running = validate(server)
    assert running.returncode == 0, running.stdout + running.stderr
    server.stop()
    stopped = validate(server)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    events = lookup(server)
    names = [e["eventName"] for e in events]
    for name in ("CreateKey", "Encrypt", "Decrypt", "GenerateDataKey", "ListKeys", "DescribeKey"):
        assert name in names, names
    encrypt = lookup(server, "Encrypt")[-1]
    assert encrypt["eventSource"] == "kms.amazonaws.com"
    assert encrypt["awsRegion"] == "us-east-1"
    assert encrypt["userIdentity"]["arn"] == f"arn:aws:iam::{meta['AWSAccountId']}:root"
    assert encrypt["requestParameters"]["keyId"] == meta["KeyId"]
    assert any(r["ARN"] == meta["Arn"] for r in encrypt["resources"])
    assert "errorCode" not in encrypt
    assert all(e["eventName"] == "Encrypt" for e in lookup(server, "Encrypt"))


def test_every_request_is_one_event(fresh_server):
    server = fresh_server(http=True)
    kms = server.client("kms")
    meta = create_key(kms)
    for _ in range(7):
        kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"count me")
    server.stop()  # the writer flushes every second; stopping flushes now
    assert len(lookup(server, "Encrypt")) == 7
    assert len(lookup(server, "CreateKey")) == 1


def test_no_plaintext_is_ever_written(fresh_server):
    server = fresh_server(http=True)
    kms = server.client("kms")
    marker = f"MLGUARD-SECRET-MARKER-{uuid.uuid4().hex}".encode()
    meta = create_key(kms)
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=marker, EncryptionContext={"ctx": "not secret"})
    assert kms.decrypt(CiphertextBlob=blob["CiphertextBlob"],
                       EncryptionContext={"ctx": "not secret"})["Plaintext"] == marker
    kms.re_encrypt(CiphertextBlob=blob["CiphertextBlob"], SourceEncryptionContext={"ctx": "not secret"},
                   DestinationKeyId=meta["KeyId"])
    secrets = [marker]
    data_key = kms.generate_data_key(KeyId=meta["KeyId"], KeySpec="AES_256")["Plaintext"]
    secrets.append(data_key)
    secrets.append(kms.decrypt(CiphertextBlob=kms.generate_data_key_without_plaintext(
        KeyId=meta["KeyId"], NumberOfBytes=48)["CiphertextBlob"])["Plaintext"])
    secrets.append(kms.generate_random(NumberOfBytes=40)["Plaintext"])
    pair = kms.generate_data_key_pair(KeyId=meta["KeyId"], KeyPairSpec="ECC_NIST_P256")
    secrets.append(pair["PrivateKeyPlaintext"])
    # A failed Encrypt still carries a plaintext.
    kms.disable_key(KeyId=meta["KeyId"])
    expect_error(lambda: kms.encrypt(KeyId=meta["KeyId"], Plaintext=marker), "DisabledException")
    forms = []
    for secret in secrets:
        forms += [secret, base64.b64encode(secret), secret.hex().encode()]
    forms.append(base64.b64encode(marker)[:40])

    def check():
        written = everything_written(server)
        assert any("audit" in str(p) for p, _ in written)
        for path, content in written:
            for form in forms:
                assert form not in content, f"a plaintext ({form[:24]!r}...) is in {path}"

    check()
    server.stop()
    check()
    assert lookup(server, "Encrypt"), "the Encrypt calls were audited"


def test_denied_request_is_audited(fresh_server):
    server = fresh_server(http=True)
    kms = server.client("kms")
    meta = create_key(kms)
    account = meta["AWSAccountId"]
    kms.put_key_policy(KeyId=meta["KeyId"], Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*",
         "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*"}]}))
    expect_error(lambda: kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"denied"), "AccessDeniedException")
    server.stop()
    events = lookup(server, "Encrypt")
    assert len(events) == 1
    denied = events[0]
    assert denied["errorCode"] in ("AccessDenied", "AccessDeniedException"), denied
    assert denied.get("errorMessage")
    assert denied["requestParameters"]["keyId"] == meta["KeyId"]
    assert "responseElements" not in denied or denied["responseElements"] is None


def test_failed_request_is_audited(fresh_server):
    server = fresh_server(http=True)
    kms = server.client("kms")
    missing = str(uuid.uuid4())
    response = expect_error(lambda: kms.describe_key(KeyId=missing), "NotFoundException")
    meta = create_key(kms)
    kms.disable_key(KeyId=meta["KeyId"])
    expect_error(lambda: kms.generate_data_key(KeyId=meta["KeyId"], KeySpec="AES_256"), "DisabledException")
    server.stop()
    described = lookup(server, "DescribeKey")
    assert len(described) == 1
    assert described[0]["errorCode"] == "NotFoundException"
    assert described[0]["errorMessage"] == response["Error"]["Message"]
    generated = lookup(server, "GenerateDataKey")
    assert len(generated) == 1 and generated[0]["errorCode"] == "DisabledException"


def stopped_server_with_events(fresh_server):
    server = fresh_server(http=True)
    some_calls(server.client("kms"))
    server.stop()
    result = validate(server)
    assert result.returncode == 0, result.stdout + result.stderr
    files = event_files(server)
    assert files
    return server, files


def test_one_changed_byte_is_detected(fresh_server):
    server, files = stopped_server_with_events(fresh_server)
    path = files[0]
    content = bytearray(path.read_bytes())
    position = content.index(b'"eventName":"CreateKey"') + len(b'"eventName":"')
    content[position] = ord("D")  # CreateKey -> DreateKey
    path.write_bytes(bytes(content))
    result = validate(server)
    assert result.returncode == 1, result.stdout + result.stderr


def test_changed_source_ip_is_detected(fresh_server):
    server, files = stopped_server_with_events(fresh_server)
    path = files[-1]
    text = path.read_bytes()
    assert b"127.0.0.1" in text
    path.write_bytes(text.replace(b"127.0.0.1", b"127.0.0.2", 1))
    assert validate(server).returncode == 1


def test_deleted_event_is_detected(fresh_server):
    server, files = stopped_server_with_events(fresh_server)
    path = files[0]
    lines = path.read_bytes().splitlines(keepends=True)
    assert len(lines) >= 3
    del lines[1]
    path.write_bytes(b"".join(lines))
    assert validate(server).returncode == 1


def test_a_log_whose_digests_are_gone_is_not_called_intact(fresh_server):
    # Deleting every digest (then rewriting events with their chain recomputed)
    # leaves nothing signed: the verdict is "cannot be verified", status 1.
    server, _ = stopped_server_with_events(fresh_server)
    for digest in (server.data_dir / "audit" / "digests").rglob("*"):
        if digest.is_file():
            digest.unlink()
    result = validate(server)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "cannot be verified" in result.stdout and "intact" not in result.stdout


def test_truncated_log_is_detected(fresh_server):
    server, files = stopped_server_with_events(fresh_server)
    path = files[-1]
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]))
    assert validate(server).returncode == 1


def test_tls_details_name_the_connection(fresh_server):
    server = fresh_server()  # https
    kms = server.client("kms")
    kms.list_keys()
    server.stop()
    event = lookup(server, "ListKeys")[-1]
    details = event["tlsDetails"]
    assert details["tlsVersion"] == "TLSv1.3", details
    # CloudTrail's names: the RFC 8446 name for TLS 1.3 suites.
    assert details["cipherSuite"] in ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                      "TLS_CHACHA20_POLY1305_SHA256"), details
    assert details["clientProvidedHostHeader"].startswith("127.0.0.1:"), details


def test_request_parameters_keep_encryption_context_keys(fresh_server):
    # CloudTrail camelCases member names but not the caller's context keys.
    server = fresh_server(http=True)
    kms = server.client("kms")
    meta = create_key(kms)
    kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"ctx", EncryptionContext={"Department": "IT", "ProjectID": "p1"})
    server.stop()
    params = lookup(server, "Encrypt")[-1]["requestParameters"]
    assert params["encryptionContext"] == {"Department": "IT", "ProjectID": "p1"}, params
    assert params["keyId"] == meta["KeyId"]
    assert params["plaintext"] == "HIDDEN_DUE_TO_SECURITY_REASONS"


def signed_query(server, body, query="", service="iam"):
    """A signed awsQuery POST whose form body (and URL query string) are exactly these."""
    import botocore.awsrequest
    from kms_helpers import send, sign
    request = botocore.awsrequest.AWSRequest(
        method="POST", url=f"{server.endpoint}/{'?' + query if query else ''}", data=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    akid, secret = server.credentials()
    return send(server, sign(request, akid, secret, service=service))


def test_request_parameters_are_the_ones_the_operation_read(fresh_server):
    # A repeated parameter takes its first value, and the URL's query string
    # counts too: the event records what was done, not another reading of it.
    server = fresh_server(http=True)
    suffix = uuid.uuid4().hex[:8]
    assert signed_query(server, f"Action=CreateUser&UserName=first{suffix}&UserName=second{suffix}"
                                "&Version=2010-05-08").status == 200
    assert signed_query(server, "Action=CreateUser&Version=2010-05-08", query=f"UserName=inurl{suffix}").status == 200
    names = {u["UserName"] for u in server.client("iam").list_users()["Users"]}
    assert {f"first{suffix}", f"inurl{suffix}"} <= names and f"second{suffix}" not in names
    # (Events reach the log a moment after the response.)
    from helpers import audit_text, wait_for
    assert wait_for(lambda: f"inurl{suffix}" in audit_text(server))
    events = [json.loads(line)["event"] for line in audit_text(server).splitlines()]
    created = [e["requestParameters"]["userName"] for e in events if e["eventName"] == "CreateUser"]
    assert sorted(created) == sorted([f"first{suffix}", f"inurl{suffix}"])


def test_a_query_request_without_action_is_missing_action(fresh_server):
    server = fresh_server(http=True)
    for service in ("iam", "sts"):
        response = signed_query(server, "Version=2010-05-08", service=service)
        assert response.status == 400
        assert b"<Code>MissingAction</Code>" in response.body and b"<ErrorResponse" in response.body


def test_lookup_in_a_directory_without_a_log_is_an_error(tmp_path):
    proc = run_cli("audit", "lookup", str(tmp_path / "nowhere"), check=2)
    assert "no audit log" in proc.stderr
