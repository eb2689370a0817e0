"""Secrets Manager rotation: AWS's four-step protocol run against a Lambda-style
Python function registered with --rotation-function (run unchanged, with a role's
temporary credentials), the built-in random-password function, failures that leave
AWSPENDING, and schedules run by the server's scheduler."""

import json
import pathlib
import stat
import time

import botocore.exceptions
import pytest

HERE = pathlib.Path(__file__).resolve().parent
FUNCTION = HERE / "rotation" / "lambda_function.py"


def error_of(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"].get("Message", "")


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
    gap = described["NextRotationDate"].timestamp() - described["LastRotatedDate"].timestamp()
    assert gap == 30 * 86400
    # The rotation ran as the function's role, audited as such.
    text = "".join(p.read_text() for p in sorted((server.data_dir / "audit").glob("events-*.jsonl")))
    puts = [json.loads(line)["event"] for line in text.splitlines() if '"PutSecretValue"' in line]
    assert puts and puts[-1]["userIdentity"]["arn"].startswith("arn:aws:sts::")
    assert ":assumed-role/rotation-role/" in puts[-1]["userIdentity"]["arn"]
    assert new["password"] not in text


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


def test_failed_rotation_leaves_pending_and_blocks_the_next(rotating):
    server = rotating
    sm = server.client("secretsmanager")
    first = sm.create_secret(Name="flaky", SecretString="v1")
    started = sm.rotate_secret(SecretId="flaky", RotationLambdaARN=lambda_arn(server, "broken"))
    deadline = time.time() + 30
    while time.time() < deadline:
        stages = sm.describe_secret(SecretId="flaky")["VersionIdsToStages"]
        if stages.get(started["VersionId"]) == ["AWSPENDING"]:
            break
        time.sleep(0.2)
    time.sleep(1)  # the failing step has run
    stages = sm.describe_secret(SecretId="flaky")["VersionIdsToStages"]
    assert stages[first["VersionId"]] == ["AWSCURRENT"] and stages[started["VersionId"]] == ["AWSPENDING"]
    assert sm.get_secret_value(SecretId="flaky")["SecretString"] == "v1"
    code, _ = error_of(sm.get_secret_value, SecretId="flaky", VersionStage="AWSPENDING")
    assert code == "ResourceNotFoundException"  # the pending version never got a value
    assert error_of(sm.rotate_secret, SecretId="flaky") == (
        "InvalidRequestException", "A previous rotation isn't complete. That rotation will be reattempted.")
    # The failure is in the audit trail as Secrets Manager's own event.
    deadline = time.time() + 10
    failed = []
    while time.time() < deadline and not failed:
        text = "".join(p.read_text() for p in sorted((server.data_dir / "audit").glob("events-*.jsonl")))
        failed = [e for e in (json.loads(line)["event"] for line in text.splitlines())
                  if e["eventName"] == "RotationFailed"]
        time.sleep(0.2)
    assert failed and failed[0]["eventType"] == "AwsServiceEvent"
    assert failed[0]["additionalEventData"]["SecretId"].endswith(":secret:flaky-" + first["ARN"][-6:])
    assert "broken failed" in failed[0]["errorMessage"] and "createSecret" in failed[0]["errorMessage"]
    # Unknown functions and bad schedules, as AWS answers them.
    assert error_of(sm.rotate_secret, SecretId="flaky", RotationLambdaARN=lambda_arn(server, "nope"))[0] == \
        "AccessDeniedException"
    assert error_of(sm.rotate_secret, SecretId="flaky", RotationLambdaARN=lambda_arn(server, "broken"),
                    RotationRules={"ScheduleExpression": "rate(1 hours)"})[0] == "InvalidParameterException"
