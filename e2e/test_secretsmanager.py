"""Secrets Manager with boto3 and the aws CLI against a real server: values sealed
under KMS keys (the account's aws/secretsmanager key or a customer key, used as the
caller), staging labels, deletion windows, resource policies, tags, filters, and
AWS's errors."""

import json
import sqlite3
import time
import uuid

import boto3
import pytest

from helpers import audit_text, error_of, unique, user_client, wait_for

MARKED = "You can't perform this operation on the secret because it was marked for deletion."
NOT_FOUND = "Secrets Manager can't find the specified secret."


@pytest.fixture()
def sm(server):
    return server.client("secretsmanager")


def test_seed_snippet_reads_a_database_password(server, sm):
    sm.create_secret(Name="my-db-password", SecretString=json.dumps({"username": "ml", "password": "s3cr3t!"}))
    try:
        # The seed document's snippet, unchanged but for the endpoint.
        secrets_client = server.client("secretsmanager")
        response = secrets_client.get_secret_value(SecretId='my-db-password')
        secret = json.loads(response['SecretString'])
        db_password = secret['password']
        assert db_password == "s3cr3t!"
    finally:
        sm.delete_secret(SecretId="my-db-password", ForceDeleteWithoutRecovery=True)


def test_create_get_and_find_by_name_or_arn(sm):
    name = unique("prod/db")
    created = sm.create_secret(Name=name, SecretString="v1", Description="training database")
    arn = created["ARN"]
    prefix = arn.rsplit("-", 1)[0]
    assert prefix.endswith(f":secret:{name}") and len(arn) == len(prefix) + 7
    assert arn.startswith("arn:aws:secretsmanager:us-east-1:")
    for secret_id in (name, arn, prefix):
        got = sm.get_secret_value(SecretId=secret_id)
        assert got["SecretString"] == "v1" and got["ARN"] == arn and got["VersionStages"] == ["AWSCURRENT"]
        assert got["VersionId"] == created["VersionId"]
    described = sm.describe_secret(SecretId=name)
    assert described["Description"] == "training database"
    assert "KmsKeyId" not in described  # the default key is not named
    assert described["VersionIdsToStages"] == {created["VersionId"]: ["AWSCURRENT"]}
    assert described["LastAccessedDate"].timestamp() % 86400 == 0  # a date
    # Binary values round-trip.
    blob = sm.create_secret(Name=unique("bin"), SecretBinary=b"\x00\xffweights")
    assert sm.get_secret_value(SecretId=blob["ARN"])["SecretBinary"] == b"\x00\xffweights"


def test_errors_in_awss_words(sm):
    name = unique("errs")
    assert error_of(sm.get_secret_value, SecretId=unique("nobody")) == ("ResourceNotFoundException", NOT_FOUND)
    code, message = error_of(sm.get_secret_value, SecretId="bad name!")
    assert code == "ValidationException" and message.startswith("Invalid name.")
    assert error_of(sm.create_secret, Name=name, SecretString="a", SecretBinary=b"b") == (
        "InvalidParameterException",
        "You can't specify both a binary secret value and a string secret value in the same secret.")
    token = str(uuid.uuid4())
    sm.create_secret(Name=name, SecretString="one", ClientRequestToken=token)
    # A retry with the same token and value is the same call; another value is not.
    again = sm.create_secret(Name=name, SecretString="one", ClientRequestToken=token)
    assert again["VersionId"] == token
    code, message = error_of(sm.create_secret, Name=name, SecretString="two", ClientRequestToken=token)
    assert code == "ResourceExistsException" and f"You can't use ClientRequestToken {token}" in message
    assert error_of(sm.create_secret, Name=name, SecretString="x") == (
        "ResourceExistsException", f"The operation failed because the secret {name} already exists.")
    assert error_of(sm.get_secret_value, SecretId=name, VersionStage="AWSPENDING") == (
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret value for staging label: AWSPENDING")
    missing = "a" * 32
    assert error_of(sm.get_secret_value, SecretId=name, VersionId=missing) == (
        "ResourceNotFoundException", f"Secrets Manager can't find the specified secret value for VersionId: {missing}")
    assert error_of(sm.get_secret_value, SecretId=name, VersionId=token, VersionStage="AWSPREVIOUS") == (
        "InvalidRequestException", "You provided a VersionStage that is not associated to the provided VersionId.")
    assert error_of(sm.put_secret_value, SecretId=name)[0] == "InvalidRequestException"
    # A secret without a value has no version.
    empty = sm.create_secret(Name=unique("empty"))
    assert "VersionId" not in empty
    assert error_of(sm.get_secret_value, SecretId=empty["ARN"])[1].endswith("staging label: AWSCURRENT")


def test_versions_and_staging_labels(sm):
    name = unique("staged")
    v1 = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    v2 = sm.put_secret_value(SecretId=name, SecretString="two")["VersionId"]
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "one"
    # A pending value leaves AWSCURRENT where it is.
    pending = sm.put_secret_value(SecretId=name, SecretString="three", VersionStages=["AWSPENDING"])
    assert pending["VersionStages"] == ["AWSPENDING"]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "two"
    v3 = pending["VersionId"]
    # Promoting it needs the version that holds AWSCURRENT named.
    code, message = error_of(sm.update_secret_version_stage, SecretId=name, VersionStage="AWSCURRENT",
                             MoveToVersionId=v3)
    assert code == "InvalidParameterException" and f"currently attached to version {v2}" in message
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v3,
                                   RemoveFromVersionId=v2)
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert sorted(stages[v3]) == ["AWSCURRENT", "AWSPENDING"] and stages[v2] == ["AWSPREVIOUS"]
    assert v1 not in stages  # deprecated: no label left
    listed = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert {v["VersionId"] for v in listed} == {v2, v3}
    with_old = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    old = [v for v in with_old if v["VersionId"] == v1]
    assert old and "VersionStages" not in old[0] and old[0]["KmsKeyIds"] == ["DefaultEncryptionKey"]
    # The deprecated value is still readable by id.
    assert sm.get_secret_value(SecretId=name, VersionId=v1)["SecretString"] == "one"
    # UpdateSecret with a value is a new AWSCURRENT; without one, metadata only.
    updated = sm.update_secret(SecretId=name, SecretString="four")
    assert sm.get_secret_value(SecretId=name)["VersionId"] == updated["VersionId"]
    meta = sm.update_secret(SecretId=name, Description="rotated by hand")
    assert "VersionId" not in meta
    assert sm.describe_secret(SecretId=name)["Description"] == "rotated by hand"


def test_deletion_window_restore_and_force(sm):
    name = unique("doomed")
    sm.create_secret(Name=name, SecretString="x")
    assert error_of(sm.delete_secret, SecretId=name, RecoveryWindowInDays=3)[0] == "InvalidParameterException"
    assert error_of(sm.delete_secret, SecretId=name, RecoveryWindowInDays=7,
                    ForceDeleteWithoutRecovery=True)[0] == "InvalidParameterException"
    deleted = sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    window = deleted["DeletionDate"].timestamp() - time.time()
    assert 7 * 86400 - 120 < window < 7 * 86400 + 120
    assert error_of(sm.get_secret_value, SecretId=name) == ("InvalidRequestException", MARKED)
    assert error_of(sm.put_secret_value, SecretId=name, SecretString="y") == ("InvalidRequestException", MARKED)
    assert "DeletedDate" in sm.describe_secret(SecretId=name)
    assert name not in [s["Name"] for s in sm.list_secrets()["SecretList"]]
    planned = sm.list_secrets(IncludePlannedDeletion=True, Filters=[{"Key": "name", "Values": [name]}])
    assert [s["Name"] for s in planned["SecretList"]] == [name]
    assert error_of(sm.create_secret, Name=name, SecretString="z") == (
        "InvalidRequestException",
        "You can't create this secret because a secret with this name is already scheduled for deletion.")
    sm.restore_secret(SecretId=name)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "x"
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert error_of(sm.describe_secret, SecretId=name)[0] == "ResourceNotFoundException"
    # Forcing the deletion of what does not exist succeeds, as on AWS.
    gone = sm.delete_secret(SecretId=unique("never"), ForceDeleteWithoutRecovery=True)
    assert gone["Name"].startswith("never-")


def test_value_is_gone_for_good_after_the_window(fresh_server):
    server = fresh_server(http=True, extra=("--test-controls",))
    sm = server.client("secretsmanager")
    sm.create_secret(Name="short-lived", SecretString="bye")
    sm.delete_secret(SecretId="short-lived", RecoveryWindowInDays=7)
    count = lambda: sqlite3.connect(server.data_dir / "state.db").execute(  # noqa: E731
        "SELECT COUNT(*) FROM records WHERE kind LIKE 'secretsmanager.%'").fetchone()[0]
    assert count() == 2  # the secret and its one value
    assert server.post("/_mlguard/clock?advance=604700") == 200
    assert server.post("/_mlguard/scheduler/run") == 200
    assert count() == 2  # a minute and a half early
    assert server.post("/_mlguard/clock?advance=101") == 200
    assert server.post("/_mlguard/scheduler/run") == 200
    assert count() == 0
    # Back to the clients' time (the moved clock is past the signing skew).
    assert server.post("/_mlguard/clock?advance=-604801") == 200
    assert error_of(sm.describe_secret, SecretId="short-lived")[0] == "ResourceNotFoundException"
    sm.create_secret(Name="short-lived", SecretString="again")  # the name is free


def test_customer_key_disabled_key_and_kms_permissions(server, sm):
    kms = server.client("kms")
    key = kms.create_key(Description="secrets")["KeyMetadata"]
    name = unique("cmk")
    sm.create_secret(Name=name, SecretString="sealed", KmsKeyId=key["Arn"])
    assert sm.describe_secret(SecretId=name)["KmsKeyId"] == key["Arn"]
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert versions[0]["KmsKeyIds"] == [key["Arn"]]
    kms.disable_key(KeyId=key["KeyId"])
    assert error_of(sm.get_secret_value, SecretId=name)[0] == "DecryptionFailure"
    assert error_of(sm.put_secret_value, SecretId=name, SecretString="new")[0] == "EncryptionFailure"
    kms.enable_key(KeyId=key["KeyId"])
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "sealed"
    # A user allowed to read secrets but not to use the customer key cannot read it...
    reader, _ = user_client(server, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:CreateSecret"],
         "Resource": "*"}]})
    assert error_of(reader.get_secret_value, SecretId=name) == ("AccessDeniedException", "Access to KMS is not allowed")
    # ...but aws/secretsmanager serves every principal of the account through Secrets Manager.
    own = unique("default-key")
    reader.create_secret(Name=own, SecretString="mine")
    assert reader.get_secret_value(SecretId=own)["SecretString"] == "mine"
    # Re-keying re-encrypts the labelled versions under the new key.
    other = kms.create_key()["KeyMetadata"]
    sm.update_secret(SecretId=name, KmsKeyId=other["KeyId"])
    kms.disable_key(KeyId=key["KeyId"])
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "sealed"
    kms.enable_key(KeyId=key["KeyId"])


def test_least_privilege_and_resource_policies(server, sm):
    name = unique("scoped")
    secret = sm.create_secret(Name=name, SecretString="for-training", Tags=[{"Key": "env", "Value": "prod"}])
    # The training role's policy reads only its own secrets (by name prefix).
    reader, reader_arn = user_client(server, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
         "Resource": f"arn:aws:secretsmanager:us-east-1:*:secret:{name}-*"}]})
    assert reader.get_secret_value(SecretId=name)["SecretString"] == "for-training"
    code, message = error_of(reader.describe_secret, SecretId=name)
    assert code == "AccessDeniedException" and "secretsmanager:DescribeSecret" in message
    # A resource policy alone grants a same-account principal.
    outsider, outsider_arn = user_client(server, None)
    assert error_of(outsider.get_secret_value, SecretId=name)[0] == "AccessDeniedException"
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": outsider_arn}, "Action": "secretsmanager:GetSecretValue",
         "Resource": "*"},
        {"Effect": "Deny", "Principal": {"AWS": reader_arn}, "Action": "secretsmanager:*", "Resource": "*"}]}
    sm.put_resource_policy(SecretId=name, ResourcePolicy=json.dumps(policy))
    assert json.loads(sm.get_resource_policy(SecretId=name)["ResourcePolicy"]) == policy
    assert outsider.get_secret_value(SecretId=name)["SecretString"] == "for-training"
    code, message = error_of(reader.get_secret_value, SecretId=name)
    assert code == "AccessDeniedException" and "explicit deny in a resource-based policy" in message
    sm.delete_resource_policy(SecretId=name)
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)
    assert reader.get_secret_value(SecretId=name)["SecretString"] == "for-training"
    # Bad and public policies.
    assert error_of(sm.put_resource_policy, SecretId=name, ResourcePolicy="{\"Version\": \"2099\"}") == (
        "MalformedPolicyDocumentException", "This policy has invalid syntax.")
    public = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    assert error_of(sm.put_resource_policy, SecretId=name, ResourcePolicy=json.dumps(public),
                    BlockPublicPolicy=True)[0] == "PublicPolicyException"
    checked = sm.validate_resource_policy(SecretId=secret["ARN"], ResourcePolicy=json.dumps(public))
    assert checked["PolicyValidationPassed"] is False and checked["ValidationErrors"]
    assert sm.validate_resource_policy(ResourcePolicy=json.dumps(policy))["PolicyValidationPassed"] is True


def test_tags_and_list_filters(sm):
    run = uuid.uuid4().hex[:8]
    names = [f"ml/{run}/train-db", f"ml/{run}/infer-key", f"other/{run}"]
    sm.create_secret(Name=names[0], SecretString="a", Description="Training database password",
                     Tags=[{"Key": "team", "Value": "ml-platform"}])
    sm.create_secret(Name=names[1], SecretString="b", Description="inference API key")
    sm.create_secret(Name=names[2], SecretString="c")
    mine = lambda resp: [s["Name"] for s in resp["SecretList"] if run in s["Name"]]  # noqa: E731
    assert mine(sm.list_secrets(Filters=[{"Key": "name", "Values": [f"ml/{run}"]}])) == names[:2]
    assert mine(sm.list_secrets(Filters=[{"Key": "name", "Values": [f"ML/{run}"]}])) == []
    assert mine(sm.list_secrets(Filters=[{"Key": "description", "Values": ["TRAINING pass"]}])) == names[:1]
    assert mine(sm.list_secrets(Filters=[{"Key": "tag-key", "Values": ["team"]}])) == names[:1]
    assert mine(sm.list_secrets(Filters=[{"Key": "all", "Values": ["infer"]}])) == names[1:2]
    assert mine(sm.list_secrets(Filters=[{"Key": "name", "Values": [f"!ml/{run}"]},
                                         {"Key": "name", "Values": ["other"]}])) == names[2:]
    assert mine(sm.list_secrets(Filters=[{"Key": "name", "Values": [f"ml/{run}"]}], SortOrder="desc")) == \
        names[:2][::-1]
    pages = sm.get_paginator("list_secrets").paginate(Filters=[{"Key": "name", "Values": [f"ml/{run}", "other/"]}],
                                                    PaginationConfig={"PageSize": 1})
    assert [n for page in pages for n in mine(page)] == names
    # Tags: upsert, remove, reserved keys refused.
    sm.tag_resource(SecretId=names[1], Tags=[{"Key": "team", "Value": "serving"}, {"Key": "tier", "Value": "1"}])
    sm.untag_resource(SecretId=names[1], TagKeys=["tier", "absent"])
    assert sm.describe_secret(SecretId=names[1])["Tags"] == [{"Key": "team", "Value": "serving"}]
    sm.untag_resource(SecretId=names[1], TagKeys=["team"])
    assert sm.describe_secret(SecretId=names[1])["Tags"] == []
    assert "Tags" not in sm.describe_secret(SecretId=names[2])
    assert error_of(sm.tag_resource, SecretId=names[2], Tags=[{"Key": "aws:owner", "Value": "x"}]) == (
        "InvalidParameterException", "You can't modify system tags. Tag key: 'aws:owner'.")


def test_batch_get_and_random_passwords(sm):
    a = sm.create_secret(Name=unique("batch-a"), SecretString="A")
    b = sm.create_secret(Name=unique("batch-b"), SecretString="B")
    got = sm.batch_get_secret_value(SecretIdList=[a["ARN"], b["Name"], "missing-one"])
    assert sorted(v["SecretString"] for v in got["SecretValues"]) == ["A", "B"]
    assert got["Errors"] == [{"SecretId": "missing-one", "ErrorCode": "ResourceNotFoundException",
                              "Message": NOT_FOUND}]
    by_filter = sm.batch_get_secret_value(Filters=[{"Key": "name", "Values": [b["Name"]]}])
    assert [v["SecretString"] for v in by_filter["SecretValues"]] == ["B"]
    assert error_of(sm.batch_get_secret_value, SecretIdList=[a["ARN"]],
                    Filters=[{"Key": "name", "Values": ["x"]}])[0] == "InvalidParameterException"
    password = sm.get_random_password()["RandomPassword"]
    assert len(password) == 32 and any(c.isdigit() for c in password) and any(c.isupper() for c in password)
    digits = sm.get_random_password(PasswordLength=64, ExcludeLowercase=True, ExcludeUppercase=True,
                                    ExcludePunctuation=True)["RandomPassword"]
    assert len(digits) == 64 and digits.isdigit()
    assert error_of(sm.get_random_password, PasswordLength=3)[1] == \
        "Password length is too short based on the required types."
    assert error_of(sm.get_random_password, PasswordLength=5000)[0] == "ValidationException"


def test_rotation_needs_an_invokable_function(sm):
    name = unique("rot")
    sm.create_secret(Name=name, SecretString="x")
    assert error_of(sm.rotate_secret, SecretId=name) == (
        "InvalidRequestException", "No Lambda rotation function ARN is associated with this secret.")
    code, _ = error_of(sm.rotate_secret, SecretId=name,
                       RotationLambdaARN="arn:aws:lambda:us-east-1:123456789012:function:rotate",
                       RotationRules={"AutomaticallyAfterDays": 30})
    assert code == "AccessDeniedException"
    assert "RotationEnabled" not in sm.describe_secret(SecretId=name)  # not saved, as on AWS


def test_aws_cli_and_audit_without_values(server):
    name = unique("cli")
    created = server.cli("secretsmanager", "create-secret", "--name", name, "--secret-string", "cli-hunter2")
    value = server.cli("secretsmanager", "get-secret-value", "--secret-id", name)
    assert value["SecretString"] == "cli-hunter2" and value["ARN"] == created["ARN"]
    failed = server.cli("secretsmanager", "get-secret-value", "--secret-id", unique("nope"), check=False)
    assert failed.returncode != 0 and "ResourceNotFoundException" in failed.stderr
    put = server.cli("secretsmanager", "put-secret-value", "--secret-id", name, "--secret-string", "cli-hunter3")
    assert put["VersionStages"] == ["AWSCURRENT"]
    described = server.cli("secretsmanager", "describe-secret", "--secret-id", name)
    assert sorted(map(tuple, described["VersionIdsToStages"].values())) == [("AWSCURRENT",), ("AWSPREVIOUS",)]
    listed = server.cli("secretsmanager", "list-secrets", "--filters", f"Key=name,Values={name}")
    assert [s["Name"] for s in listed["SecretList"]] == [name]
    versions = server.cli("secretsmanager", "list-secret-version-ids", "--secret-id", name)["Versions"]
    assert len(versions) == 2
    password = server.cli("secretsmanager", "get-random-password", "--password-length", "20",
                          "--exclude-punctuation")["RandomPassword"]
    assert len(password) == 20 and password.isalnum()
    server.cli("secretsmanager", "tag-resource", "--secret-id", name, "--tags", "Key=team,Value=ml")
    rotate = server.cli("secretsmanager", "rotate-secret", "--secret-id", name, check=False)
    assert rotate.returncode != 0 and "No Lambda rotation function ARN" in rotate.stderr
    server.cli("secretsmanager", "delete-secret", "--secret-id", name, "--force-delete-without-recovery")
    wait_for(lambda: all(s in audit_text(server) for s in (created["ARN"], "DeleteSecret")),
             timeout=10, interval=0.2)
    text = audit_text(server)
    events = [json.loads(line)["event"] for line in text.splitlines() if created["ARN"] in line]
    ours = [e for e in events if e["eventSource"] == "secretsmanager.amazonaws.com"]
    assert {e["eventName"] for e in ours} >= {"CreateSecret", "GetSecretValue"}
    # The KMS calls made for the caller are KMS events of the caller's, invoked by
    # Secrets Manager, naming the secret in their encryption context.
    kms = [e for e in events if e["eventSource"] == "kms.amazonaws.com"]
    assert {e["eventName"] for e in kms} >= {"GenerateDataKey", "Decrypt"}
    decrypt = [e for e in kms if e["eventName"] == "Decrypt"][0]
    assert decrypt["userIdentity"]["invokedBy"] == "secretsmanager.amazonaws.com"
    assert decrypt["userIdentity"]["arn"].endswith(":root")
    assert decrypt["requestParameters"]["encryptionContext"]["SecretARN"] == created["ARN"]
    assert decrypt["resources"][0]["type"] == "AWS::KMS::Key"
    assert "cli-hunter2" not in text
    assert b"cli-hunter2" not in b"".join(p.read_bytes() for p in server.data_dir.rglob("*") if p.is_file())


def test_a_caller_without_access_cannot_tell_which_secrets_exist(server, sm):
    name = unique("exists")
    sm.create_secret(Name=name, SecretString="v")
    nobody, _ = user_client(server, None)
    reader, _ = user_client(server, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
         "Resource": "*"}]})
    missing = unique("missing")
    for call in (nobody.get_secret_value, nobody.describe_secret):
        # Authorization comes first: the same answer whether the secret exists or not.
        assert error_of(call, SecretId=name)[0] == "AccessDeniedException"
        assert error_of(call, SecretId=missing)[0] == "AccessDeniedException"
    for call in (reader.get_secret_value, reader.describe_secret):
        assert error_of(call, SecretId=missing)[0] == "ResourceNotFoundException"
    assert reader.get_secret_value(SecretId=name)["SecretString"] == "v"
    batcher, _ = user_client(server, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:BatchGetSecretValue", "Resource": "*"}]})
    batch = batcher.batch_get_secret_value(SecretIdList=[missing, name])
    assert [e["ErrorCode"] for e in batch["Errors"]] == ["AccessDeniedException"] * 2
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
