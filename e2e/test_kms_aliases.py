"""CreateAlias, UpdateAlias, DeleteAlias, ListAliases."""

import datetime
import uuid

import pytest

from kms_helpers import create_key, expect_any_error, expect_error, unique

PREFIX_MESSAGE = ('Alias must start with the prefix "alias/". Please see '
                  'https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html')


def aliases_of(kms, key_id):
    entries = []
    kwargs = {"KeyId": key_id}
    while True:
        page = kms.list_aliases(**kwargs)
        entries.extend(page["Aliases"])
        if not page["Truncated"]:
            return entries
        kwargs["Marker"] = page["NextMarker"]


def test_create_alias_and_use_it(kms):
    meta = create_key(kms)
    name = f"alias/{unique('create')}"
    response = kms.create_alias(AliasName=name, TargetKeyId=meta["KeyId"])
    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {}
    entries = aliases_of(kms, meta["KeyId"])
    assert len(entries) == 1
    entry = entries[0]
    assert entry["AliasName"] == name
    assert entry["AliasArn"] == f"arn:aws:kms:us-east-1:{meta['AWSAccountId']}:{name}"
    assert entry["TargetKeyId"] == meta["KeyId"]
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((entry["CreationDate"] - now).total_seconds()) < 60
    assert abs((entry["LastUpdatedDate"] - now).total_seconds()) < 60
    ciphertext = kms.encrypt(KeyId=name, Plaintext=b"through the alias")
    assert ciphertext["KeyId"] == meta["Arn"]
    assert kms.decrypt(CiphertextBlob=ciphertext["CiphertextBlob"], KeyId=entry["AliasArn"])["Plaintext"] == \
        b"through the alias"


def test_create_alias_by_key_arn(kms):
    meta = create_key(kms)
    name = f"alias/{unique('byarn')}"
    kms.create_alias(AliasName=name, TargetKeyId=meta["Arn"])
    assert [a["AliasName"] for a in aliases_of(kms, meta["Arn"])] == [name]


def test_create_alias_without_prefix(kms):
    meta = create_key(kms)
    expect_error(lambda: kms.create_alias(AliasName=unique("noprefix"), TargetKeyId=meta["KeyId"]),
                 "ValidationException", PREFIX_MESSAGE)


def test_create_alias_duplicate(kms):
    first, second = create_key(kms), create_key(kms)
    name = f"alias/{unique('dup')}"
    kms.create_alias(AliasName=name, TargetKeyId=first["KeyId"])
    expect_error(lambda: kms.create_alias(AliasName=name, TargetKeyId=second["KeyId"]), "AlreadyExistsException")
    assert aliases_of(kms, second["KeyId"]) == []


def test_create_alias_reserved_aws_prefix(kms):
    meta = create_key(kms)
    with pytest.raises(kms.exceptions.ClientError):
        kms.create_alias(AliasName=f"alias/aws/{unique('mine')}", TargetKeyId=meta["KeyId"])
    assert aliases_of(kms, meta["KeyId"]) == []


def test_create_alias_bad_characters(kms):
    meta = create_key(kms)
    expect_error(lambda: kms.create_alias(AliasName="alias/has space", TargetKeyId=meta["KeyId"]),
                 "ValidationException")


def test_create_alias_target_missing_key(kms):
    expect_error(lambda: kms.create_alias(AliasName=f"alias/{unique('ghost')}", TargetKeyId=str(uuid.uuid4())),
                 "NotFoundException")


def test_create_alias_target_is_alias(kms):
    meta = create_key(kms)
    name = f"alias/{unique('target')}"
    kms.create_alias(AliasName=name, TargetKeyId=meta["KeyId"])
    with pytest.raises(kms.exceptions.ClientError):
        kms.create_alias(AliasName=f"alias/{unique('chained')}", TargetKeyId=name)


def test_create_alias_for_pending_deletion_key(kms):
    meta = create_key(kms)
    kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
    expect_error(lambda: kms.create_alias(AliasName=f"alias/{unique('late')}", TargetKeyId=meta["KeyId"]),
                 "KMSInvalidStateException")


def test_create_alias_for_disabled_key(kms):
    meta = create_key(kms)
    kms.disable_key(KeyId=meta["KeyId"])
    name = f"alias/{unique('disabled')}"
    kms.create_alias(AliasName=name, TargetKeyId=meta["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == meta["KeyId"]


def test_update_alias(kms):
    first, second = create_key(kms), create_key(kms)
    name = f"alias/{unique('update')}"
    kms.create_alias(AliasName=name, TargetKeyId=first["KeyId"])
    created = aliases_of(kms, first["KeyId"])[0]
    response = kms.update_alias(AliasName=name, TargetKeyId=second["Arn"])
    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {}
    assert aliases_of(kms, first["KeyId"]) == []
    updated = aliases_of(kms, second["KeyId"])[0]
    assert updated["TargetKeyId"] == second["KeyId"]
    assert updated["CreationDate"] == created["CreationDate"]
    assert updated["LastUpdatedDate"] >= created["LastUpdatedDate"]
    assert kms.encrypt(KeyId=name, Plaintext=b"x")["KeyId"] == second["Arn"]


def test_update_alias_to_another_key_type(kms):
    symmetric = create_key(kms)
    signing = create_key(kms, "ECC_NIST_P256")
    name = f"alias/{unique('types')}"
    kms.create_alias(AliasName=name, TargetKeyId=symmetric["KeyId"])
    with pytest.raises(kms.exceptions.ClientError):
        kms.update_alias(AliasName=name, TargetKeyId=signing["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == symmetric["KeyId"]


def test_update_alias_missing(kms):
    meta = create_key(kms)
    expect_error(lambda: kms.update_alias(AliasName=f"alias/{unique('missing')}", TargetKeyId=meta["KeyId"]),
                 "NotFoundException")


def test_update_alias_to_pending_deletion_key(kms):
    first, second = create_key(kms), create_key(kms)
    name = f"alias/{unique('pdel')}"
    kms.create_alias(AliasName=name, TargetKeyId=first["KeyId"])
    kms.schedule_key_deletion(KeyId=second["KeyId"], PendingWindowInDays=7)
    expect_error(lambda: kms.update_alias(AliasName=name, TargetKeyId=second["KeyId"]), "KMSInvalidStateException")
    # Away from a key pending deletion is fine.
    kms.schedule_key_deletion(KeyId=first["KeyId"], PendingWindowInDays=7)
    third = create_key(kms)
    kms.update_alias(AliasName=name, TargetKeyId=third["KeyId"])


def test_delete_alias(kms):
    meta = create_key(kms)
    name = f"alias/{unique('delete')}"
    kms.create_alias(AliasName=name, TargetKeyId=meta["KeyId"])
    response = kms.delete_alias(AliasName=name)
    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {}
    assert aliases_of(kms, meta["KeyId"]) == []
    expect_error(lambda: kms.describe_key(KeyId=name), "NotFoundException")
    expect_error(lambda: kms.delete_alias(AliasName=name), "NotFoundException")
    # The name is free again.
    kms.create_alias(AliasName=name, TargetKeyId=meta["KeyId"])


def test_delete_alias_of_pending_deletion_key(kms):
    meta = create_key(kms)
    name = f"alias/{unique('pdel-delete')}"
    kms.create_alias(AliasName=name, TargetKeyId=meta["KeyId"])
    kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
    kms.delete_alias(AliasName=name)


def test_delete_alias_without_prefix(kms):
    expect_error(lambda: kms.delete_alias(AliasName=unique("noprefix")), "ValidationException")


def test_list_aliases_pagination(kms):
    meta = create_key(kms)
    names = sorted(f"alias/{unique('page')}-{i}" for i in range(5))
    for name in names:
        kms.create_alias(AliasName=name, TargetKeyId=meta["KeyId"])
    seen = []
    kwargs = {"KeyId": meta["KeyId"], "Limit": 2}
    pages = 0
    while True:
        page = kms.list_aliases(**kwargs)
        pages += 1
        assert len(page["Aliases"]) <= 2
        seen.extend(a["AliasName"] for a in page["Aliases"])
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        kwargs["Marker"] = page["NextMarker"]
    assert pages == 3
    assert sorted(seen) == names


def test_list_aliases_all(kms):
    meta = create_key(kms)
    name = f"alias/{unique('all')}"
    kms.create_alias(AliasName=name, TargetKeyId=meta["KeyId"])
    everything = []
    kwargs = {}
    while True:
        page = kms.list_aliases(**kwargs)
        assert len(page["Aliases"]) <= 50
        everything.extend(page["Aliases"])
        if not page["Truncated"]:
            break
        kwargs["Marker"] = page["NextMarker"]
    mine = [a for a in everything if a["AliasName"] == name]
    assert len(mine) == 1 and mine[0]["TargetKeyId"] == meta["KeyId"]
    for entry in everything:
        assert entry["AliasName"].startswith("alias/")
        assert entry["AliasArn"].endswith(":" + entry["AliasName"])


def test_list_aliases_key_filter_missing_key(kms):
    expect_error(lambda: kms.list_aliases(KeyId=str(uuid.uuid4())), "NotFoundException")


def test_list_aliases_bad_limit(server):
    from kms_helpers import raw_client
    kms = raw_client(server)
    expect_any_error(lambda: kms.list_aliases(Limit=0), {"ValidationException"})
