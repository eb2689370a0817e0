"""CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant."""

import datetime
import re
import uuid

import pytest

from kms_helpers import DRY_RUN, create_key, expect_any_error, expect_error, raw_client, unique

GRANT_ID_RE = re.compile(r"^[0-9a-f]{64}$")


def root(meta):
    return f"arn:aws:iam::{meta['AWSAccountId']}:root"


def grants_of(kms, key_id, **filters):
    entries = []
    kwargs = {"KeyId": key_id, **filters}
    while True:
        page = kms.list_grants(**kwargs)
        entries.extend(page["Grants"])
        if not page["Truncated"]:
            assert "NextMarker" not in page
            return entries
        kwargs["Marker"] = page["NextMarker"]


def test_create_and_list_grant(kms):
    meta = create_key(kms)
    grantee = root(meta)
    response = kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=grantee, RetiringPrincipal=grantee,
                                Operations=["Encrypt", "Decrypt", "GenerateDataKey"],
                                Constraints={"EncryptionContextSubset": {"dept": "ml"}})
    assert GRANT_ID_RE.match(response["GrantId"]), response["GrantId"]
    assert response["GrantToken"]
    grants = grants_of(kms, meta["KeyId"])
    assert len(grants) == 1
    grant = grants[0]
    assert grant["KeyId"] == meta["Arn"]
    assert grant["GrantId"] == response["GrantId"]
    assert grant["GranteePrincipal"] == grantee
    assert grant["RetiringPrincipal"] == grantee
    assert grant["IssuingAccount"] == root(meta)
    assert sorted(grant["Operations"]) == ["Decrypt", "Encrypt", "GenerateDataKey"]
    assert grant["Constraints"] == {"EncryptionContextSubset": {"dept": "ml"}}
    assert "Name" not in grant
    assert abs((grant["CreationDate"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) < 60
    # By key ARN too, and filtered.
    assert grants_of(kms, meta["Arn"], GrantId=response["GrantId"]) == grants
    assert grants_of(kms, meta["Arn"], GranteePrincipal=grantee) == grants
    assert grants_of(kms, meta["Arn"], GranteePrincipal="arn:aws:iam::111122223333:root") == []


def test_grant_token_can_be_used(kms):
    meta = create_key(kms)
    grant = kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=root(meta), Operations=["Encrypt"])
    encrypted = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x", GrantTokens=[grant["GrantToken"]])
    assert encrypted["KeyId"] == meta["Arn"]


def test_grant_name_is_idempotent_per_key(kms):
    first, second = create_key(kms), create_key(kms)
    name = unique("grant")
    a = kms.create_grant(KeyId=first["KeyId"], GranteePrincipal=root(first), Operations=["Decrypt"], Name=name)
    b = kms.create_grant(KeyId=first["KeyId"], GranteePrincipal=root(first), Operations=["Decrypt"], Name=name)
    assert a["GrantId"] == b["GrantId"]
    grants = grants_of(kms, first["KeyId"])
    assert len(grants) == 1 and grants[0]["Name"] == name
    c = kms.create_grant(KeyId=second["KeyId"], GranteePrincipal=root(second), Operations=["Decrypt"], Name=name)
    assert c["GrantId"] != a["GrantId"]
    assert len(grants_of(kms, second["KeyId"])) == 1


def test_list_grants_pagination(kms):
    meta = create_key(kms)
    ids = {kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=root(meta), Operations=["Encrypt"],
                            Name=f"g{i}")["GrantId"] for i in range(5)}
    seen = []
    kwargs = {"KeyId": meta["KeyId"], "Limit": 2}
    pages = 0
    while True:
        page = kms.list_grants(**kwargs)
        pages += 1
        assert len(page["Grants"]) <= 2
        seen.extend(g["GrantId"] for g in page["Grants"])
        if not page["Truncated"]:
            break
        kwargs["Marker"] = page["NextMarker"]
    assert pages == 3
    assert sorted(seen) == sorted(ids)


def test_list_grants_of_missing_key(kms):
    expect_error(lambda: kms.list_grants(KeyId=str(uuid.uuid4())), "NotFoundException")
    expect_error(lambda: kms.list_grants(KeyId="fake-key-id"), "NotFoundException", "Invalid keyId 'fake-key-id'")


def test_create_grant_for_missing_key(kms):
    expect_error(lambda: kms.create_grant(KeyId=str(uuid.uuid4()), GranteePrincipal="arn:aws:iam::111122223333:root",
                                          Operations=["Decrypt"]), "NotFoundException")


def test_create_grant_by_alias_arn_is_refused(kms):
    meta = create_key(kms)
    alias = f"alias/{unique('grant')}"
    kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
    alias_arn = f"arn:aws:kms:us-east-1:{meta['AWSAccountId']}:{alias}"
    expect_error(lambda: kms.create_grant(KeyId=alias_arn, GranteePrincipal=root(meta), Operations=["Decrypt"]),
                 "InvalidArnException", "Key Aliases are not supported for this operation.")


@pytest.mark.parametrize("spec,usage,operations", [
    ("SYMMETRIC_DEFAULT", None, ["Sign"]),
    ("SYMMETRIC_DEFAULT", None, ["GenerateMac"]),
    ("SYMMETRIC_DEFAULT", None, ["GetPublicKey"]),
    ("RSA_2048", "SIGN_VERIFY", ["Encrypt"]),
    ("RSA_2048", "ENCRYPT_DECRYPT", ["Sign"]),
    ("RSA_2048", "ENCRYPT_DECRYPT", ["GenerateDataKey"]),
    ("HMAC_256", None, ["Decrypt"]),
    ("ECC_NIST_P256", None, ["GenerateDataKeyPair"]),
])
def test_create_grant_operations_must_suit_the_key(kms, spec, usage, operations):
    meta = create_key(kms, spec, usage)
    expect_error(lambda: kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=root(meta), Operations=operations),
                 "ValidationException")
    assert grants_of(kms, meta["KeyId"]) == []


@pytest.mark.parametrize("spec,usage,operations", [
    ("RSA_2048", "SIGN_VERIFY", ["Sign", "Verify", "GetPublicKey", "DescribeKey"]),
    ("HMAC_256", None, ["GenerateMac", "VerifyMac", "DescribeKey", "RetireGrant"]),
    ("RSA_2048", "ENCRYPT_DECRYPT", ["Encrypt", "Decrypt", "GetPublicKey", "ReEncryptFrom", "ReEncryptTo"]),
])
def test_create_grant_operations_suited_to_key(kms, spec, usage, operations):
    meta = create_key(kms, spec, usage)
    kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=root(meta), Operations=operations)
    assert sorted(grants_of(kms, meta["KeyId"])[0]["Operations"]) == sorted(operations)


def test_create_grant_constraints_need_symmetric_operations(kms):
    signing = create_key(kms, "ECC_NIST_P256")
    expect_error(lambda: kms.create_grant(KeyId=signing["KeyId"], GranteePrincipal=root(signing),
                                          Operations=["Sign"], Constraints={"EncryptionContextSubset": {"a": "b"}}),
                 "ValidationException")
    mac = create_key(kms, "HMAC_256")
    expect_error(lambda: kms.create_grant(KeyId=mac["KeyId"], GranteePrincipal=root(mac),
                                          Operations=["GenerateMac"], Constraints={"EncryptionContextEquals": {"a": "b"}}),
                 "ValidationException")


def test_create_grant_invalid_input(server):
    kms = raw_client(server)
    meta = create_key(kms)
    # Bad operation name (enum).
    expect_error(lambda: kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=root(meta),
                                          Operations=["Dance"]), "ValidationException")
    # Bad grant name.
    expect_error(lambda: kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=root(meta),
                                          Operations=["Decrypt"], Name="has spaces"), "ValidationException")
    # Bad principal characters.
    expect_error(lambda: kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal="no spaces allowed",
                                          Operations=["Decrypt"]), "ValidationException")
    assert grants_of(kms, meta["KeyId"]) == []


def test_create_grant_key_states(kms):
    disabled = create_key(kms)
    kms.disable_key(KeyId=disabled["KeyId"])
    expect_error(lambda: kms.create_grant(KeyId=disabled["KeyId"], GranteePrincipal=root(disabled),
                                          Operations=["Decrypt"]), "DisabledException")
    pending = create_key(kms)
    kms.schedule_key_deletion(KeyId=pending["KeyId"], PendingWindowInDays=7)
    expect_error(lambda: kms.create_grant(KeyId=pending["KeyId"], GranteePrincipal=root(pending),
                                          Operations=["Decrypt"]), "KMSInvalidStateException")


def test_revoke_grant(kms):
    meta = create_key(kms)
    keep = kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=root(meta), Operations=["Encrypt"])
    drop = kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=root(meta), Operations=["Decrypt"])
    response = kms.revoke_grant(KeyId=meta["KeyId"], GrantId=drop["GrantId"])
    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {}
    assert [g["GrantId"] for g in grants_of(kms, meta["KeyId"])] == [keep["GrantId"]]
    expect_any_error(lambda: kms.revoke_grant(KeyId=meta["KeyId"], GrantId=drop["GrantId"]),
                     {"InvalidGrantIdException", "NotFoundException"})
    expect_any_error(lambda: kms.revoke_grant(KeyId=meta["KeyId"], GrantId="0" * 64),
                     {"InvalidGrantIdException", "NotFoundException"})


def test_revoke_grant_on_pending_deletion_key(kms):
    meta = create_key(kms)
    grant = kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=root(meta), Operations=["Encrypt"])
    kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
    assert len(grants_of(kms, meta["KeyId"])) == 1
    kms.revoke_grant(KeyId=meta["Arn"], GrantId=grant["GrantId"])
    assert grants_of(kms, meta["KeyId"]) == []


def test_retire_grant_with_token(kms):
    meta = create_key(kms)
    grant = kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=root(meta), RetiringPrincipal=root(meta),
                             Operations=["Encrypt"])
    response = kms.retire_grant(GrantToken=grant["GrantToken"])
    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {}
    assert grants_of(kms, meta["KeyId"]) == []


def test_retire_grant_with_key_and_grant_id(kms):
    meta = create_key(kms)
    grant = kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=root(meta), RetiringPrincipal=root(meta),
                             Operations=["Encrypt"])
    kms.retire_grant(KeyId=meta["KeyId"], GrantId=grant["GrantId"])
    assert grants_of(kms, meta["KeyId"]) == []


def test_retire_grant_errors(server):
    kms = raw_client(server)
    meta = create_key(kms)
    expect_error(lambda: kms.retire_grant(GrantToken="not-a-real-grant-token"), "InvalidGrantTokenException")
    expect_any_error(lambda: kms.retire_grant(KeyId=meta["KeyId"], GrantId="f" * 64),
                     {"InvalidGrantIdException", "NotFoundException"})
    expect_any_error(lambda: kms.retire_grant(), {"ValidationException"})


def test_list_retirable_grants(kms):
    meta = create_key(kms)
    retiring = f"arn:aws:iam::{meta['AWSAccountId']}:role/retirer-{uuid.uuid4().hex[:8]}"
    grant = kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=root(meta), RetiringPrincipal=retiring,
                             Operations=["Decrypt"])
    kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=root(meta), Operations=["Encrypt"])
    response = kms.list_retirable_grants(RetiringPrincipal=retiring)
    assert response["Truncated"] is False
    assert [g["GrantId"] for g in response["Grants"]] == [grant["GrantId"]]
    entry = response["Grants"][0]
    assert entry["RetiringPrincipal"] == retiring
    assert entry["KeyId"] == meta["Arn"]
    kms.revoke_grant(KeyId=meta["KeyId"], GrantId=grant["GrantId"])
    assert kms.list_retirable_grants(RetiringPrincipal=retiring)["Grants"] == []


def test_grant_dry_runs_have_no_effect(kms):
    meta = create_key(kms)
    expect_error(lambda: kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=root(meta), Operations=["Encrypt"],
                                          DryRun=True), "DryRunOperationException", DRY_RUN)
    assert grants_of(kms, meta["KeyId"]) == []
    grant = kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=root(meta), RetiringPrincipal=root(meta),
                             Operations=["Encrypt"])
    expect_error(lambda: kms.revoke_grant(KeyId=meta["KeyId"], GrantId=grant["GrantId"], DryRun=True),
                 "DryRunOperationException", DRY_RUN)
    expect_error(lambda: kms.retire_grant(GrantToken=grant["GrantToken"], DryRun=True),
                 "DryRunOperationException", DRY_RUN)
    assert len(grants_of(kms, meta["KeyId"])) == 1


def test_a_grant_token_kms_could_not_have_issued_is_refused(kms):
    meta = create_key(kms)
    for bogus in ("bogus", "x" * 63, "!" * 64):
        expect_error(lambda: kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x", GrantTokens=[bogus]),
                     "InvalidGrantTokenException")
        expect_error(lambda: kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=root(meta), Operations=["Encrypt"],
                                              GrantTokens=[bogus]), "InvalidGrantTokenException")
    # A token of a grant retired since is well-formed: it passes, granting nothing more.
    grant = kms.create_grant(KeyId=meta["KeyId"], GranteePrincipal=root(meta), Operations=["Encrypt"])
    kms.retire_grant(GrantToken=grant["GrantToken"])
    assert kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x", GrantTokens=[grant["GrantToken"]])["KeyId"] == meta["Arn"]
