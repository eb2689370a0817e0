"""Grant constraints, condition keys and policy principals as non-root principals
see them: the encryption-context keys of a grant constraint are not case-sensitive
(its values are), constraints are for symmetric keys and bound the grants a
constrained grant creates, `kms:RequestAlias` is the alias the request named the key
by, and key and secret policies may name only principals that exist."""

import json

from helpers import user_client
from kms_helpers import create_key, expect_error, unique


def user(server, policy=None):
    """An IAM user with an access key: its KMS client and its ARN."""
    return user_client(server, policy, "kms")


def test_grant_constraint_keys_ignore_case_and_values_do_not(server, kms):
    meta = create_key(kms)
    grantee, arn = user(server)
    kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=arn, Operations=["Decrypt"],
                     Constraints={"EncryptionContextSubset": {"purpose": "Test"}})
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x", EncryptionContext={"Purpose": "Test"})["CiphertextBlob"]
    # "The key in each key-value pair is not case sensitive, but the value is."
    assert grantee.decrypt(CiphertextBlob=blob, EncryptionContext={"Purpose": "Test"})["Plaintext"] == b"x"
    other = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"y", EncryptionContext={"purpose": "test"})["CiphertextBlob"]
    expect_error(lambda: grantee.decrypt(CiphertextBlob=other, EncryptionContext={"purpose": "test"}),
                 "AccessDeniedException")


def test_grant_constraint_equals_ignores_key_case(server, kms):
    meta = create_key(kms)
    grantee, arn = user(server)
    kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=arn, Operations=["Encrypt"],
                     Constraints={"EncryptionContextEquals": {"Project": "vision"}})
    assert grantee.encrypt(KeyId=meta["Arn"], Plaintext=b"x", EncryptionContext={"project": "vision"})
    expect_error(lambda: grantee.encrypt(KeyId=meta["Arn"], Plaintext=b"x",
                                         EncryptionContext={"project": "vision", "extra": "1"}),
                 "AccessDeniedException")


def test_request_alias_is_the_alias_the_request_names(server, kms):
    meta = create_key(kms)
    alias = unique("alias/cond")
    kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
    other_alias = unique("alias/other")
    kms.create_alias(AliasName=other_alias, TargetKeyId=meta["KeyId"])
    client, arn = user(server)
    account = meta["AWSAccountId"]
    kms.put_key_policy(KeyId=meta["KeyId"], PolicyName="default", Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*",
             "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": arn},
             "Action": ["kms:GenerateDataKey", "kms:DescribeKey", "kms:Decrypt"], "Resource": "*",
             "Condition": {"StringEquals": {"kms:RequestAlias": alias}}},
        ],
    }))
    data_key = client.generate_data_key(KeyId=alias, KeySpec="AES_256")
    alias_arn = f"arn:aws:kms:us-east-1:{account}:{alias}"
    assert client.describe_key(KeyId=alias_arn)["KeyMetadata"]["Arn"] == meta["Arn"]
    assert client.decrypt(CiphertextBlob=data_key["CiphertextBlob"], KeyId=alias)["Plaintext"] == data_key["Plaintext"]
    # The key's id, its ARN or another alias of it is not the alias.
    for key_id in (meta["KeyId"], meta["Arn"], other_alias):
        expect_error(lambda: client.generate_data_key(KeyId=key_id, KeySpec="AES_256"), "AccessDeniedException")
    expect_error(lambda: client.decrypt(CiphertextBlob=data_key["CiphertextBlob"]), "AccessDeniedException")


def test_constraints_are_for_symmetric_encryption_keys_only(kms):
    rsa = create_key(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    expect_error(lambda: kms.create_grant(KeyId=rsa["KeyId"], GranteePrincipal=f"arn:aws:iam::{rsa['AWSAccountId']}:root",
                                          Operations=["Decrypt"], Constraints={"EncryptionContextEquals": {"a": "b"}}),
                 "ValidationException")


def test_a_constrained_grant_creates_only_grants_as_strict(server, kms):
    # "If a grant with a grant constraint includes the CreateGrant operation, the
    # constraint requires that any grants created with the CreateGrant permission
    # have an equally strict or stricter encryption context constraint."
    meta = create_key(kms)
    delegate, delegate_arn = user(server)
    _, worker_arn = user(server)
    kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=delegate_arn, Operations=["Decrypt", "CreateGrant"],
                     Constraints={"EncryptionContextSubset": {"project": "vision"}})

    def sub_grant(constraints=None):
        kwargs = {"Constraints": constraints} if constraints is not None else {}
        return delegate.create_grant(KeyId=meta["Arn"], GranteePrincipal=worker_arn, Operations=["Decrypt"], **kwargs)

    assert sub_grant({"EncryptionContextSubset": {"project": "vision"}})["GrantId"]
    assert sub_grant({"EncryptionContextSubset": {"Project": "vision", "stage": "train"}})["GrantId"]
    assert sub_grant({"EncryptionContextEquals": {"project": "vision", "stage": "eval"}})["GrantId"]
    for weaker in (None, {"EncryptionContextSubset": {"stage": "train"}},
                   {"EncryptionContextSubset": {"project": "other"}}):
        expect_error(lambda: sub_grant(weaker), "AccessDeniedException")


def test_a_key_policy_may_name_only_principals_that_exist(server, kms):
    meta = create_key(kms)
    account = meta["AWSAccountId"]
    _, arn = user(server)

    def policy(*principals):
        return json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*",
             "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "kms:Decrypt", "Resource": "*"}]})

    for ghost in (f"arn:aws:iam::{account}:user/{unique('ghost')}", f"arn:aws:iam::{account}:role/{unique('ghost')}"):
        expect_error(lambda: kms.put_key_policy(KeyId=meta["KeyId"], PolicyName="default", Policy=policy(arn, ghost)),
                     "MalformedPolicyDocumentException",
                     "Policy contains a statement with one or more invalid principals.")
        expect_error(lambda: kms.create_key(Policy=policy(ghost)), "MalformedPolicyDocumentException")
    kms.put_key_policy(KeyId=meta["KeyId"], PolicyName="default",
                       Policy=policy(arn, "arn:aws:iam::111122223333:role/in-another-account"))


def test_a_secret_policy_may_name_only_principals_that_exist(server):
    sm = server.client("secretsmanager")
    name = unique("guarded")
    arn = sm.create_secret(Name=name, SecretString="v")["ARN"]
    account = arn.split(":")[4]
    ghost = f"arn:aws:iam::{account}:user/{unique('ghost')}"
    doc = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ghost}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    expect_error(lambda: sm.put_resource_policy(SecretId=name, ResourcePolicy=doc), "MalformedPolicyDocumentException")
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
