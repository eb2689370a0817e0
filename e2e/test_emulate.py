"""Emulation mode (--emulate): any credentials, account 123456789012, resettable state,
a movable clock; and none of those control paths without --emulate."""

import ssl
import urllib.error
import urllib.request

import pytest

from kms_helpers import create_key, expect_error

CONTROL_PATHS = ["/_mlguard/reset", "/moto-api/reset", "/_mlguard/clock?advance=60", "/_mlguard/scheduler/run"]


def status_of(server, path, method="POST"):
    context = None if server.http else ssl.create_default_context(cafile=server.ca_bundle)
    request = urllib.request.Request(server.endpoint + path, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_any_credentials_are_the_root_of_account_123456789012(fresh_server):
    server = fresh_server(emulate=True)
    for akid, secret in (("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                         ("testing", "testing"), ("ASIAFAKEFAKEFAKE", "secret")):
        kms = server.client("kms", access_key=akid, secret=secret)
        meta = create_key(kms)
        assert meta["AWSAccountId"] == "123456789012"
        assert meta["Arn"] == f"arn:aws:kms:us-east-1:123456789012:key/{meta['KeyId']}"
        policy = kms.get_key_policy(KeyId=meta["KeyId"])["Policy"]
        assert "arn:aws:iam::123456789012:root" in policy
    # All callers share the account: a key made by one is seen by another.
    one = server.client("kms", access_key="AKIAONE", secret="x")
    other = server.client("kms", access_key="AKIATWO", secret="y")
    meta = create_key(one)
    assert other.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["Arn"] == meta["Arn"]


def test_emulation_with_other_regions(fresh_server):
    server = fresh_server(emulate=True)
    kms = server.client("kms", access_key="testing", secret="testing", region="eu-west-1")
    meta = create_key(kms)
    assert meta["Arn"].startswith("arn:aws:kms:eu-west-1:123456789012:key/")


@pytest.mark.parametrize("path", ["/_mlguard/reset", "/moto-api/reset"])
def test_reset_wipes_keys_and_aliases(fresh_server, path):
    server = fresh_server(emulate=True)
    kms = server.client("kms", access_key="testing", secret="testing")
    meta = create_key(kms)
    kms.create_alias(AliasName="alias/before-reset", TargetKeyId=meta["KeyId"])
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"gone after reset")["CiphertextBlob"]
    assert server.post(path) == 200
    assert kms.list_keys()["Keys"] == []
    assert "alias/before-reset" not in {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
    expect_error(lambda: kms.describe_key(KeyId=meta["KeyId"]), "NotFoundException")
    with pytest.raises(kms.exceptions.ClientError):
        kms.decrypt(CiphertextBlob=blob)
    # The server keeps working after a reset, and the alias name is free again.
    fresh = create_key(kms)
    kms.create_alias(AliasName="alias/before-reset", TargetKeyId=fresh["KeyId"])
    assert [k["KeyId"] for k in kms.list_keys()["Keys"]] == [fresh["KeyId"]]


def test_reset_survives_restart(fresh_server):
    server = fresh_server(emulate=True, http=True)
    kms = server.client("kms")
    create_key(kms)
    assert server.post("/_mlguard/reset") == 200
    server.stop()
    from conftest import Server
    again = Server(server.data_dir, emulate=True, http=True)
    try:
        assert again.client("kms").list_keys()["Keys"] == []
    finally:
        again.stop()


def test_reset_also_resets_the_clock(fresh_server):
    server = fresh_server(emulate=True, http=True)
    kms = server.client("kms")
    assert server.post("/_mlguard/clock?advance=864000") == 200
    later = create_key(kms)["CreationDate"]
    assert server.post("/_mlguard/reset") == 200
    now = create_key(kms)["CreationDate"]
    assert (later - now).total_seconds() > 86400 * 9


def test_clock_moves_server_time(fresh_server):
    server = fresh_server(emulate=True, http=True)
    kms = server.client("kms")
    before = create_key(kms)["CreationDate"]
    assert server.post("/_mlguard/clock?advance=86400") == 200
    after = create_key(kms)["CreationDate"]
    assert 86400 - 60 < (after - before).total_seconds() < 86400 + 60


def test_clock_without_advance_is_a_bad_request(fresh_server):
    server = fresh_server(emulate=True, http=True)
    assert status_of(server, "/_mlguard/clock") == 400
    assert status_of(server, "/_mlguard/clock?advance=soon") == 400


@pytest.mark.parametrize("http", [False, True], ids=["https", "http"])
def test_control_paths_are_404_without_emulation(fresh_server, http):
    server = fresh_server(http=http)
    for path in CONTROL_PATHS:
        assert status_of(server, path) == 404, path
    assert status_of(server, "/_mlguard/health", method="GET") == 200
    # And nothing was reset.
    kms = server.client("kms")
    meta = create_key(kms)
    assert status_of(server, "/_mlguard/reset") == 404
    assert kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["KeyId"] == meta["KeyId"]


def test_health_in_emulation(fresh_server):
    server = fresh_server(emulate=True)
    assert status_of(server, "/_mlguard/health", method="GET") == 200


def test_non_emulated_server_has_its_own_account(fresh_server):
    server = fresh_server(http=True)
    meta = create_key(server.client("kms"))
    assert len(meta["AWSAccountId"]) == 12 and meta["AWSAccountId"].isdigit()
    kms = server.client("kms", access_key="testing", secret="testing")
    expect_error(lambda: kms.list_keys(), "UnrecognizedClientException")
