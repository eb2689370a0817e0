"""GetKeyPolicy, PutKeyPolicy, ListKeyPolicies, and key policies being enforced."""

import json
import uuid

import pytest

from kms_helpers import create_key, expect_any_error, expect_error, raw_client


def default_policy_text(account):
    return (
        '{\n  "Version" : "2012-10-17",\n  "Id" : "key-default-1",\n  "Statement" : [ {\n'
        '    "Sid" : "Enable IAM User Permissions",\n    "Effect" : "Allow",\n    "Principal" : {\n'
        f'      "AWS" : "arn:aws:iam::{account}:root"\n'
        '    },\n    "Action" : "kms:*",\n    "Resource" : "*"\n  } ]\n}'
    )


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow_all(account):
    return {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "kms:*", "Resource": "*"}


def test_default_key_policy_text(kms):
    meta = create_key(kms)
    response = kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")
    assert response["Policy"] == default_policy_text(meta["AWSAccountId"])
    assert response.get("PolicyName", "default") == "default"


def test_get_key_policy_policy_name_is_optional(kms):
    meta = create_key(kms)
    assert kms.get_key_policy(KeyId=meta["Arn"])["Policy"] == default_policy_text(meta["AWSAccountId"])


def test_get_key_policy_unknown_name(kms):
    meta = create_key(kms)
    with pytest.raises(kms.exceptions.ClientError):
        kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="other")


def test_list_key_policies(kms):
    meta = create_key(kms)
    response = kms.list_key_policies(KeyId=meta["KeyId"])
    assert response["PolicyNames"] == ["default"]
    assert response["Truncated"] is False
    kms.disable_key(KeyId=meta["KeyId"])
    assert kms.list_key_policies(KeyId=meta["Arn"])["PolicyNames"] == ["default"]


def test_put_key_policy_round_trip(kms):
    meta = create_key(kms)
    account = meta["AWSAccountId"]
    document = {
        "Version": "2012-10-17",
        "Id": "custom",
        "Statement": [
            allow_all(account),
            {"Sid": "ReadOnlyForAnalysts", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
             "Action": ["kms:Describe*", "kms:Get*"], "Resource": "*"},
        ],
    }
    response = kms.put_key_policy(KeyId=meta["KeyId"], PolicyName="default", Policy=json.dumps(document))
    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {}
    # AWS re-serialises the document; compare meaning, not bytes.
    assert json.loads(kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"]) == document
    # PolicyName may be omitted.
    kms.put_key_policy(KeyId=meta["KeyId"], Policy=policy(allow_all(account)))
    assert json.loads(kms.get_key_policy(KeyId=meta["KeyId"])["Policy"])["Statement"] == [allow_all(account)]


def test_create_key_with_policy(kms):
    account = create_key(kms)["AWSAccountId"]
    document = policy(allow_all(account))
    meta = create_key(kms, Policy=document)
    assert json.loads(kms.get_key_policy(KeyId=meta["KeyId"])["Policy"]) == json.loads(document)


def test_put_key_policy_on_disabled_and_pending_deletion_keys(kms):
    meta = create_key(kms)
    account = meta["AWSAccountId"]
    kms.disable_key(KeyId=meta["KeyId"])
    kms.put_key_policy(KeyId=meta["KeyId"], Policy=policy(allow_all(account)))
    kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
    kms.put_key_policy(KeyId=meta["KeyId"], Policy=policy(allow_all(account)))
    kms.get_key_policy(KeyId=meta["KeyId"])


def test_deny_encrypt_is_enforced(kms):
    meta = create_key(kms)
    account = meta["AWSAccountId"]
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"before the deny")["CiphertextBlob"]
    kms.put_key_policy(KeyId=meta["KeyId"], Policy=policy(
        allow_all(account),
        {"Sid": "NoEncrypt", "Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
         "Action": "kms:Encrypt", "Resource": "*"},
    ))
    expect_error(lambda: kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x"), "AccessDeniedException")
    # Only Encrypt is denied.
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before the deny"
    kms.generate_data_key(KeyId=meta["KeyId"], KeySpec="AES_256")
    kms.describe_key(KeyId=meta["KeyId"])
    # Other keys are unaffected.
    other = create_key(kms)
    kms.encrypt(KeyId=other["KeyId"], Plaintext=b"x")


def test_deny_with_condition_on_encryption_context(kms):
    meta = create_key(kms)
    account = meta["AWSAccountId"]
    kms.put_key_policy(KeyId=meta["KeyId"], Policy=policy(
        allow_all(account),
        {"Sid": "OnlyTraining", "Effect": "Deny", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*",
         "Condition": {"StringNotEquals": {"kms:EncryptionContext:purpose": "training"}}},
    ))
    kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x", EncryptionContext={"purpose": "training"})
    expect_error(lambda: kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x", EncryptionContext={"purpose": "other"}),
                 "AccessDeniedException")
    expect_error(lambda: kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x"), "AccessDeniedException")


def test_policy_without_allow_denies_implicitly(kms):
    meta = create_key(kms)
    account = meta["AWSAccountId"]
    kms.put_key_policy(KeyId=meta["KeyId"], Policy=policy(
        {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
         "Action": ["kms:PutKeyPolicy", "kms:GetKeyPolicy", "kms:DescribeKey"], "Resource": "*"},
    ))
    kms.describe_key(KeyId=meta["KeyId"])
    expect_error(lambda: kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x"), "AccessDeniedException")
    expect_error(lambda: kms.disable_key(KeyId=meta["KeyId"]), "AccessDeniedException")
    # Restoring a permissive policy restores access.
    kms.put_key_policy(KeyId=meta["KeyId"], Policy=policy(allow_all(account)))
    kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x")


@pytest.mark.parametrize("document", [
    "this is not json",
    "{}",
    '{"Version": "2012-10-17"}',
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}',
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", '
    '"Resource": "*", "Bogus": 1}]}',
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "not-an-arn"}, '
    '"Action": "kms:*", "Resource": "*"}]}',
])
def test_put_key_policy_malformed(kms, document):
    meta = create_key(kms)
    expect_error(lambda: kms.put_key_policy(KeyId=meta["KeyId"], PolicyName="default", Policy=document),
                 "MalformedPolicyDocumentException")
    assert kms.get_key_policy(KeyId=meta["KeyId"])["Policy"] == default_policy_text(meta["AWSAccountId"])


def test_put_key_policy_lockout_safety_check(kms):
    meta = create_key(kms)
    account = meta["AWSAccountId"]
    encrypt_only = policy({"Sid": "EncryptOnly", "Effect": "Allow",
                           "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                           "Action": "kms:Encrypt", "Resource": "*"})
    expect_error(lambda: kms.put_key_policy(KeyId=meta["KeyId"], Policy=encrypt_only),
                 "MalformedPolicyDocumentException")
    assert kms.get_key_policy(KeyId=meta["KeyId"])["Policy"] == default_policy_text(account)
    # With the bypass, the caller locks itself out.
    kms.put_key_policy(KeyId=meta["KeyId"], Policy=encrypt_only, BypassPolicyLockoutSafetyCheck=True)
    kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"still allowed")
    expect_error(lambda: kms.get_key_policy(KeyId=meta["KeyId"]), "AccessDeniedException")
    expect_error(lambda: kms.put_key_policy(KeyId=meta["KeyId"], Policy=policy(allow_all(account))),
                 "AccessDeniedException")


def test_put_key_policy_explicit_deny_of_put_is_a_lockout(kms):
    meta = create_key(kms)
    account = meta["AWSAccountId"]
    document = policy(allow_all(account), {"Sid": "NoChanges", "Effect": "Deny", "Principal": "*",
                                           "Action": "kms:PutKeyPolicy", "Resource": "*"})
    expect_error(lambda: kms.put_key_policy(KeyId=meta["KeyId"], Policy=document), "MalformedPolicyDocumentException")


def test_create_key_lockout_safety_check(kms):
    account = create_key(kms)["AWSAccountId"]
    encrypt_only = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                           "Action": "kms:Encrypt", "Resource": "*"})
    expect_error(lambda: kms.create_key(Policy=encrypt_only), "MalformedPolicyDocumentException")
    meta = kms.create_key(Policy=encrypt_only, BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]
    kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x")


def test_put_key_policy_too_large(server):
    kms = raw_client(server)
    meta = create_key(kms)
    account = meta["AWSAccountId"]
    statements = [allow_all(account)] + [
        {"Sid": f"S{i}", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
         "Action": "kms:Describe*", "Resource": "*"} for i in range(400)]
    document = policy(*statements)
    assert 32768 < len(document) <= 131072
    expect_any_error(lambda: kms.put_key_policy(KeyId=meta["KeyId"], Policy=document),
                     {"LimitExceededException"})


def test_key_policy_operations_on_missing_key(kms):
    missing = str(uuid.uuid4())
    expect_error(lambda: kms.get_key_policy(KeyId=missing), "NotFoundException")
    expect_error(lambda: kms.list_key_policies(KeyId=missing), "NotFoundException")
