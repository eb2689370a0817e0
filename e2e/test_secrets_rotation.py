"""Secrets Manager rotation: AWS's four-step protocol run against a Lambda-style
Python function registered with --rotation-function (run unchanged, with a role's
temporary credentials), the built-in random-password function, failures that leave
AWSPENDING, and schedules run by the server's scheduler."""

import json
import pathlib
import stat
import time

import pytest

from helpers import audit_events, audit_text, error_of, wait_for

HERE = pathlib.Path(__file__).resolve().parent
FUNCTION = HERE / "rotation" / "lambda_function.py"


def wait_rotated(sm, name, old_current, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
        current = [v for v, s in stages.items() if "AWSCURRENT" in s]
        if current and current[0] != old_current and not any("AWSPENDING" in s for s in stages.values()):
            return current[0]
        time.sleep(0.2)
    raise AssertionError(f"not rotated: {sm.describe_secret(SecretId=name)['VersionIdsToStages']}")


@pytest.fixture()
def rotating(fresh_server, tmp_path):
    failing = tmp_path / "fail.sh"
    failing.write_text("#!/bin/sh\ncat > /dev/null\nexit 3\n")
    failing.chmod(failing.stat().st_mode | stat.S_IXUSR)
    return fresh_server(http=True, extra=(
        "--test-controls",
        "--rotation-function", f"db-rotator=python:{FUNCTION},role=rotation-role",
        "--rotation-function", f"broken=exec:{failing}",
    ))


def lambda_arn(server, name):
    account = server.client("sts").get_caller_identity()["Account"]
    return f"arn:aws:lambda:us-east-1:{account}:function:{name}"


def test_python_lambda_function_rotates_a_database_password(rotating, tmp_path):
    server = rotating
    iam, sm = server.client("iam"), server.client("secretsmanager")
    db = tmp_path / "db.json"
    first = sm.create_secret(Name="prod/app-db", SecretString=json.dumps(
        {"username": "app", "password": "initial", "dbfile": str(db)}))
    # The function's execution role: trusted by Lambda, allowed this secret only.
    iam.create_role(RoleName="rotation-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName="rotation-role", PolicyName="rotate", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                                           "secretsmanager:PutSecretValue",
                                           "secretsmanager:UpdateSecretVersionStage"],
             "Resource": first["ARN"]},
            {"Effect": "Allow", "Action": "secretsmanager:GetRandomPassword", "Resource": "*"}]}))
    started = sm.rotate_secret(SecretId="prod/app-db", RotationLambdaARN=lambda_arn(server, "db-rotator"),
                               RotationRules={"AutomaticallyAfterDays": 30})
    token = started["VersionId"]
    current = wait_rotated(sm, "prod/app-db", first["VersionId"])
    assert current == token
    new = json.loads(sm.get_secret_value(SecretId="prod/app-db")["SecretString"])
    assert new["username"] == "app" and new["password"] != "initial" and len(new["password"]) == 32
    assert json.loads(db.read_text()) == {"user": "app", "password": new["password"]}
    previous = json.loads(sm.get_secret_value(SecretId="prod/app-db", VersionStage="AWSPREVIOUS")["SecretString"])
    assert previous["password"] == "initial"
    described = sm.describe_secret(SecretId="prod/app-db")
    assert described["RotationEnabled"] and described["RotationLambdaARN"].endswith(":function:db-rotator")
    assert described["RotationRules"]["AutomaticallyAfterDays"] == 30
    # The next window opens at midnight UTC of the day 30 days on.
    next_at = described["NextRotationDate"].timestamp()
    assert next_at % 86400 == 0
    assert 29 * 86400 < next_at - described["LastRotatedDate"].timestamp() <= 30 * 86400
    # The rotation ran as the function's role, audited as such.
    text = audit_text(server)
    puts = [json.loads(line)["event"] for line in text.splitlines() if '"PutSecretValue"' in line]
    assert puts and puts[-1]["userIdentity"]["arn"].startswith("arn:aws:sts::")
    assert ":assumed-role/rotation-role/" in puts[-1]["userIdentity"]["arn"]
    assert new["password"] not in text
    # RotateImmediately=False tests the function (testSecret on a copy of the
    # current value) and changes nothing.
    tested = sm.rotate_secret(SecretId="prod/app-db", RotateImmediately=False)
    assert "VersionId" not in tested
    wait_for(lambda: not any("AWSPENDING" in s for s in sm.describe_secret(
        SecretId="prod/app-db")["VersionIdsToStages"].values()), timeout=30, interval=0.2)
    stages = sm.describe_secret(SecretId="prod/app-db")["VersionIdsToStages"]
    assert stages[current] == ["AWSCURRENT"] and not any("AWSPENDING" in s for s in stages.values())
    assert json.loads(sm.get_secret_value(SecretId="prod/app-db")["SecretString"]) == new


def test_builtin_random_password_and_schedules(rotating):
    server = rotating
    sm = server.client("secretsmanager")
    first = sm.create_secret(Name="api-key", SecretString="initial-key")
    sm.rotate_secret(SecretId="api-key", RotationLambdaARN=lambda_arn(server, "mlguard-rotate-random-password"),
                     RotationRules={"ScheduleExpression": "rate(1 days)"})
    second = wait_rotated(sm, "api-key", first["VersionId"])
    value = sm.get_secret_value(SecretId="api-key")["SecretString"]
    assert value != "initial-key" and len(value) == 32
    # A day on, the scheduler rotates again by itself.
    assert server.post("/_mlguard/clock?advance=86401") == 200
    assert server.post("/_mlguard/scheduler/run") == 200
    assert server.post("/_mlguard/clock?advance=-86401") == 200
    third = wait_rotated(sm, "api-key", second)
    assert sm.get_secret_value(SecretId="api-key")["SecretString"] not in (value, "initial-key")
    assert third != second
    # Cancelled, it rotates no more.
    sm.cancel_rotate_secret(SecretId="api-key")
    assert sm.describe_secret(SecretId="api-key")["RotationEnabled"] is False
    # cron(): 16:00 UTC on the 1st and the 15th (AWS's example), without rotating now.
    sm.rotate_secret(SecretId="api-key", RotateImmediately=False,
                     RotationRules={"ScheduleExpression": "cron(0 16 1,15 * ? *)", "Duration": "2h"})
    described = sm.describe_secret(SecretId="api-key")
    when = described["NextRotationDate"]
    assert described["RotationEnabled"] and when.day in (1, 15) and (when.hour, when.minute) == (16, 0)
    assert described["RotationRules"]["ScheduleExpression"] == "cron(0 16 1,15 * ? *)"
    assert sm.get_secret_value(SecretId="api-key")["VersionId"] == third
    assert error_of(sm.rotate_secret, SecretId="api-key", RotateImmediately=False,
                    RotationRules={"ScheduleExpression": "cron(0 16 1 * * *)"})[0] == "InvalidParameterException"


def test_failed_rotation_leaves_pending_and_blocks_the_next(rotating):
    server = rotating
    sm = server.client("secretsmanager")
    first = sm.create_secret(Name="flaky", SecretString="v1")
    started = sm.rotate_secret(SecretId="flaky", RotationLambdaARN=lambda_arn(server, "broken"))
    wait_for(lambda: sm.describe_secret(SecretId="flaky")["VersionIdsToStages"].get(started["VersionId"])
             == ["AWSPENDING"], timeout=30, interval=0.2)
    time.sleep(1)  # the failing step has run
    stages = sm.describe_secret(SecretId="flaky")["VersionIdsToStages"]
    assert stages[first["VersionId"]] == ["AWSCURRENT"] and stages[started["VersionId"]] == ["AWSPENDING"]
    assert sm.get_secret_value(SecretId="flaky")["SecretString"] == "v1"
    code, _ = error_of(sm.get_secret_value, SecretId="flaky", VersionStage="AWSPENDING")
    assert code == "ResourceNotFoundException"  # the pending version never got a value
    assert error_of(sm.rotate_secret, SecretId="flaky") == (
        "InvalidRequestException", "A previous rotation isn't complete. That rotation will be reattempted.")
    # The failure is in the audit trail as Secrets Manager's own event.
    failed = wait_for(lambda: [e for e in audit_events(server) if e["eventName"] == "RotationFailed"],
                      timeout=10, interval=0.2)
    assert failed and failed[0]["eventType"] == "AwsServiceEvent"
    assert failed[0]["additionalEventData"]["SecretId"].endswith(":secret:flaky-" + first["ARN"][-6:])
    assert "broken failed" in failed[0]["errorMessage"] and "createSecret" in failed[0]["errorMessage"]

    # "That rotation will be reattempted": after 1, 2, 4 and 8 minutes, five attempts in all.
    def failures():
        text = audit_text(server)
        return sum(1 for line in text.splitlines() if '"RotationFailed"' in line and "flaky" in line)

    moved = 0
    for attempt, wait in enumerate((61, 121, 241, 481), start=2):
        assert server.post(f"/_mlguard/clock?advance={wait}") == 200
        moved += wait
        assert server.post("/_mlguard/scheduler/run") == 200
        wait_for(lambda: failures() >= attempt, timeout=15, interval=0.2)
        assert failures() == attempt
    assert server.post("/_mlguard/clock?advance=100000") == 200
    assert server.post("/_mlguard/scheduler/run") == 200
    time.sleep(1.5)
    assert failures() == 5, "no sixth attempt"
    assert server.post(f"/_mlguard/clock?advance=-{moved + 100000}") == 200
    # Unknown functions and bad schedules, as AWS answers them.
    assert error_of(sm.rotate_secret, SecretId="flaky", RotationLambdaARN=lambda_arn(server, "nope"))[0] == \
        "AccessDeniedException"
    assert error_of(sm.rotate_secret, SecretId="flaky", RotationLambdaARN=lambda_arn(server, "broken"),
                    RotationRules={"ScheduleExpression": "rate(1 hours)"})[0] == "InvalidParameterException"


def find_pg_bin():
    import glob
    import shutil
    found = shutil.which("initdb")
    if found:
        return pathlib.Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not candidates:
        pytest.fail("PostgreSQL is not installed (.ci/run installs the Debian package)")
    return pathlib.Path(candidates[-1]).parent


@pytest.fixture()
def postgresql():
    """A real PostgreSQL on 127.0.0.1 with password (SCRAM) logins, run as the
    postgres user when the tests run as root; stopped by its PID."""
    import os
    import shutil
    import signal
    import subprocess
    import tempfile
    from conftest import free_port
    bindir = find_pg_bin()
    base = pathlib.Path(tempfile.mkdtemp(prefix="mlguard-pg-"))
    base.chmod(0o755)
    as_user = []
    if os.geteuid() == 0:
        import pwd
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = base / "data", free_port()
    run = lambda *cmd: subprocess.run([*as_user, *cmd], check=True, capture_output=True, text=True)  # noqa: E731
    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
        "--auth-host=scram-sha-256")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-o",
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1", "start")
    psql = str(bindir / "psql") if (bindir / "psql").exists() else "psql"
    run(psql, "-h", str(base), "-p", str(port), "-U", "postgres", "-c",
        "CREATE ROLE app LOGIN PASSWORD 'initial-pw'")

    def can_login(password):
        env = {**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "5"}
        return subprocess.run([psql, f"host=127.0.0.1 port={port} user=app dbname=postgres", "-c", "SELECT 1"],
                              capture_output=True, env=env).returncode == 0

    yield {"port": port, "can_login": can_login}
    pid = int((data / "postmaster.pid").read_text().splitlines()[0])
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if not (data / "postmaster.pid").exists():
            break
        time.sleep(0.1)
    shutil.rmtree(base, ignore_errors=True)


def test_postgresql_password_rotation_every_90_days(rotating, postgresql):
    """The seed's "rotate database passwords every 90 days": the built-in function
    changes the role's password in a real PostgreSQL and proves the new one works."""
    server, pg = rotating, postgresql
    sm = server.client("secretsmanager")
    assert pg["can_login"]("initial-pw")
    first = sm.create_secret(Name="prod/postgres/app", SecretString=json.dumps({
        "engine": "postgres", "host": "127.0.0.1", "port": pg["port"], "username": "app",
        "password": "initial-pw", "dbname": "postgres"}))
    sm.rotate_secret(SecretId="prod/postgres/app",
                     RotationLambdaARN=lambda_arn(server, "mlguard-rotate-postgresql-single-user"),
                     RotationRules={"AutomaticallyAfterDays": 90})
    wait_rotated(sm, "prod/postgres/app", first["VersionId"])
    new = json.loads(sm.get_secret_value(SecretId="prod/postgres/app")["SecretString"])
    assert new["password"] != "initial-pw" and new["port"] == pg["port"]
    assert not pg["can_login"]("initial-pw"), "the old password must no longer work"
    assert pg["can_login"](new["password"])
    described = sm.describe_secret(SecretId="prod/postgres/app")
    gap = described["NextRotationDate"].timestamp() - described["LastRotatedDate"].timestamp()
    assert 89 * 86400 < gap <= 90 * 86400 and described["NextRotationDate"].timestamp() % 86400 == 0
    # A secret whose credentials the database refuses: setSecret fails, AWSCURRENT
    # stays, AWSPENDING waits, and the failure is audited.
    wrong = sm.create_secret(Name="prod/postgres/wrong", SecretString=json.dumps({
        "engine": "postgres", "host": "127.0.0.1", "port": pg["port"], "username": "app",
        "password": "not-the-password", "dbname": "postgres"}))
    attempt = sm.rotate_secret(SecretId="prod/postgres/wrong",
                               RotationLambdaARN=lambda_arn(server, "mlguard-rotate-postgresql-single-user"))
    failed = wait_for(lambda: [e for e in audit_events(server) if e["eventName"] == "RotationFailed"
                               and "wrong" in e["additionalEventData"]["SecretId"]], timeout=30, interval=0.2)
    assert failed and "setSecret" in failed[0]["errorMessage"]
    text = audit_text(server)
    stages = sm.describe_secret(SecretId="prod/postgres/wrong")["VersionIdsToStages"]
    assert stages[wrong["VersionId"]] == ["AWSCURRENT"] and stages[attempt["VersionId"]] == ["AWSPENDING"]
    assert pg["can_login"](new["password"]), "the failed rotation changed nothing"
    assert new["password"] not in text and "not-the-password" not in text


def test_https_webhook_rotation_function(fresh_server, tmp_path, monkeypatch):
    """A rotation function served over HTTPS: each step's event is POSTed to it;
    it calls Secrets Manager back with its own credentials."""
    import http.server
    import importlib.util
    import ssl
    import subprocess
    import threading
    from conftest import free_port
    # A CA of the test's own, and the webhook's certificate for 127.0.0.1 signed by it.
    ca, ca_key = tmp_path / "ca.pem", tmp_path / "ca-key.pem"
    cert, key, csr = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "cert.csr"
    ext = tmp_path / "ext.cnf"
    ext.write_text("basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    openssl = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)  # noqa: E731
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca),
            "-days", "1", "-subj", "/CN=webhook test CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", "/CN=127.0.0.1")
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
            "-out", str(cert), "-days", "1", "-extfile", str(ext))
    spec = importlib.util.spec_from_file_location("webhook_rotation", FUNCTION)
    function = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(function)
    steps = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            steps.append(event["Step"])
            try:
                function.lambda_handler(event, None)
                self.send_response(200)
            except Exception:  # noqa: BLE001 - the step failed: answer 500
                self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    port = free_port()
    hook = http.server.ThreadingHTTPServer(("127.0.0.1", port), Hook)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    hook.socket = context.wrap_socket(hook.socket, server_side=True)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        server = fresh_server(http=True, extra=(
            "--rotation-function", f"hook=https://127.0.0.1:{port}/rotate,ca={ca}"))
        akid, secret = server.credentials()
        monkeypatch.setenv("SECRETS_MANAGER_ENDPOINT", server.endpoint)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", akid)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        sm = server.client("secretsmanager")
        db = tmp_path / "hook-db.json"
        first = sm.create_secret(Name="hooked", SecretString=json.dumps(
            {"username": "svc", "password": "before", "dbfile": str(db)}))
        sm.rotate_secret(SecretId="hooked", RotationLambdaARN=lambda_arn(server, "hook"))
        wait_rotated(sm, "hooked", first["VersionId"], timeout=30)
        assert steps == ["createSecret", "setSecret", "testSecret", "finishSecret"]
        new = json.loads(sm.get_secret_value(SecretId="hooked")["SecretString"])
        assert new["password"] != "before" and json.loads(db.read_text())["password"] == new["password"]
    finally:
        hook.shutdown()
