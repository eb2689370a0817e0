"""IAM over awsQuery with boto3 and the aws CLI: each operation, its errors, and
the seed's least-privilege scenarios enforced for real (users, roles, MFA,
session policies) against KMS."""

import base64
import hashlib
import hmac
import json
import pathlib
import struct
import time

import botocore.exceptions
import pytest

from helpers import audit_text, error_of, unique


def totp(seed_b32, step):
    seed = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    mac = hmac.new(seed, struct.pack(">q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    word = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{word % 1_000_000:06d}"


ALLOW_ALL_KMS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}


@pytest.fixture()
def iam(server):
    return server.client("iam")


@pytest.fixture()
def sts(server):
    return server.client("sts")


def user_with_key(server, iam, policy=None, name=None):
    """A user with an access key (and an inline policy); returns (name, kms client, sts client)."""
    name = name or unique("user")
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    kms = server.client("kms", access_key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    sts = server.client("sts", access_key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    return name, kms, sts, key


def test_users(iam):
    name = unique("ana")
    created = iam.create_user(UserName=name, Path="/ml/", Tags=[{"Key": "team", "Value": "ml"}])["User"]
    assert created["UserName"] == name and created["Path"] == "/ml/"
    assert created["Arn"].endswith(f":user/ml/{name}") and created["UserId"].startswith("AIDA")
    got = iam.get_user(UserName=name)["User"]
    assert got["UserId"] == created["UserId"] and got["Tags"] == [{"Key": "team", "Value": "ml"}]
    assert error_of(iam.create_user, UserName=name.upper()) == (
        "EntityAlreadyExists", f"User with name {name.upper()} already exists.")
    assert error_of(iam.get_user, UserName=unique("nobody"))[0] == "NoSuchEntity"
    code, message = error_of(iam.create_user, UserName="bad name")
    assert code == "ValidationError"
    assert "at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern" in message
    listed = iam.list_users(PathPrefix="/ml/")["Users"]
    assert name in [u["UserName"] for u in listed]
    renamed = unique("bea")
    iam.update_user(UserName=name, NewUserName=renamed)
    assert iam.get_user(UserName=renamed)["User"]["UserId"] == created["UserId"]
    assert error_of(iam.get_user, UserName=name)[0] == "NoSuchEntity"
    iam.delete_user(UserName=renamed)
    assert error_of(iam.delete_user, UserName=renamed)[0] == "NoSuchEntity"


def test_list_users_pages(iam):
    prefix = f"/{unique('page')}/"
    names = sorted(unique("u") for _ in range(5))
    for n in names:
        iam.create_user(UserName=n, Path=prefix)
    seen, marker = [], None
    while True:
        kwargs = {"PathPrefix": prefix, "MaxItems": 2}
        if marker:
            kwargs["Marker"] = marker
        page = iam.list_users(**kwargs)
        seen += [u["UserName"] for u in page["Users"]]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert seen == names
    paginated = [u["UserName"] for p in iam.get_paginator("list_users").paginate(PathPrefix=prefix) for u in p["Users"]]
    assert paginated == names


def test_groups(iam):
    user, group = unique("u"), unique("g")
    iam.create_user(UserName=user)
    assert iam.create_group(GroupName=group)["Group"]["GroupId"].startswith("AGPA")
    assert error_of(iam.create_group, GroupName=group)[0] == "EntityAlreadyExists"
    iam.add_user_to_group(GroupName=group, UserName=user)
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [user]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]] == [group]
    assert error_of(iam.delete_group, GroupName=group) == (
        "DeleteConflict", "Cannot delete entity, must remove users from group first.")
    iam.remove_user_from_group(GroupName=group, UserName=user)
    assert iam.get_group(GroupName=group)["Users"] == []
    iam.delete_group(GroupName=group)
    assert error_of(iam.get_group, GroupName=group)[0] == "NoSuchEntity"


def test_roles_and_trust_policies(iam):
    name = unique("role")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), Description="training")["Role"]
    assert role["RoleId"].startswith("AROA") and role["AssumeRolePolicyDocument"] == trust
    got = iam.get_role(RoleName=name)["Role"]
    assert got["Description"] == "training" and got["MaxSessionDuration"] == 3600
    code, _ = error_of(iam.create_role, RoleName=unique("r"), AssumeRolePolicyDocument="{not json")
    assert code == "MalformedPolicyDocument"
    no_principal = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
    assert error_of(iam.update_assume_role_policy, RoleName=name,
                    PolicyDocument=json.dumps(no_principal))[0] == "MalformedPolicyDocument"
    trust["Statement"][0]["Principal"] = {"Service": "lambda.amazonaws.com"}
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == trust
    iam.update_role(RoleName=name, MaxSessionDuration=7200)
    assert iam.get_role(RoleName=name)["Role"]["MaxSessionDuration"] == 7200
    iam.tag_role(RoleName=name, Tags=[{"Key": "use", "Value": "training"}])
    assert iam.list_role_tags(RoleName=name)["Tags"] == [{"Key": "use", "Value": "training"}]
    iam.untag_role(RoleName=name, TagKeys=["use"])
    assert iam.list_role_tags(RoleName=name)["Tags"] == []
    iam.delete_role(RoleName=name)
    assert error_of(iam.get_role, RoleName=name) == ("NoSuchEntity", f"The role with name {name} cannot be found.")


def test_inline_policies(iam):
    user = unique("u")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="kms", PolicyDocument=json.dumps(ALLOW_ALL_KMS))
    got = iam.get_user_policy(UserName=user, PolicyName="kms")
    assert got["PolicyDocument"] == ALLOW_ALL_KMS and got["UserName"] == user
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == ["kms"]
    assert error_of(iam.delete_user, UserName=user) == (
        "DeleteConflict", "Cannot delete entity, must delete policies first.")
    big = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::bucket-{i:04d}/*"} for i in range(60)]}
    code, message = error_of(iam.put_user_policy, UserName=user, PolicyName="big", PolicyDocument=json.dumps(big))
    assert code == "LimitExceeded"
    assert error_of(iam.put_user_policy, UserName=user, PolicyName="bad", PolicyDocument='{"Statement": []}')[0] \
        == "MalformedPolicyDocument"
    iam.delete_user_policy(UserName=user, PolicyName="kms")
    assert error_of(iam.get_user_policy, UserName=user, PolicyName="kms") == (
        "NoSuchEntity", "The user policy with name kms cannot be found.")
    iam.delete_user(UserName=user)


def test_managed_policies_and_versions(iam):
    name = unique("pol")
    policy = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(ALLOW_ALL_KMS), Description="d")["Policy"]
    arn = policy["Arn"]
    assert policy["DefaultVersionId"] == "v1" and policy["AttachmentCount"] == 0 and policy["PolicyId"].startswith("ANPA")
    assert error_of(iam.create_policy, PolicyName=name, PolicyDocument=json.dumps(ALLOW_ALL_KMS)) == (
        "EntityAlreadyExists", f"A policy called {name} already exists. Duplicate names are not allowed.")
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(ALLOW_ALL_KMS))
    assert error_of(iam.create_policy_version, PolicyArn=arn, PolicyDocument=json.dumps(ALLOW_ALL_KMS))[0] == "LimitExceeded"
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v5", "v4", "v3", "v2", "v1"]
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v3")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]["Document"] == ALLOW_ALL_KMS
    assert error_of(iam.delete_policy_version, PolicyArn=arn, VersionId="v3") == (
        "DeleteConflict", "Cannot delete the default version of a policy.")
    assert error_of(iam.get_policy_version, PolicyArn=arn, VersionId="v9")[0] == "NoSuchEntity"
    role = unique("r")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == [{"PolicyName": name, "PolicyArn": arn}]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    assert [r["RoleName"] for r in iam.list_entities_for_policy(PolicyArn=arn)["PolicyRoles"]] == [role]
    assert error_of(iam.delete_policy, PolicyArn=arn) == ("DeleteConflict", "Cannot delete a policy attached to entities.")
    assert error_of(iam.delete_role, RoleName=role) == (
        "DeleteConflict", "Cannot delete entity, must detach all policies first.")
    missing = arn + "-missing"
    assert error_of(iam.attach_role_policy, RoleName=role, PolicyArn=missing) == (
        "NoSuchEntity", f"Policy {missing} does not exist or is not attachable.")
    iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    for v in ["v1", "v2", "v4", "v5"]:
        iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    iam.delete_policy(PolicyArn=arn)
    assert error_of(iam.get_policy, PolicyArn=arn)[0] == "NoSuchEntity"
    iam.delete_role(RoleName=role)


def test_access_keys(server, iam):
    name, _, user_sts, key = user_with_key(server, iam)
    assert key["AccessKeyId"].startswith("AKIA") and len(key["SecretAccessKey"]) == 40 and key["Status"] == "Active"
    identity = user_sts.get_caller_identity()
    assert identity["Arn"].endswith(f":user/{name}") and identity["UserId"].startswith("AIDA")
    second = iam.create_access_key(UserName=name)["AccessKey"]
    assert error_of(iam.create_access_key, UserName=name) == (
        "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
    listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert sorted(k["AccessKeyId"] for k in listed) == sorted([key["AccessKeyId"], second["AccessKeyId"]])
    assert all("SecretAccessKey" not in k for k in listed)
    last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert last["UserName"] == name and last["AccessKeyLastUsed"]["ServiceName"] == "sts"
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert error_of(user_sts.get_caller_identity)[0] == "InvalidClientTokenId"
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Active")
    assert user_sts.get_caller_identity()["Arn"] == identity["Arn"]
    assert error_of(iam.delete_user, UserName=name) == (
        "DeleteConflict", "Cannot delete entity, must delete access keys first.")
    for k in (key, second):
        iam.delete_access_key(UserName=name, AccessKeyId=k["AccessKeyId"])
    assert error_of(user_sts.get_caller_identity)[0] == "InvalidClientTokenId"
    iam.delete_user(UserName=name)


def test_a_user_without_policies_is_denied_everything(server, iam):
    name, user_kms, _, _ = user_with_key(server, iam)
    code, message = error_of(user_kms.create_key)
    assert code == "AccessDeniedException"
    assert message.startswith(f"User: arn:aws:iam::") and f":user/{name} is not authorized to perform: kms:CreateKey" in message
    assert "because no identity-based policy allows the kms:CreateKey action" in message


def training_setup(server, iam):
    """The seed's separation of duties: a training role that may use only its data
    key, a data scientist who may describe the production key but not delete it."""
    root_kms = server.client("kms")
    data_key = root_kms.create_key(Description="training data")["KeyMetadata"]
    prod_key = root_kms.create_key(Description="production")["KeyMetadata"]
    scientist, scientist_kms, scientist_sts, _ = user_with_key(server, iam, policy={
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["kms:DescribeKey", "kms:ListKeys"], "Resource": "*"},
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
    account = data_key["AWSAccountId"]
    role = unique("training")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:user/{scientist}"},
        "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "ml-platform"}}}]}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName=role, PolicyName="data-key", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": data_key["Arn"]}]}))
    return data_key, prod_key, scientist_kms, scientist_sts, role, account


def test_training_role_uses_only_its_data_key(server, iam):
    data_key, prod_key, _, scientist_sts, role, account = training_setup(server, iam)
    role_arn = f"arn:aws:iam::{account}:role/{role}"
    code, message = error_of(scientist_sts.assume_role, RoleArn=role_arn, RoleSessionName="job-1")
    assert code == "AccessDenied" and "is not authorized to perform: sts:AssumeRole" in message
    assumed = scientist_sts.assume_role(RoleArn=role_arn, RoleSessionName="job-1", ExternalId="ml-platform")
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/{role}/job-1"
    c = assumed["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA") and c["SessionToken"]
    import boto3
    import botocore.config
    def client(service):
        return boto3.client(service, endpoint_url=server.endpoint, region_name="us-east-1",
                            aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                            aws_session_token=c["SessionToken"],
                            verify=server.ca_bundle if not server.http else False,
                            config=botocore.config.Config(retries={"max_attempts": 1}))
    session = client("kms")
    assert client("sts").get_caller_identity()["Arn"] == assumed["AssumedRoleUser"]["Arn"]
    blob = session.encrypt(KeyId=data_key["KeyId"], Plaintext=b"features")["CiphertextBlob"]
    assert session.decrypt(CiphertextBlob=blob)["Plaintext"] == b"features"
    session.generate_data_key(KeyId=data_key["KeyId"], KeySpec="AES_256")
    code, message = error_of(session.encrypt, KeyId=prod_key["KeyId"], Plaintext=b"x")
    assert code == "AccessDeniedException"
    assert message == (f"User: arn:aws:sts::{account}:assumed-role/{role}/job-1 is not authorized to perform: "
                       f"kms:Encrypt on resource: {prod_key['Arn']} because no identity-based policy allows the kms:Encrypt action")
    assert error_of(session.schedule_key_deletion, KeyId=data_key["KeyId"])[0] == "AccessDeniedException"
    # A forged token is refused.
    forged = boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                          aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                          aws_session_token=c["SessionToken"][:-4] + "AAAA",
                          verify=server.ca_bundle if not server.http else False)
    assert error_of(forged.get_caller_identity)[0] == "InvalidClientTokenId"


def test_data_scientist_describes_but_cannot_delete_production_key(server, iam):
    _, prod_key, scientist_kms, _, _, _ = training_setup(server, iam)
    assert scientist_kms.describe_key(KeyId=prod_key["KeyId"])["KeyMetadata"]["Arn"] == prod_key["Arn"]
    code, message = error_of(scientist_kms.schedule_key_deletion, KeyId=prod_key["KeyId"], PendingWindowInDays=7)
    assert code == "AccessDeniedException" and "kms:ScheduleKeyDeletion" in message
    assert server.client("kms").describe_key(KeyId=prod_key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_session_policy_narrows_an_assumed_role(server, iam):
    account = server.client("sts").get_caller_identity()["Account"]
    key = server.client("kms").create_key()["KeyMetadata"]
    user, _, user_sts, _ = user_with_key(server, iam, policy={
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
    role = unique("wide")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName=role, PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL_KMS))
    narrow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:DescribeKey", "Resource": "*"}]}
    assumed = user_sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="narrow",
                                   Policy=json.dumps(narrow))
    assert 0 < assumed["PackedPolicySize"] <= 100
    c = assumed["Credentials"]
    import boto3
    session = boto3.client("kms", endpoint_url=server.endpoint, region_name="us-east-1",
                           aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                           aws_session_token=c["SessionToken"],
                           verify=server.ca_bundle if not server.http else False)
    session.describe_key(KeyId=key["KeyId"])
    code, message = error_of(session.encrypt, KeyId=key["KeyId"], Plaintext=b"x")
    assert code == "AccessDeniedException" and "because no session policy allows the kms:Encrypt action" in message


def test_mfa_required_until_get_session_token(server, iam):
    """The seed's "deny everything without MFA" policy: long-term keys are refused
    until the user proves a TOTP code through GetSessionToken."""
    deny_without_mfa = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kms:*", "sts:GetSessionToken"], "Resource": "*"},
        {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
         "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices",
                       "sts:GetSessionToken"],
         "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}
    name, user_kms, user_sts, _ = user_with_key(server, iam, policy=deny_without_mfa)
    code, message = error_of(user_kms.list_keys)
    assert code == "AccessDeniedException" and "with an explicit deny in an identity-based policy" in message
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    seed = device["Base32StringSeed"].decode()
    assert len(seed) == 64
    # The QR code authenticator apps scan: a square grayscale PNG.
    png = device["QRCodePNG"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert width == height and width >= 21 * 6
    serial = device["SerialNumber"]
    step = int(time.time()) // 30
    assert error_of(iam.enable_mfa_device, UserName=name, SerialNumber=serial,
                    AuthenticationCode1="000000", AuthenticationCode2="000000")[0] == "InvalidAuthenticationCode"
    iam.enable_mfa_device(UserName=name, SerialNumber=serial,
                          AuthenticationCode1=totp(seed, step - 1), AuthenticationCode2=totp(seed, step))
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName=name)["MFADevices"]] == [serial]
    # A wrong code gets no session; the right one does, and only once.
    assert error_of(user_sts.get_session_token, SerialNumber=serial, TokenCode="123456")[0] == "AccessDenied"
    code_now = totp(seed, step + 1)  # the next step's code: the enabling codes are spent
    creds = user_sts.get_session_token(SerialNumber=serial, TokenCode=code_now, DurationSeconds=900)["Credentials"]
    assert error_of(user_sts.get_session_token, SerialNumber=serial, TokenCode=code_now)[0] == "AccessDenied"
    import boto3
    session = boto3.client("kms", endpoint_url=server.endpoint, region_name="us-east-1",
                           aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"],
                           verify=server.ca_bundle if not server.http else False)
    assert "Keys" in session.list_keys()
    # An MFA session may call IAM (GetSessionToken without MFA may not): this one
    # reaches authorization, and its policy does not allow iam:ListUsers.
    session_iam = boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1",
                               aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                               aws_session_token=creds["SessionToken"],
                               verify=server.ca_bundle if not server.http else False)
    assert error_of(session_iam.list_users)[0] == "AccessDenied"
    assert error_of(iam.delete_virtual_mfa_device, SerialNumber=serial)[0] == "DeleteConflict"
    iam.deactivate_mfa_device(UserName=name, SerialNumber=serial)
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert error_of(user_kms.list_keys)[0] == "AccessDeniedException"


def test_aws_cli_iam_and_sts(server):
    name = unique("cli")
    out = server.cli("iam", "create-user", "--user-name", name)
    assert out["User"]["UserName"] == name
    policy = server.cli("iam", "create-policy", "--policy-name", name,
                        "--policy-document", json.dumps(ALLOW_ALL_KMS))["Policy"]
    server.cli("iam", "attach-user-policy", "--user-name", name, "--policy-arn", policy["Arn"])
    attached = server.cli("iam", "list-attached-user-policies", "--user-name", name)["AttachedPolicies"]
    assert attached == [{"PolicyName": name, "PolicyArn": policy["Arn"]}]
    assert server.cli("sts", "get-caller-identity")["Arn"].endswith(":root")
    failed = server.cli("iam", "get-user", "--user-name", unique("nobody"), check=False)
    assert failed.returncode != 0 and "NoSuchEntity" in failed.stderr
    server.cli("iam", "detach-user-policy", "--user-name", name, "--policy-arn", policy["Arn"])
    server.cli("iam", "delete-user", "--user-name", name)
    # The CLI writes the QR code (or the seed) of a new virtual MFA device to a file.
    for method, check in (("QRCodePNG", lambda b: b[:4] == b"\x89PNG"),
                          ("Base32StringSeed", lambda b: len(b) == 64 and b.isalnum())):
        out = server.data_dir.parent / f"{name}-{method}"
        device = server.cli("iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", f"{name}-{method}",
                            "--outfile", str(out), "--bootstrap-method", method)["VirtualMFADevice"]
        assert check(out.read_bytes())
        server.cli("iam", "delete-virtual-mfa-device", "--serial-number", device["SerialNumber"])


def test_iam_calls_are_audited_without_secrets(server, iam):
    name = unique("audited")
    iam.create_user(UserName=name, Tags=[{"Key": "k", "Value": "v"}])
    key = iam.create_access_key(UserName=name)["AccessKey"]
    deadline = time.time() + 10
    text = ""
    while time.time() < deadline:
        text = audit_text(server)
        if key["AccessKeyId"] in text or name in text:
            break
        time.sleep(0.2)
    events = [json.loads(line)["event"] for line in text.splitlines() if name in line]
    created = [e for e in events if e["eventName"] == "CreateUser"]
    assert created and created[0]["eventSource"] == "iam.amazonaws.com"
    assert created[0]["requestParameters"]["userName"] == name
    assert created[0]["requestParameters"]["tags"] == [{"key": "k", "value": "v"}]
    assert key["SecretAccessKey"] not in text


VECTORS = pathlib.Path(__file__).resolve().parent.parent / "crates/mlguard-policy/tests/data/eval"


def simulatable(case):
    """Vectors SimulateCustomPolicy can express: identity, boundary and resource
    policies, an IAM user or root as the caller, no session policies or SCPs."""
    policies = case["policies"]
    if set(policies) - {"identity", "boundary", "resource"} or case.get("resource_policy_mandatory"):
        return False
    request = case["request"]
    principal = request.get("principal")
    if not isinstance(principal, str) or not (":user/" in principal or principal.endswith(":root")):
        return False
    if request.get("role_arn") or request.get("federated_user_arn"):
        return False
    if any(not 5 <= len(k) <= 256 for k in (request.get("context") or {})):
        return False  # outside the API's ContextKeyName length
    resource = policies.get("resource")
    if resource is not None:
        statements = resource["Statement"] if isinstance(resource["Statement"], list) else [resource["Statement"]]
        if not any("Resource" in s or "NotResource" in s for s in statements):
            return False
    return True


def test_policy_engine_vectors_through_simulate_custom_policy(iam):
    cases = [c for f in sorted(VECTORS.glob("*.json")) for c in json.loads(f.read_text())["cases"]]
    eligible = [c for c in cases if simulatable(c)]
    assert len(eligible) > 250
    failures = []
    for case in eligible:
        request = case["request"]
        kwargs = {
            "PolicyInputList": [json.dumps(p) for p in case["policies"].get("identity", [])],
            "ActionNames": [request["action"]],
            "ResourceArns": [request.get("resource", "*")],
            "CallerArn": request["principal"],
        }
        if "boundary" in case["policies"]:
            kwargs["PermissionsBoundaryPolicyInputList"] = [json.dumps(p) for p in case["policies"]["boundary"]]
        if case["policies"].get("resource") is not None:
            kwargs["ResourcePolicy"] = json.dumps(case["policies"]["resource"])
        if request.get("resource_account"):
            kwargs["ResourceOwner"] = f"arn:aws:iam::{request['resource_account']}:root"
        entries = []
        for key, entry in (request.get("context") or {}).items():
            values = entry["value"] if isinstance(entry["value"], list) else [entry["value"]]
            entries.append({"ContextKeyName": key, "ContextKeyType": entry["type"],
                            "ContextKeyValues": [v if isinstance(v, str) else json.dumps(v) for v in values]})
        if entries:
            kwargs["ContextEntries"] = entries
        result = iam.simulate_custom_policy(**kwargs)["EvaluationResults"][0]
        if result["EvalDecision"] != case["expect"]:
            failures.append((case["name"], case["expect"], result["EvalDecision"]))
    assert failures == []


def test_simulate_principal_policy(server, iam):
    name, _, _, _ = user_with_key(server, iam, policy=ALLOW_ALL_KMS)
    group = unique("g")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="deny-delete", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "NoDelete", "Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}]}))
    iam.add_user_to_group(GroupName=group, UserName=name)
    arn = iam.get_user(UserName=name)["User"]["Arn"]
    results = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["kms:Encrypt", "kms:ScheduleKeyDeletion", "s3:GetObject"])["EvaluationResults"]
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in results}
    assert decisions == {"kms:Encrypt": "allowed", "kms:ScheduleKeyDeletion": "explicitDeny", "s3:GetObject": "implicitDeny"}
    denied = [r for r in results if r["EvalActionName"] == "kms:ScheduleKeyDeletion"][0]
    assert denied["MatchedStatements"][0]["SourcePolicyId"] == "deny-delete"
    assert denied["MatchedStatements"][0]["StartPosition"]["Line"] >= 1
    boundary = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}
    bounded = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["kms:Encrypt"],
                                            PermissionsBoundaryPolicyInputList=[json.dumps(boundary)])["EvaluationResults"][0]
    assert bounded["EvalDecision"] == "implicitDeny"
    assert bounded["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"] is False
    code, _ = error_of(iam.simulate_custom_policy, PolicyInputList=["{bad"], ActionNames=["kms:Encrypt"])
    assert code == "MalformedPolicyDocument"


def test_account_authorization_details(server, iam):
    name, _, _, _ = user_with_key(server, iam, policy=ALLOW_ALL_KMS)
    details = iam.get_account_authorization_details(Filter=["User"])
    users = {u["UserName"]: u for u in details["UserDetailList"]}
    assert users[name]["UserPolicyList"] == [{"PolicyName": "p", "PolicyDocument": ALLOW_ALL_KMS}]
    assert details["RoleDetailList"] == [] and details["Policies"] == []
    everything = [p for p in iam.get_paginator("get_account_authorization_details").paginate()]
    assert any(name in [u["UserName"] for u in p["UserDetailList"]] for p in everything)


def test_permissions_boundary_caps_a_user(server, iam):
    name, user_kms, _, _ = user_with_key(server, iam, policy=ALLOW_ALL_KMS)
    boundary = iam.create_policy(PolicyName=unique("boundary"), PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["kms:ListKeys", "kms:DescribeKey"], "Resource": "*"}]}))["Policy"]
    assert error_of(iam.put_user_permissions_boundary, UserName=name,
                    PermissionsBoundary=boundary["Arn"] + "x")[0] == "NoSuchEntity"
    iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=boundary["Arn"])
    got = iam.get_user(UserName=name)["User"]["PermissionsBoundary"]
    assert got == {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary["Arn"]}
    assert iam.get_policy(PolicyArn=boundary["Arn"])["Policy"]["PermissionsBoundaryUsageCount"] == 1
    user_kms.list_keys()
    code, message = error_of(user_kms.create_key)
    assert code == "AccessDeniedException" and "because no permissions boundary allows the kms:CreateKey action" in message
    iam.delete_user_permissions_boundary(UserName=name)
    assert "PermissionsBoundary" not in iam.get_user(UserName=name)["User"]
    assert user_kms.create_key()["KeyMetadata"]["KeyState"] == "Enabled"


def test_user_tags_and_principal_tag_conditions(server, iam):
    key = server.client("kms").create_key()["KeyMetadata"]
    name, user_kms, _, _ = user_with_key(server, iam, policy={"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "kms:DescribeKey", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "ml"}}}]})
    assert error_of(user_kms.describe_key, KeyId=key["KeyId"])[0] == "AccessDeniedException"
    iam.tag_user(UserName=name, Tags=[{"Key": "team", "Value": "ml"}, {"Key": "cost", "Value": "1"}])
    assert user_kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyId"] == key["KeyId"]
    assert sorted(t["Key"] for t in iam.list_user_tags(UserName=name)["Tags"]) == ["cost", "team"]
    iam.untag_user(UserName=name, TagKeys=["team"])
    assert iam.list_user_tags(UserName=name)["Tags"] == [{"Key": "cost", "Value": "1"}]
    assert error_of(user_kms.describe_key, KeyId=key["KeyId"])[0] == "AccessDeniedException"


def test_virtual_mfa_devices_listing_and_errors(iam):
    name = unique("mfa")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    assert device["SerialNumber"].endswith(f":mfa/{name}")
    assert error_of(iam.create_virtual_mfa_device, VirtualMFADeviceName=name)[0] == "EntityAlreadyExists"
    unassigned = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert device["SerialNumber"] in [d["SerialNumber"] for d in unassigned]
    assert all("Base32StringSeed" not in d for d in unassigned)
    iam.delete_virtual_mfa_device(SerialNumber=device["SerialNumber"])
    assert error_of(iam.delete_virtual_mfa_device, SerialNumber=device["SerialNumber"])[0] == "NoSuchEntity"


def test_unknown_and_unimplemented_actions(iam):
    code, message = error_of(iam.create_saml_provider, Name="corp", SAMLMetadataDocument="x" * 1000)
    assert code == "NotImplemented" and "CreateSAMLProvider" in message


def test_context_keys_for_custom_and_principal_policies(server, iam):
    # AWS's own example: the policy variable in the resource, then the condition key.
    example = {"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Action": "dynamodb:*",
        "Resource": "arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}",
        "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2015-08-16T12:00:00Z"}}}}
    got = iam.get_context_keys_for_custom_policy(PolicyInputList=[json.dumps(example)])
    assert got["ContextKeyNames"] == ["aws:username", "aws:CurrentTime"]
    assert server.cli("iam", "get-context-keys-for-custom-policy", "--policy-input-list",
                      json.dumps(example))["ContextKeyNames"] == ["aws:username", "aws:CurrentTime"]
    assert error_of(iam.get_context_keys_for_custom_policy, PolicyInputList=["{not json"])[0] == \
        "MalformedPolicyDocument"
    # A user's keys include its groups' and its attached policies', each key once.
    name = unique("keys")
    group = unique("keys-group")
    iam.create_user(UserName=name)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="mfa", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
                                                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}))
    iam.put_group_policy(GroupName=group, PolicyName="net", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*",
                                                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                                                              "Bool": {"aws:multifactorauthpresent": "true"}}}]}))
    managed = iam.create_policy(PolicyName=unique("tagged"), PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                "Resource": "arn:aws:s3:::data/${aws:PrincipalTag/team}/*"}]}))["Policy"]
    iam.attach_user_policy(UserName=name, PolicyArn=managed["Arn"])
    arn = iam.get_user(UserName=name)["User"]["Arn"]
    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=arn)["ContextKeyNames"]
    assert sorted(keys, key=str.lower) == ["aws:MultiFactorAuthPresent", "aws:PrincipalTag/team", "aws:SourceIp"]
    extra = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                                                     "Condition": {"StringEquals": {"s3:prefix": "home/"}}}]}
    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=arn, PolicyInputList=[json.dumps(extra)])
    assert "s3:prefix" in keys["ContextKeyNames"]
    assert error_of(iam.get_context_keys_for_principal_policy,
                    PolicySourceArn=arn.replace(name, unique("nobody")))[0] == "NoSuchEntity"
    iam.detach_user_policy(UserName=name, PolicyArn=managed["Arn"])
    iam.delete_policy(PolicyArn=managed["Arn"])
    iam.delete_user_policy(UserName=name, PolicyName="mfa")
    iam.delete_group_policy(GroupName=group, PolicyName="net")
    iam.remove_user_from_group(GroupName=group, UserName=name)
    iam.delete_group(GroupName=group)
    iam.delete_user(UserName=name)


AWS_POLICY = "arn:aws:iam::aws:policy/"


def test_aws_managed_policies(server, iam):
    admin = iam.get_policy(PolicyArn=AWS_POLICY + "AdministratorAccess")["Policy"]
    assert admin["PolicyName"] == "AdministratorAccess" and admin["Path"] == "/"
    assert admin["DefaultVersionId"] == "v1" and admin["IsAttachable"] and admin["PolicyId"].startswith("ANPA")
    version = iam.get_policy_version(PolicyArn=admin["Arn"], VersionId="v1")["PolicyVersion"]
    assert version["IsDefaultVersion"]
    assert version["Document"]["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    lambda_basic = iam.get_policy(PolicyArn=AWS_POLICY + "service-role/AWSLambdaBasicExecutionRole")["Policy"]
    assert lambda_basic["Path"] == "/service-role/"
    assert error_of(iam.get_policy, PolicyArn=AWS_POLICY + "NoSuchPolicyAnywhere")[0] == "NoSuchEntity"
    # Listing: Scope=AWS has only AWS's, Local only the account's, All both; pages hold together.
    local = iam.create_policy(PolicyName=unique("local"), PolicyDocument=json.dumps(ALLOW_ALL_KMS))["Policy"]
    aws_names = [p["PolicyName"] for p in iam.list_policies(Scope="AWS")["Policies"]]
    assert {"AdministratorAccess", "IAMReadOnlyAccess", "AWSKeyManagementServicePowerUser"} <= set(aws_names)
    assert local["PolicyName"] not in aws_names
    assert "AdministratorAccess" not in [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]]
    paged = [p["PolicyName"] for page in iam.get_paginator("list_policies").paginate(
        Scope="All", PaginationConfig={"PageSize": 3}) for p in page["Policies"]]
    assert set(aws_names) | {local["PolicyName"]} <= set(paged) and len(paged) == len(set(paged))
    cli_names = [p["PolicyName"] for p in server.cli("iam", "list-policies", "--scope", "AWS")["Policies"]]
    assert cli_names == aws_names
    # AWS's policies are AWS's: no new versions, no deletion, even by the root.
    code, message = error_of(iam.create_policy_version, PolicyArn=admin["Arn"],
                             PolicyDocument=json.dumps(ALLOW_ALL_KMS))
    assert code == "AccessDenied" and "iam:CreatePolicyVersion on resource: policy " + admin["Arn"] in message
    assert error_of(iam.delete_policy, PolicyArn=admin["Arn"])[0] == "AccessDenied"
    assert error_of(iam.set_default_policy_version, PolicyArn=admin["Arn"], VersionId="v1")[0] == "AccessDenied"
    iam.delete_policy(PolicyArn=local["Arn"])


def test_aws_managed_policies_grant_what_they_say(server, iam):
    """A key administrator with AWS's AWSKeyManagementServicePowerUser can create and
    describe keys but not use or delete them; IAMReadOnlyAccess reads IAM only."""
    name, user_kms, _, key = user_with_key(server, iam)
    iam.attach_user_policy(UserName=name, PolicyArn=AWS_POLICY + "AWSKeyManagementServicePowerUser")
    iam.attach_user_policy(UserName=name, PolicyArn=AWS_POLICY + "IAMReadOnlyAccess")
    attached = iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
    assert {p["PolicyName"] for p in attached} == {"AWSKeyManagementServicePowerUser", "IAMReadOnlyAccess"}
    created = user_kms.create_key()["KeyMetadata"]
    assert user_kms.describe_key(KeyId=created["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    code, message = error_of(user_kms.encrypt, KeyId=created["KeyId"], Plaintext=b"x")
    assert code == "AccessDeniedException" and "kms:Encrypt" in message
    assert error_of(user_kms.schedule_key_deletion, KeyId=created["KeyId"])[0] == "AccessDeniedException"
    user_iam = server.client("iam", access_key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert name in [u["UserName"] for u in user_iam.list_users()["Users"]]
    assert error_of(user_iam.create_user, UserName=unique("nope"))[0] == "AccessDenied"
    # The attachment shows where AWS shows it.
    policy = iam.get_policy(PolicyArn=AWS_POLICY + "IAMReadOnlyAccess")["Policy"]
    assert policy["AttachmentCount"] >= 1
    users = iam.list_entities_for_policy(PolicyArn=policy["Arn"])["PolicyUsers"]
    assert name in [u["UserName"] for u in users]
    details = iam.get_account_authorization_details(Filter=["AWSManagedPolicy"])["Policies"]
    assert "IAMReadOnlyAccess" in [p["PolicyName"] for p in details]
    assert "AdministratorAccess" not in [p["PolicyName"] for p in details]  # attached to nothing
    # As a permissions boundary, too: ReadOnly IAM caps an admin-by-inline-policy user.
    iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=AWS_POLICY + "IAMReadOnlyAccess")
    code, message = error_of(user_kms.describe_key, KeyId=created["KeyId"])
    assert code == "AccessDeniedException" and "permissions boundary" in message
    iam.delete_user_permissions_boundary(UserName=name)
    for arn in (AWS_POLICY + "AWSKeyManagementServicePowerUser", AWS_POLICY + "IAMReadOnlyAccess"):
        iam.detach_user_policy(UserName=name, PolicyArn=arn)
    server.client("kms").schedule_key_deletion(KeyId=created["KeyId"], PendingWindowInDays=7)


def trusting(account, *principals, actions=("sts:AssumeRole",)):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": list(actions)}]})


def test_the_root_user_cannot_assume_a_role(server, iam, sts):
    account = sts.get_caller_identity()["Account"]
    role = unique("rootless")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trusting(account, f"arn:aws:iam::{account}:root"))
    try:
        sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="root-session")
        raise AssertionError("root assumed a role")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "AccessDenied"
        assert e.response["Error"]["Message"] == "Roles may not be assumed by root accounts."
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_a_source_identity_needs_set_source_identity_on_both_sides(server, iam, sts):
    account = sts.get_caller_identity()["Account"]
    both = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"], "Resource": "*"}]}
    name, _, user_sts, _ = user_with_key(server, iam, both)
    role = unique("sourced")
    role_arn = f"arn:aws:iam::{account}:role/{role}"
    # The account's trust delegates to the user's policies, for each action.
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trusting(account, f"arn:aws:iam::{account}:root"))
    assert user_sts.assume_role(RoleArn=role_arn, RoleSessionName="plain")
    code, message = error_of(user_sts.assume_role, RoleArn=role_arn, RoleSessionName="sourced", SourceIdentity="alice")
    assert code == "AccessDenied" and "sts:SetSourceIdentity" in message
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=trusting(
        account, f"arn:aws:iam::{account}:root", actions=("sts:AssumeRole", "sts:SetSourceIdentity")))
    assert user_sts.assume_role(RoleArn=role_arn, RoleSessionName="sourced",
                                SourceIdentity="alice")["SourceIdentity"] == "alice"
    # Without it in the user's own policy, the account's trust does not grant it.
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    code, _ = error_of(user_sts.assume_role, RoleArn=role_arn, RoleSessionName="sourced", SourceIdentity="alice")
    assert code == "AccessDenied"


def test_iam_access_denied_is_403(server, iam):
    _, _, _, key = user_with_key(server, iam)
    user_iam = server.client("iam", access_key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    try:
        user_iam.list_users()
        raise AssertionError("a user without policies listed users")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "AccessDenied"
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_aws_prefixed_tag_keys_are_reserved(server, iam):
    name = unique("tagged")
    iam.create_user(UserName=name)
    for key in ("aws:x", "AWS:team", "Aws:cost"):
        code, message = error_of(iam.tag_user, UserName=name, Tags=[{"Key": key, "Value": "1"}])
        assert code == "InvalidInput" and "aws:" in message
    code, _ = error_of(iam.create_role, RoleName=unique("tagged"), Tags=[{"Key": "aws:x", "Value": "1"}],
                       AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                           "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                           "Action": "sts:AssumeRole"}]}))
    assert code == "InvalidInput"
    iam.tag_user(UserName=name, Tags=[{"Key": "awsome", "Value": "1"}])
    assert iam.list_user_tags(UserName=name)["Tags"] == [{"Key": "awsome", "Value": "1"}]


def test_a_trust_policy_may_name_only_principals_that_exist(server, iam, sts):
    account = sts.get_caller_identity()["Account"]
    ghost = f"arn:aws:iam::{account}:user/{unique('ghost')}"
    role = unique("trusting")
    code, message = error_of(iam.create_role, RoleName=role, AssumeRolePolicyDocument=trusting(account, ghost))
    assert code == "MalformedPolicyDocument"
    assert message == f'Invalid principal in policy: "AWS":"{ghost}"'
    name = unique("real")
    iam.create_user(UserName=name, Path="/team/")
    # The ARN must be the user's own, path included.
    code, _ = error_of(iam.create_role, RoleName=role,
                       AssumeRolePolicyDocument=trusting(account, f"arn:aws:iam::{account}:user/{name}"))
    assert code == "MalformedPolicyDocument"
    real = f"arn:aws:iam::{account}:user/team/{name}"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trusting(account, real))
    code, _ = error_of(iam.update_assume_role_policy, RoleName=role, PolicyDocument=trusting(account, real, ghost))
    assert code == "MalformedPolicyDocument"
    # Accounts, other accounts' principals and services are not checked.
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=trusting(
        account, f"arn:aws:iam::{account}:root", "arn:aws:iam::111122223333:role/elsewhere", real))
