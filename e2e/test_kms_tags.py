"""TagResource, UntagResource, ListResourceTags."""

import uuid

import pytest

from kms_helpers import create_key, expect_any_error, expect_error, raw_client

RESERVED = "Tags beginning with aws: are reserved"


def tags(*pairs):
    return [{"TagKey": k, "TagValue": v} for k, v in pairs]


def all_tags(kms, key_id, limit=None):
    out = []
    kwargs = {"KeyId": key_id}
    if limit:
        kwargs["Limit"] = limit
    while True:
        page = kms.list_resource_tags(**kwargs)
        out.extend(page["Tags"])
        if not page["Truncated"]:
            assert "NextMarker" not in page
            return out
        kwargs["Marker"] = page["NextMarker"]


def test_tag_untag_list(kms):
    meta = create_key(kms)
    assert kms.list_resource_tags(KeyId=meta["KeyId"])["Tags"] == []
    response = kms.tag_resource(KeyId=meta["KeyId"], Tags=tags(("tag1", "value1"), ("tag2", "value2")))
    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {}
    listed = kms.list_resource_tags(KeyId=meta["Arn"])
    assert listed["Truncated"] is False
    assert sorted(listed["Tags"], key=lambda t: t["TagKey"]) == tags(("tag1", "value1"), ("tag2", "value2"))
    # Upsert: an existing key gets the new value.
    kms.tag_resource(KeyId=meta["KeyId"], Tags=tags(("tag1", "changed"), ("tag3", "")))
    assert sorted(all_tags(kms, meta["KeyId"]), key=lambda t: t["TagKey"]) == \
        tags(("tag1", "changed"), ("tag2", "value2"), ("tag3", ""))
    response = kms.untag_resource(KeyId=meta["KeyId"], TagKeys=["tag1", "not-there"])
    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {}
    assert sorted(all_tags(kms, meta["KeyId"]), key=lambda t: t["TagKey"]) == tags(("tag2", "value2"), ("tag3", ""))
    kms.untag_resource(KeyId=meta["Arn"], TagKeys=["tag2", "tag3"])
    assert all_tags(kms, meta["KeyId"]) == []


def test_create_key_with_tags(kms):
    meta = create_key(kms, Tags=tags(("team", "ml"), ("env", "prod")))
    assert sorted(all_tags(kms, meta["KeyId"]), key=lambda t: t["TagKey"]) == tags(("env", "prod"), ("team", "ml"))


def test_list_resource_tags_pagination(kms):
    meta = create_key(kms, Tags=tags(*[(f"k{i:02}", f"v{i}") for i in range(7)]))
    listed = all_tags(kms, meta["KeyId"], limit=3)
    assert sorted(t["TagKey"] for t in listed) == [f"k{i:02}" for i in range(7)]


@pytest.mark.parametrize("key", ["aws:reserved", "AWS:reserved", "Aws:x"])
def test_reserved_tag_prefix(kms, key):
    expect_error(lambda: kms.create_key(Tags=tags((key, "v"))), "TagException", RESERVED)
    meta = create_key(kms)
    expect_error(lambda: kms.tag_resource(KeyId=meta["KeyId"], Tags=tags((key, "v"))), "TagException", RESERVED)
    assert all_tags(kms, meta["KeyId"]) == []


def test_duplicate_tag_keys(kms):
    expect_error(lambda: kms.create_key(Tags=tags(("dup", "1"), ("dup", "2"))), "TagException", "Duplicate tag keys")
    meta = create_key(kms)
    expect_error(lambda: kms.tag_resource(KeyId=meta["KeyId"], Tags=tags(("dup", "1"), ("dup", "2"))),
                 "TagException", "Duplicate tag keys")


def test_too_many_tags(kms):
    expect_error(lambda: kms.create_key(Tags=tags(*[(f"k{i}", "v") for i in range(51)])), "TagException",
                 "Too many tags")
    meta = create_key(kms, Tags=tags(*[(f"k{i}", "v") for i in range(50)]))
    assert len(all_tags(kms, meta["KeyId"])) == 50
    # Replacing an existing tag is fine at 50, adding a 51st is not.
    kms.tag_resource(KeyId=meta["KeyId"], Tags=tags(("k0", "new")))
    expect_any_error(lambda: kms.tag_resource(KeyId=meta["KeyId"], Tags=tags(("k50", "v"))),
                     {"TagException", "LimitExceededException"})
    assert len(all_tags(kms, meta["KeyId"])) == 50


def test_tag_key_and_value_lengths(server):
    kms = raw_client(server)
    long_key = "a" * 129
    expect_error(lambda: kms.create_key(Tags=tags((long_key, "v"))), "ValidationException",
                 f"1 validation error detected: Value '{long_key}' at 'tags.1.member.tagKey' failed to satisfy "
                 "constraint: Member must have length less than or equal to 128")
    long_value = "v" * 257
    expect_error(lambda: kms.create_key(Tags=tags(("ok", "v"), ("k", long_value))), "ValidationException",
                 f"1 validation error detected: Value '{long_value}' at 'tags.2.member.tagValue' failed to satisfy "
                 "constraint: Member must have length less than or equal to 256")
    meta = create_key(kms, Tags=tags(("a" * 128, "v" * 256)))
    expect_error(lambda: kms.tag_resource(KeyId=meta["KeyId"], Tags=tags((long_key, "v"))), "ValidationException",
                 f"1 validation error detected: Value '{long_key}' at 'tags.1.member.tagKey' failed to satisfy "
                 "constraint: Member must have length less than or equal to 128")


def test_tags_and_key_states(kms):
    meta = create_key(kms)
    kms.disable_key(KeyId=meta["KeyId"])
    kms.tag_resource(KeyId=meta["KeyId"], Tags=tags(("while", "disabled")))
    kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
    expect_error(lambda: kms.tag_resource(KeyId=meta["KeyId"], Tags=tags(("k", "v"))), "KMSInvalidStateException")
    expect_error(lambda: kms.untag_resource(KeyId=meta["KeyId"], TagKeys=["while"]), "KMSInvalidStateException")
    assert all_tags(kms, meta["KeyId"]) == tags(("while", "disabled"))


def test_tags_on_missing_key(kms):
    missing = str(uuid.uuid4())
    expect_error(lambda: kms.tag_resource(KeyId=missing, Tags=tags(("k", "v"))), "NotFoundException")
    expect_error(lambda: kms.list_resource_tags(KeyId=missing), "NotFoundException")
    expect_error(lambda: kms.untag_resource(KeyId=missing, TagKeys=["k"]), "NotFoundException")
