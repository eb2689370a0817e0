"""Temporary credentials as AWS limits them: GetSessionToken sessions without MFA
cannot call IAM, and every session stops working when it expires (the clock is
moved through --test-controls, with real authentication throughout)."""

import json
import urllib.error

import boto3
import botocore.config
import pytest

from helpers import error_of, unique

INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"


def session_client(server, service, creds):
    return boto3.client(service, endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"],
                        verify=server.ca_bundle if not server.http else False,
                        config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}))


def test_session_without_mfa_cannot_call_iam(server):
    iam = server.client("iam")
    name = unique("nomfa")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["iam:ListUsers", "kms:ListKeys"], "Resource": "*"}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    user_iam = server.client("iam", access_key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    user_sts = server.client("sts", access_key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert "Users" in user_iam.list_users()  # the long-term key may call IAM
    creds = user_sts.get_session_token(DurationSeconds=900)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    # Other services accept the session, with the user's permissions.
    assert "Keys" in session_client(server, "kms", creds).list_keys()
    assert session_client(server, "sts", creds).get_caller_identity()["Arn"].endswith(f":user/{name}")
    # IAM does not, whatever the policies say.
    assert error_of(session_client(server, "iam", creds).list_users) == ("InvalidClientTokenId", INVALID_TOKEN)
    assert error_of(session_client(server, "sts", creds).get_session_token) == (
        "AccessDenied", "Cannot call GetSessionToken with session credentials")
    # The aws CLI with the session in its environment sees the same.
    env = {"AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
           "AWS_SESSION_TOKEN": creds["SessionToken"]}
    failed = server.cli("iam", "list-users", check=False, env=env)
    assert failed.returncode != 0 and "InvalidClientTokenId" in failed.stderr
    assert "Keys" in server.cli("kms", "list-keys", env=env)
    # So do the root's own sessions.
    root_creds = server.client("sts").get_session_token(DurationSeconds=900)["Credentials"]
    assert error_of(session_client(server, "iam", root_creds).list_users)[0] == "InvalidClientTokenId"
    iam.delete_user_policy(UserName=name, PolicyName="p")
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=name)


@pytest.fixture()
def controlled(fresh_server):
    return fresh_server(http=True, extra=("--test-controls",))


def advance(server, seconds):
    assert server.post(f"/_mlguard/clock?advance={int(seconds)}") == 200


def test_test_controls_keep_real_authentication(controlled):
    kms = controlled.client("kms", access_key="AKIAIOSFODNN7EXAMPLE", secret="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    assert error_of(kms.list_keys)[0] == "UnrecognizedClientException"
    assert "Keys" in controlled.client("kms").list_keys()


def test_assumed_role_session_expires(controlled):
    iam = controlled.client("iam")
    account = controlled.client("sts").get_caller_identity()["Account"]
    role = unique("short")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName=role, PolicyName="list", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:ListKeys", "Resource": "*"}]}))
    # (Roles may not be assumed by the root user: an IAM user assumes it.)
    user = unique("runner")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    user_sts = controlled.client("sts", access_key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assumed = user_sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}",
                                   RoleSessionName="job", DurationSeconds=900)
    creds = assumed["Credentials"]
    kms = session_client(controlled, "kms", creds)
    sts = session_client(controlled, "sts", creds)
    assert "Keys" in kms.list_keys()
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:sts::{account}:assumed-role/{role}/job"
    # Ten minutes on, the session still works (STS allows fifteen minutes of
    # signing skew, so the moved clock does not stand in the way).
    advance(controlled, 600)
    assert sts.get_caller_identity()["Arn"].endswith(f"/{role}/job")
    advance(controlled, 301)
    assert error_of(kms.list_keys) == ("ExpiredTokenException", EXPIRED_TOKEN)
    assert error_of(sts.get_caller_identity) == ("ExpiredToken", EXPIRED_TOKEN)
    # The scheduler keeps an expired session for a day, so it still reads as expired...
    assert controlled.post("/_mlguard/scheduler/run") == 200
    assert error_of(kms.list_keys)[0] == "ExpiredTokenException"
    # ...and then forgets it.
    advance(controlled, 86_400)
    assert controlled.post("/_mlguard/scheduler/run") == 200
    assert error_of(kms.list_keys)[0] == "UnrecognizedClientException"
    assert error_of(sts.get_caller_identity)[0] == "InvalidClientTokenId"


def test_access_key_last_use_survives_a_restart(fresh_server):
    from conftest import Server
    server = fresh_server(http=True)
    iam = server.client("iam")
    iam.create_user(UserName="worker")
    iam.put_user_policy(UserName="worker", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:ListKeys", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="worker")["AccessKey"]
    unused = iam.create_access_key(UserName="worker")["AccessKey"]
    server.client("kms", access_key=key["AccessKeyId"], secret=key["SecretAccessKey"]).list_keys()
    before = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert before["ServiceName"] == "kms" and before["Region"] == "us-east-1"
    server.stop()
    again = Server(server.data_dir, http=True)
    try:
        iam = again.client("iam")
        after = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
        assert after == before
        never = iam.get_access_key_last_used(AccessKeyId=unused["AccessKeyId"])["AccessKeyLastUsed"]
        assert never == {"ServiceName": "N/A", "Region": "N/A"}
        # A deleted key takes its last use with it.
        iam.delete_access_key(UserName="worker", AccessKeyId=key["AccessKeyId"])
        assert error_of(iam.get_access_key_last_used, AccessKeyId=key["AccessKeyId"])[0] == "NoSuchEntity"
    finally:
        again.stop()


def test_presigned_get_caller_identity_as_eks_and_vault_send_it(fresh_server):
    # IAM and STS answer GET as well as POST; a presigned GetCallerIdentity URL is
    # how EKS tokens (`aws eks get-token`) and Vault's AWS auth prove an identity.
    import urllib.request
    server = fresh_server(http=True)
    iam = server.client("iam")
    iam.create_user(UserName="builder")
    key = iam.create_access_key(UserName="builder")["AccessKey"]
    sts = server.client("sts", access_key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    account = server.client("sts").get_caller_identity()["Account"]
    # As `aws eks get-token` makes it: GET, and the cluster id as a signed header.
    def add_cluster_header(request, **kwargs):
        request.headers["x-k8s-aws-id"] = "ml-cluster"
    sts.meta.events.register("before-sign.sts.GetCallerIdentity", add_cluster_header)
    url = sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=60, HttpMethod="GET")
    request = urllib.request.Request(url, headers={"x-k8s-aws-id": "ml-cluster"})
    with urllib.request.urlopen(request, timeout=10) as r:
        body = r.read().decode()
    assert f"<Arn>arn:aws:iam::{account}:user/builder</Arn>" in body
    # Without the signed header the signature does not hold.
    try:
        urllib.request.urlopen(url, timeout=10)
        raise AssertionError("a presigned URL held without its signed header")
    except urllib.error.HTTPError as e:
        assert e.code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in e.read()
    # Nothing of the signature reaches the trail.
    from helpers import audit_text, wait_for
    assert wait_for(lambda: "GetCallerIdentity" in audit_text(server))
    trail = audit_text(server)
    assert "X-Amz-Signature" not in trail and "x-Amz-Signature" not in trail
    assert url.split("X-Amz-Signature=")[1][:64] not in trail
