"""EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand,
ListKeyRotations."""

import datetime
import time
import uuid

import pytest

from kms_helpers import DISABLED, NO_MESSAGE, create_key, expect_any_error, expect_error, raw_client, wait_for


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def test_rotation_status_defaults_to_disabled(kms):
    meta = create_key(kms)
    status = kms.get_key_rotation_status(KeyId=meta["KeyId"])
    assert status["KeyId"] == meta["Arn"]
    assert status["KeyRotationEnabled"] is False
    assert "RotationPeriodInDays" not in status and "NextRotationDate" not in status
    assert kms.get_key_rotation_status(KeyId=meta["Arn"])["KeyRotationEnabled"] is False


def test_enable_key_rotation_default_period(kms):
    meta = create_key(kms)
    before = now()
    response = kms.enable_key_rotation(KeyId=meta["KeyId"])
    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {}
    status = kms.get_key_rotation_status(KeyId=meta["KeyId"])
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 365
    assert status["KeyId"] == meta["Arn"]
    assert abs((status["NextRotationDate"] - (before + datetime.timedelta(days=365))).total_seconds()) < 86400 + 60


@pytest.mark.parametrize("days", [90, 180, 2560])
def test_enable_key_rotation_with_period(kms, days):
    meta = create_key(kms)
    before = now()
    kms.enable_key_rotation(KeyId=meta["KeyId"], RotationPeriodInDays=days)
    status = kms.get_key_rotation_status(KeyId=meta["KeyId"])
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == days
    assert abs((status["NextRotationDate"] - (before + datetime.timedelta(days=days))).total_seconds()) < 86400 + 60


def test_enable_key_rotation_changes_period(kms):
    meta = create_key(kms)
    kms.enable_key_rotation(KeyId=meta["KeyId"], RotationPeriodInDays=90)
    kms.enable_key_rotation(KeyId=meta["KeyId"], RotationPeriodInDays=200)
    assert kms.get_key_rotation_status(KeyId=meta["KeyId"])["RotationPeriodInDays"] == 200


@pytest.mark.parametrize("days", [0, 89, 2561])
def test_enable_key_rotation_period_out_of_range(server, days):
    kms = raw_client(server)
    meta = create_key(kms)
    expect_error(lambda: kms.enable_key_rotation(KeyId=meta["KeyId"], RotationPeriodInDays=days),
                 "ValidationException")
    assert kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"] is False


def test_disable_key_rotation(kms):
    meta = create_key(kms)
    kms.enable_key_rotation(KeyId=meta["KeyId"], RotationPeriodInDays=100)
    response = kms.disable_key_rotation(KeyId=meta["KeyId"])
    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {}
    status = kms.get_key_rotation_status(KeyId=meta["KeyId"])
    assert status["KeyRotationEnabled"] is False
    assert "NextRotationDate" not in status


@pytest.mark.parametrize("spec,usage", [("RSA_2048", "ENCRYPT_DECRYPT"), ("ECC_NIST_P256", "SIGN_VERIFY"),
                                        ("HMAC_256", "GENERATE_VERIFY_MAC")])
def test_automatic_rotation_is_for_symmetric_keys_only(kms, spec, usage):
    meta = create_key(kms, spec, usage)
    expect_error(lambda: kms.enable_key_rotation(KeyId=meta["KeyId"]), "UnsupportedOperationException")
    expect_error(lambda: kms.disable_key_rotation(KeyId=meta["KeyId"]), "UnsupportedOperationException")


def test_key_rotation_on_disabled_and_pending_deletion_keys(kms):
    disabled = create_key(kms)
    kms.disable_key(KeyId=disabled["KeyId"])
    expect_error(lambda: kms.enable_key_rotation(KeyId=disabled["KeyId"]), "DisabledException")
    expect_error(lambda: kms.disable_key_rotation(KeyId=disabled["KeyId"]), "DisabledException")
    assert kms.get_key_rotation_status(KeyId=disabled["KeyId"])["KeyRotationEnabled"] is False
    pending = create_key(kms)
    kms.schedule_key_deletion(KeyId=pending["KeyId"], PendingWindowInDays=7)
    expect_error(lambda: kms.enable_key_rotation(KeyId=pending["KeyId"]), "KMSInvalidStateException")
    expect_error(lambda: kms.disable_key_rotation(KeyId=pending["KeyId"]), "KMSInvalidStateException")


def test_rotation_status_of_pending_deletion_key(kms):
    pending = create_key(kms)
    kms.enable_key_rotation(KeyId=pending["KeyId"])
    kms.schedule_key_deletion(KeyId=pending["KeyId"], PendingWindowInDays=7)
    # A key pending deletion reports rotation off; cancelling restores it.
    assert kms.get_key_rotation_status(KeyId=pending["KeyId"])["KeyRotationEnabled"] is False
    kms.cancel_key_deletion(KeyId=pending["KeyId"])
    assert kms.get_key_rotation_status(KeyId=pending["KeyId"])["KeyRotationEnabled"] is True


def test_rotation_operations_reject_aliases(kms):
    meta = create_key(kms)
    alias = f"alias/rot-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
    with pytest.raises(kms.exceptions.ClientError):
        kms.get_key_rotation_status(KeyId=alias)


def current_material(kms, key_id):
    return kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]


def test_rotate_key_on_demand(kms):
    meta = create_key(kms)
    old_material = meta["CurrentKeyMaterialId"]
    old_blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"before rotation", EncryptionContext={"r": "1"})
    kms.rotate_key_on_demand(KeyId=meta["KeyId"])
    # AWS rotates asynchronously; the new material shows up shortly after.
    new_material = wait_for(lambda: (m := current_material(kms, meta["KeyId"])) != old_material and m)
    assert new_material and new_material != old_material
    decrypted = kms.decrypt(CiphertextBlob=old_blob["CiphertextBlob"], EncryptionContext={"r": "1"})
    assert decrypted["Plaintext"] == b"before rotation"
    assert decrypted["KeyMaterialId"] == old_material
    new_blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"after rotation")["CiphertextBlob"]
    decrypted = kms.decrypt(CiphertextBlob=new_blob)
    assert decrypted["Plaintext"] == b"after rotation"
    assert decrypted["KeyMaterialId"] == new_material
    # Data keys too.
    data_key = kms.generate_data_key(KeyId=meta["KeyId"], KeySpec="AES_256")
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["KeyMaterialId"] == new_material
    # Re-encrypting an old ciphertext moves it to the new material.
    re_encrypted = kms.re_encrypt(CiphertextBlob=old_blob["CiphertextBlob"], SourceEncryptionContext={"r": "1"},
                                  DestinationKeyId=meta["KeyId"])
    assert kms.decrypt(CiphertextBlob=re_encrypted["CiphertextBlob"])["KeyMaterialId"] == new_material


def test_rotate_key_on_demand_returns_the_key_arn(kms):
    meta = create_key(kms)
    response = kms.rotate_key_on_demand(KeyId=meta["KeyId"])
    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {"KeyId": meta["Arn"]}


def test_rotate_on_demand_does_not_change_the_schedule(kms):
    meta = create_key(kms)
    kms.enable_key_rotation(KeyId=meta["KeyId"], RotationPeriodInDays=90)
    before = kms.get_key_rotation_status(KeyId=meta["KeyId"])
    time.sleep(1.1)  # a schedule recomputed at rotation time would then differ
    kms.rotate_key_on_demand(KeyId=meta["KeyId"])
    wait_for(lambda: current_material(kms, meta["KeyId"]) != meta["CurrentKeyMaterialId"])
    after = kms.get_key_rotation_status(KeyId=meta["KeyId"])
    assert after["KeyRotationEnabled"] is True
    assert after["RotationPeriodInDays"] == 90
    assert after["NextRotationDate"] == before["NextRotationDate"]
    # "Once the on-demand rotation is complete, KMS removes this field."
    assert "OnDemandRotationStartDate" not in after


def test_rotate_on_demand_errors(kms):
    account = create_key(kms)["AWSAccountId"]
    missing = str(uuid.uuid4())
    expect_error(lambda: kms.rotate_key_on_demand(KeyId=missing), "NotFoundException",
                 f"Key 'arn:aws:kms:us-east-1:{account}:key/{missing}' does not exist")
    rsa_key = create_key(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    expect_error(lambda: kms.rotate_key_on_demand(KeyId=rsa_key["KeyId"]), "UnsupportedOperationException",
                 NO_MESSAGE)
    for spec in ("HMAC_256", "ECC_NIST_P256"):
        other = create_key(kms, spec)
        expect_error(lambda o=other: kms.rotate_key_on_demand(KeyId=o["KeyId"]), "UnsupportedOperationException",
                     NO_MESSAGE)
    # Disabled is checked before the key spec.
    kms.disable_key(KeyId=rsa_key["KeyId"])
    expect_error(lambda: kms.rotate_key_on_demand(KeyId=rsa_key["KeyId"]), "DisabledException",
                 DISABLED.format(arn=rsa_key["Arn"]))
    symmetric = create_key(kms)
    kms.disable_key(KeyId=symmetric["KeyId"])
    expect_error(lambda: kms.rotate_key_on_demand(KeyId=symmetric["KeyId"]), "DisabledException",
                 DISABLED.format(arn=symmetric["Arn"]))
    pending = create_key(kms)
    kms.schedule_key_deletion(KeyId=pending["KeyId"], PendingWindowInDays=7)
    expect_error(lambda: kms.rotate_key_on_demand(KeyId=pending["KeyId"]), "KMSInvalidStateException")


def test_list_key_rotations(kms):
    meta = create_key(kms)
    fresh = kms.list_key_rotations(KeyId=meta["KeyId"])
    assert fresh["Rotations"] == [] and fresh["Truncated"] is False
    kms.rotate_key_on_demand(KeyId=meta["KeyId"])
    rotations = wait_for(lambda: kms.list_key_rotations(KeyId=meta["KeyId"])["Rotations"])
    assert len(rotations) == 1
    entry = rotations[0]
    assert entry["RotationType"] == "ON_DEMAND"
    assert entry["KeyId"] in (meta["KeyId"], meta["Arn"])
    new_material = current_material(kms, meta["KeyId"])
    assert entry["KeyMaterialId"] == new_material
    assert abs((entry["RotationDate"] - now()).total_seconds()) < 120
    assert entry.get("KeyMaterialState") == "CURRENT", entry


def test_list_key_rotations_with_all_key_material(kms):
    meta = create_key(kms)
    kms.rotate_key_on_demand(KeyId=meta["KeyId"])
    wait_for(lambda: kms.list_key_rotations(KeyId=meta["KeyId"])["Rotations"])
    new_material = current_material(kms, meta["KeyId"])
    rotations = kms.list_key_rotations(KeyId=meta["KeyId"])["Rotations"]
    everything = kms.list_key_rotations(KeyId=meta["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert len(everything) == 2
    original, current = everything
    assert original["KeyMaterialId"] == meta["CurrentKeyMaterialId"]
    assert original["KeyMaterialState"] == "NON_CURRENT"
    assert "RotationDate" not in original and "RotationType" not in original
    assert current["KeyMaterialId"] == new_material
    assert current["KeyMaterialState"] == "CURRENT"
    assert current["RotationType"] == "ON_DEMAND"
    assert kms.list_key_rotations(KeyId=meta["KeyId"], IncludeKeyMaterial="ROTATIONS_ONLY")["Rotations"] == rotations


def test_list_key_rotations_pagination(kms):
    meta = create_key(kms)
    for _ in range(3):
        before = current_material(kms, meta["KeyId"])
        kms.rotate_key_on_demand(KeyId=meta["KeyId"])
        wait_for(lambda: current_material(kms, meta["KeyId"]) != before)
    seen = []
    kwargs = {"KeyId": meta["KeyId"], "Limit": 2}
    while True:
        page = kms.list_key_rotations(**kwargs)
        seen.extend(page["Rotations"])
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        kwargs["Marker"] = page["NextMarker"]
    assert len(seen) == 3
    assert len({e["KeyMaterialId"] for e in seen}) == 3
    assert all(e["RotationType"] == "ON_DEMAND" for e in seen)
    assert seen[-1]["KeyMaterialId"] == current_material(kms, meta["KeyId"]), "oldest to newest"


def test_list_key_rotations_invalid_include_key_material(server):
    kms = raw_client(server)
    meta = create_key(kms)
    expect_error(lambda: kms.list_key_rotations(KeyId=meta["KeyId"], IncludeKeyMaterial="INVALID_VALUE"),
                 "ValidationException",
                 "1 validation error detected: Value 'INVALID_VALUE' at 'includeKeyMaterial' failed to satisfy "
                 "constraint: Member must satisfy enum value set: [ALL_KEY_MATERIAL, ROTATIONS_ONLY]")


def test_list_key_rotations_non_symmetric_keys(kms):
    for spec, usage in (("RSA_2048", "ENCRYPT_DECRYPT"), ("HMAC_256", None), ("ECC_NIST_P256", None)):
        meta = create_key(kms, spec, usage)
        expect_error(lambda m=meta: kms.list_key_rotations(KeyId=m["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL"),
                     "ValidationException", "Input parameter includeKeyMaterial can only be used with symmetric keys.")
        expect_error(lambda m=meta: kms.list_key_rotations(KeyId=m["KeyId"]), "UnsupportedOperationException")


def test_list_key_rotations_any_state(kms):
    disabled = create_key(kms)
    kms.disable_key(KeyId=disabled["KeyId"])
    assert kms.list_key_rotations(KeyId=disabled["KeyId"])["Rotations"] == []
    pending = create_key(kms)
    kms.schedule_key_deletion(KeyId=pending["KeyId"], PendingWindowInDays=7)
    assert kms.list_key_rotations(KeyId=pending["KeyId"])["Rotations"] == []


def test_list_key_rotations_missing_key(kms):
    expect_any_error(lambda: kms.list_key_rotations(KeyId=str(uuid.uuid4())), {"NotFoundException"})
