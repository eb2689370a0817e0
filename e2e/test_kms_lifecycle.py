"""Time-driven key lifecycle, in emulation (the clock can be moved): deletion at the end
of the waiting period and automatic rotation."""

import datetime
import time

import pytest

from conftest import Server

from kms_helpers import NO_MESSAGE, create_key, expect_any_error, expect_error, unique

DAY = 86400


@pytest.fixture()
def emulated(fresh_server):
    return fresh_server(emulate=True)


def advance(server, seconds):
    assert server.post(f"/_mlguard/clock?advance={int(seconds)}") == 200


def run_scheduler(server):
    assert server.post("/_mlguard/scheduler/run") == 200


def test_key_is_deleted_after_the_waiting_period(emulated):
    kms = emulated.client("kms")
    meta = create_key(kms)
    survivor = create_key(kms)
    alias = f"alias/{unique('doomed')}"
    kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"soon unreadable")["CiphertextBlob"]
    survivor_blob = kms.encrypt(KeyId=survivor["KeyId"], Plaintext=b"still readable")["CiphertextBlob"]
    scheduled = kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)

    # Six days later the key is still pending deletion.
    advance(emulated, 6 * DAY)
    run_scheduler(emulated)
    assert kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"

    # Past the deletion date it is gone.
    advance(emulated, DAY + 3600)
    run_scheduler(emulated)
    expect_error(lambda: kms.describe_key(KeyId=meta["KeyId"]), "NotFoundException",
                 f"Key '{meta['Arn']}' does not exist")
    assert meta["KeyId"] not in {k["KeyId"] for k in kms.list_keys(Limit=1000)["Keys"]}
    expect_any_error(lambda: kms.decrypt(CiphertextBlob=blob), {"NotFoundException", "InvalidCiphertextException"})
    expect_error(lambda: kms.cancel_key_deletion(KeyId=meta["KeyId"]), "NotFoundException")
    # Its aliases went with it.
    assert alias not in {a["AliasName"] for a in kms.list_aliases(Limit=100)["Aliases"]}
    expect_error(lambda: kms.describe_key(KeyId=alias), "NotFoundException")
    # Other keys are untouched.
    assert kms.decrypt(CiphertextBlob=survivor_blob)["Plaintext"] == b"still readable"
    assert scheduled["DeletionDate"] < datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=8)


def test_deleted_key_stays_deleted_after_restart(fresh_server):
    server = fresh_server(emulate=True)
    kms = server.client("kms")
    meta = create_key(kms)
    kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
    advance(server, 8 * DAY)
    run_scheduler(server)
    expect_error(lambda: kms.describe_key(KeyId=meta["KeyId"]), "NotFoundException")
    server.stop()
    restarted = Server(server.data_dir, emulate=True)
    try:
        expect_error(lambda: restarted.client("kms").describe_key(KeyId=meta["KeyId"]), "NotFoundException")
    finally:
        restarted.stop()


def test_cancelled_deletion_is_not_carried_out(emulated):
    kms = emulated.client("kms")
    meta = create_key(kms)
    kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
    kms.cancel_key_deletion(KeyId=meta["KeyId"])
    advance(emulated, 8 * DAY)
    run_scheduler(emulated)
    assert kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"


def test_background_scheduler_deletes_without_being_asked(emulated):
    kms = emulated.client("kms")
    meta = create_key(kms)
    kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
    advance(emulated, 7 * DAY + 60)
    deadline = time.time() + 5
    while time.time() < deadline:
        try:
            kms.describe_key(KeyId=meta["KeyId"])
        except kms.exceptions.NotFoundException:
            return
        time.sleep(0.2)
    pytest.fail("the scheduler (interval 1 s) did not delete the key within 5 s")


def test_automatic_rotation(emulated):
    kms = emulated.client("kms")
    meta = create_key(kms)
    old_material = meta["CurrentKeyMaterialId"]
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"before", EncryptionContext={"r": "auto"})["CiphertextBlob"]
    kms.enable_key_rotation(KeyId=meta["KeyId"], RotationPeriodInDays=90)
    first_next = kms.get_key_rotation_status(KeyId=meta["KeyId"])["NextRotationDate"]

    advance(emulated, 89 * DAY)
    run_scheduler(emulated)
    assert kms.list_key_rotations(KeyId=meta["KeyId"])["Rotations"] == []

    advance(emulated, 2 * DAY)
    run_scheduler(emulated)
    rotations = kms.list_key_rotations(KeyId=meta["KeyId"])["Rotations"]
    assert len(rotations) == 1
    assert rotations[0]["RotationType"] == "AUTOMATIC"
    new_material = kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]
    assert new_material != old_material
    assert rotations[0]["KeyMaterialId"] == new_material
    decrypted = kms.decrypt(CiphertextBlob=blob, EncryptionContext={"r": "auto"})
    assert decrypted["Plaintext"] == b"before"
    assert decrypted["KeyMaterialId"] == old_material
    after = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"after")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=after)["KeyMaterialId"] == new_material
    status = kms.get_key_rotation_status(KeyId=meta["KeyId"])
    assert status["KeyRotationEnabled"] is True
    assert status["NextRotationDate"] > first_next
    assert abs((status["NextRotationDate"] - first_next).total_seconds() - 90 * DAY) < 2 * DAY + 60
    expect_error(lambda: kms.decrypt(CiphertextBlob=blob), "InvalidCiphertextException", NO_MESSAGE)


def test_no_rotation_when_disabled_or_not_enabled(emulated):
    kms = emulated.client("kms")
    never = create_key(kms)
    switched_off = create_key(kms)
    kms.enable_key_rotation(KeyId=switched_off["KeyId"], RotationPeriodInDays=90)
    kms.disable_key_rotation(KeyId=switched_off["KeyId"])
    advance(emulated, 400 * DAY)
    run_scheduler(emulated)
    for meta in (never, switched_off):
        assert kms.list_key_rotations(KeyId=meta["KeyId"])["Rotations"] == []
        assert kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"] == \
            meta["CurrentKeyMaterialId"]
