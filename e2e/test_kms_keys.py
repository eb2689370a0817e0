"""CreateKey, DescribeKey, ListKeys, UpdateKeyDescription, Enable/DisableKey,
Schedule/CancelKeyDeletion and the key-state rules."""

import datetime
import uuid

import pytest

from kms_helpers import (
    DISABLED,
    HEX64_RE,
    KEY_ID_RE,
    PENDING_DELETION,
    create_key,
    enum_error,
    expect_any_error,
    expect_error,
    raw_client,
    unique,
)

COMMON_FIELDS = {
    "AWSAccountId", "Arn", "CreationDate", "CustomerMasterKeySpec", "Description", "Enabled", "KeyId",
    "KeyManager", "KeySpec", "KeyState", "KeyUsage", "MultiRegion", "Origin",
}
RSA_ENCRYPTION = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
RSA_SIGNING_SORTED = [
    "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
]

# (KeySpec, KeyUsage, the algorithm field expected, its value)
KEY_TYPES = [
    ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "EncryptionAlgorithms", ["SYMMETRIC_DEFAULT"]),
    ("HMAC_224", "GENERATE_VERIFY_MAC", "MacAlgorithms", ["HMAC_SHA_224"]),
    ("HMAC_256", "GENERATE_VERIFY_MAC", "MacAlgorithms", ["HMAC_SHA_256"]),
    ("HMAC_384", "GENERATE_VERIFY_MAC", "MacAlgorithms", ["HMAC_SHA_384"]),
    ("HMAC_512", "GENERATE_VERIFY_MAC", "MacAlgorithms", ["HMAC_SHA_512"]),
    ("RSA_2048", "ENCRYPT_DECRYPT", "EncryptionAlgorithms", RSA_ENCRYPTION),
    ("RSA_2048", "SIGN_VERIFY", "SigningAlgorithms", RSA_SIGNING_SORTED),
    ("ECC_NIST_P256", "SIGN_VERIFY", "SigningAlgorithms", ["ECDSA_SHA_256"]),
    ("ECC_NIST_P384", "SIGN_VERIFY", "SigningAlgorithms", ["ECDSA_SHA_384"]),
    ("ECC_NIST_P521", "SIGN_VERIFY", "SigningAlgorithms", ["ECDSA_SHA_512"]),
    ("ECC_SECG_P256K1", "SIGN_VERIFY", "SigningAlgorithms", ["ECDSA_SHA_256"]),
]
ALGORITHM_FIELDS = {"EncryptionAlgorithms", "SigningAlgorithms", "MacAlgorithms", "KeyAgreementAlgorithms"}


def without_metadata(response):
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


@pytest.mark.parametrize("spec,usage,field,algorithms", KEY_TYPES, ids=[f"{s}-{u}" for s, u, _, _ in KEY_TYPES])
def test_create_key_fields_per_key_type(kms, spec, usage, field, algorithms):
    before = datetime.datetime.now(datetime.timezone.utc)
    created = kms.create_key(KeySpec=spec, KeyUsage=usage, Description=f"{spec} key")["KeyMetadata"]
    meta = kms.describe_key(KeyId=created["KeyId"])["KeyMetadata"]
    assert created == meta, "CreateKey's KeyMetadata is DescribeKey's"
    assert KEY_ID_RE.match(meta["KeyId"]), meta["KeyId"]
    assert meta["Arn"] == f"arn:aws:kms:us-east-1:{meta['AWSAccountId']}:key/{meta['KeyId']}"
    assert len(meta["AWSAccountId"]) == 12 and meta["AWSAccountId"].isdigit()
    assert meta["KeySpec"] == meta["CustomerMasterKeySpec"] == spec
    assert meta["KeyUsage"] == usage
    assert meta["KeyState"] == "Enabled" and meta["Enabled"] is True
    assert meta["Origin"] == "AWS_KMS"
    assert meta["KeyManager"] == "CUSTOMER"
    assert meta["MultiRegion"] is False
    assert meta["Description"] == f"{spec} key"
    assert abs((meta["CreationDate"] - before).total_seconds()) < 60
    assert sorted(meta[field]) == sorted(algorithms)
    present_algorithm_fields = ALGORITHM_FIELDS & set(meta)
    assert present_algorithm_fields == {field}, meta
    if spec == "SYMMETRIC_DEFAULT":
        assert HEX64_RE.match(meta["CurrentKeyMaterialId"]), meta
        assert set(meta) == COMMON_FIELDS | {"EncryptionAlgorithms", "CurrentKeyMaterialId"}
    else:
        assert "CurrentKeyMaterialId" not in meta
        assert set(meta) == COMMON_FIELDS | {field}
    for absent in ("DeletionDate", "ValidTo", "ExpirationModel", "MultiRegionConfiguration",
                   "PendingDeletionWindowInDays", "CustomKeyStoreId"):
        assert absent not in meta


def test_create_key_defaults(kms):
    meta = kms.create_key()["KeyMetadata"]
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["Description"] == ""
    assert meta["Origin"] == "AWS_KMS"


def test_create_key_with_customer_master_key_spec_synonym(kms):
    meta = kms.create_key(CustomerMasterKeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert meta["KeySpec"] == meta["CustomerMasterKeySpec"] == "ECC_NIST_P256"


def test_create_rsa_4096_sign_key(https_server):
    kms = https_server.client("kms")
    meta = create_key(kms, "RSA_4096", "SIGN_VERIFY")
    assert meta["KeySpec"] == "RSA_4096"
    assert sorted(meta["SigningAlgorithms"]) == RSA_SIGNING_SORTED
    signature = kms.sign(KeyId=meta["KeyId"], Message=b"hello", SigningAlgorithm="RSASSA_PSS_SHA_512")
    assert len(signature["Signature"]) == 512
    assert kms.verify(KeyId=meta["KeyId"], Message=b"hello", Signature=signature["Signature"],
                      SigningAlgorithm="RSASSA_PSS_SHA_512")["SignatureValid"] is True


def test_create_key_needs_key_usage_for_non_symmetric_keys(server):
    kms = raw_client(server)
    for spec in ("HMAC_256", "RSA_2048", "ECC_NIST_P256"):
        expect_error(lambda: kms.create_key(KeySpec=spec), "ValidationException",
                     "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.")


def test_create_key_bad_key_spec(server):
    kms = raw_client(server)
    enum_error(lambda: kms.create_key(KeySpec="HMAC_random", KeyUsage="GENERATE_VERIFY_MAC"),
               "HMAC_random", "keySpec",
               ["RSA_2048", "ECC_NIST_P384", "ECC_NIST_P256", "ECC_NIST_P521", "HMAC_384", "RSA_3072",
                "ECC_SECG_P256K1", "RSA_4096", "SYMMETRIC_DEFAULT", "HMAC_256", "HMAC_224", "HMAC_512"])


def test_create_key_bad_key_usage(server):
    kms = raw_client(server)
    enum_error(lambda: kms.create_key(KeySpec="HMAC_256", KeyUsage="RANDOM"), "RANDOM", "keyUsage",
               ["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC"])


def test_create_key_key_agreement_needs_ecc(kms):
    expect_error(lambda: kms.create_key(KeySpec="RSA_2048", KeyUsage="KEY_AGREEMENT"), "ValidationException",
                 "KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048")


@pytest.mark.parametrize("spec,usage", [
    ("ECC_NIST_P256", "ENCRYPT_DECRYPT"),
    ("HMAC_256", "SIGN_VERIFY"),
    ("HMAC_256", "ENCRYPT_DECRYPT"),
    ("SYMMETRIC_DEFAULT", "SIGN_VERIFY"),
    ("SYMMETRIC_DEFAULT", "GENERATE_VERIFY_MAC"),
    ("RSA_2048", "GENERATE_VERIFY_MAC"),
    ("ECC_SECG_P256K1", "ENCRYPT_DECRYPT"),
])
def test_create_key_incompatible_spec_and_usage(kms, spec, usage):
    expect_error(lambda: kms.create_key(KeySpec=spec, KeyUsage=usage), "ValidationException")


def test_create_key_description_too_long(server):
    kms = raw_client(server)
    expect_error(lambda: kms.create_key(Description="d" * 8193), "ValidationException")


def test_describe_key_by_all_four_forms(kms):
    meta = create_key(kms)
    alias = f"alias/{unique('describe')}"
    kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
    alias_arn = meta["Arn"].split(":key/")[0] + ":" + alias
    for key_id in (meta["KeyId"], meta["Arn"], alias, alias_arn):
        assert kms.describe_key(KeyId=key_id)["KeyMetadata"] == meta, key_id


@pytest.mark.parametrize("bad_id", ["fake-key-id", "134f2428cec14b25a1ae9048164dba47", "mrk-fake-key-id", "key_id"])
def test_describe_key_invalid_key_id(kms, bad_id):
    expect_error(lambda: kms.describe_key(KeyId=bad_id), "NotFoundException", f"Invalid keyId '{bad_id}'")


def test_describe_key_that_does_not_exist(kms):
    account = create_key(kms)["AWSAccountId"]
    missing = str(uuid.uuid4())
    arn = f"arn:aws:kms:us-east-1:{account}:key/{missing}"
    expected = f"Key '{arn}' does not exist"
    expect_error(lambda: kms.describe_key(KeyId=missing), "NotFoundException", expected)
    expect_error(lambda: kms.describe_key(KeyId=arn), "NotFoundException", expected)


def test_describe_multi_region_key_that_does_not_exist(kms):
    # A well-formed multi-Region id is looked up, not rejected as malformed.
    account = create_key(kms)["AWSAccountId"]
    mrk = "mrk-" + uuid.uuid4().hex
    expect_error(lambda: kms.describe_key(KeyId=mrk), "NotFoundException",
                 f"Key 'arn:aws:kms:us-east-1:{account}:key/{mrk}' does not exist")


def test_describe_key_arn_of_another_region(kms):
    meta = create_key(kms)
    other = meta["Arn"].replace(":us-east-1:", ":us-west-2:")
    expect_error(lambda: kms.describe_key(KeyId=other), "NotFoundException", "Invalid arn us-west-2")


def test_describe_key_from_another_region_by_id(server):
    kms = server.client("kms")
    meta = create_key(kms)
    west = server.client("kms", region="us-west-2")
    expect_error(lambda: west.describe_key(KeyId=meta["KeyId"]), "NotFoundException",
                 f"Key 'arn:aws:kms:us-west-2:{meta['AWSAccountId']}:key/{meta['KeyId']}' does not exist")


def test_describe_key_missing_alias(kms):
    expect_error(lambda: kms.describe_key(KeyId=f"alias/{unique('nothing')}"), "NotFoundException")


def test_list_keys_pagination(kms):
    mine = {create_key(kms, Description="list")["KeyId"] for _ in range(5)}
    seen = []
    pages = 0
    kwargs = {"Limit": 2}
    while True:
        page = kms.list_keys(**kwargs)
        pages += 1
        assert len(page["Keys"]) <= 2
        for entry in page["Keys"]:
            assert set(entry) == {"KeyId", "KeyArn"}
            assert entry["KeyArn"].endswith(":key/" + entry["KeyId"])
        seen.extend(e["KeyId"] for e in page["Keys"])
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        assert page["NextMarker"]
        kwargs["Marker"] = page["NextMarker"]
    assert pages >= 3
    assert len(seen) == len(set(seen)), "no key is listed twice"
    assert mine <= set(seen)
    everything = kms.list_keys(Limit=1000)
    assert everything["Truncated"] is False and "NextMarker" not in everything
    assert set(seen) == {e["KeyId"] for e in everything["Keys"]}


def test_list_keys_default_page(kms):
    page = kms.list_keys()
    assert "Truncated" in page
    assert len(page["Keys"]) <= 100


def test_list_keys_bad_marker(kms):
    expect_error(lambda: kms.list_keys(Marker="not-a-marker-this-server-issued"), "InvalidMarkerException")


def test_list_keys_includes_pending_deletion_keys(kms):
    meta = create_key(kms)
    kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
    listed = {e["KeyId"] for e in kms.list_keys(Limit=1000)["Keys"]}
    assert meta["KeyId"] in listed


def test_update_key_description(kms):
    meta = create_key(kms, Description="before")
    response = kms.update_key_description(KeyId=meta["KeyId"], Description="after")
    assert without_metadata(response) == {}
    assert kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["Description"] == "after"
    kms.update_key_description(KeyId=meta["Arn"], Description="")
    assert kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["Description"] == ""


def test_update_key_description_errors(server):
    kms = raw_client(server)
    meta = create_key(kms)
    expect_error(lambda: kms.update_key_description(KeyId=meta["KeyId"], Description="x" * 8193),
                 "ValidationException")
    kms.disable_key(KeyId=meta["KeyId"])
    kms.update_key_description(KeyId=meta["KeyId"], Description="disabled keys take descriptions")
    kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
    expect_error(lambda: kms.update_key_description(KeyId=meta["KeyId"], Description="no"),
                 "KMSInvalidStateException")
    expect_error(lambda: kms.update_key_description(KeyId=str(uuid.uuid4()), Description="x"),
                 "NotFoundException")


def test_disable_and_enable_key(kms):
    meta = create_key(kms)
    assert without_metadata(kms.disable_key(KeyId=meta["KeyId"])) == {}
    described = kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]
    assert described["KeyState"] == "Disabled" and described["Enabled"] is False
    kms.disable_key(KeyId=meta["Arn"])  # idempotent
    assert without_metadata(kms.enable_key(KeyId=meta["KeyId"])) == {}
    described = kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]
    assert described["KeyState"] == "Enabled" and described["Enabled"] is True
    kms.enable_key(KeyId=meta["Arn"])  # idempotent


def test_enable_disable_pending_deletion_key(kms):
    meta = create_key(kms)
    kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
    expect_error(lambda: kms.enable_key(KeyId=meta["KeyId"]), "KMSInvalidStateException")
    expect_error(lambda: kms.disable_key(KeyId=meta["KeyId"]), "KMSInvalidStateException")


def test_enable_disable_alias_not_accepted(kms):
    meta = create_key(kms)
    alias = f"alias/{unique('noalias')}"
    kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
    with pytest.raises(kms.exceptions.ClientError):
        kms.disable_key(KeyId=alias)
    assert kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_disabled_key_refuses_cryptographic_operations(kms):
    sym = create_key(kms)
    ciphertext = kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"data")["CiphertextBlob"]
    dest = create_key(kms)
    sign_key = create_key(kms, "ECC_NIST_P256")
    signature = kms.sign(KeyId=sign_key["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    mac_key = create_key(kms, "HMAC_256")
    mac = kms.generate_mac(KeyId=mac_key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    for key in (sym, sign_key, mac_key):
        kms.disable_key(KeyId=key["KeyId"])

    def disabled(call, key):
        expect_error(call, "DisabledException", DISABLED.format(arn=key["Arn"]))

    disabled(lambda: kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"data"), sym)
    disabled(lambda: kms.decrypt(CiphertextBlob=ciphertext), sym)
    disabled(lambda: kms.decrypt(CiphertextBlob=ciphertext, KeyId=sym["Arn"]), sym)
    disabled(lambda: kms.re_encrypt(CiphertextBlob=ciphertext, DestinationKeyId=dest["KeyId"]), sym)
    disabled(lambda: kms.generate_data_key(KeyId=sym["KeyId"], KeySpec="AES_256"), sym)
    disabled(lambda: kms.generate_data_key_without_plaintext(KeyId=sym["KeyId"], KeySpec="AES_256"), sym)
    disabled(lambda: kms.generate_data_key_pair(KeyId=sym["KeyId"], KeyPairSpec="ECC_NIST_P256"), sym)
    disabled(lambda: kms.sign(KeyId=sign_key["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256"), sign_key)
    disabled(lambda: kms.verify(KeyId=sign_key["KeyId"], Message=b"m", Signature=signature,
                                SigningAlgorithm="ECDSA_SHA_256"), sign_key)
    disabled(lambda: kms.generate_mac(KeyId=mac_key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256"), mac_key)
    disabled(lambda: kms.verify_mac(KeyId=mac_key["KeyId"], Message=b"m", Mac=mac,
                                    MacAlgorithm="HMAC_SHA_256"), mac_key)
    # A disabled key is still described, listed, tagged and its policy readable.
    assert kms.describe_key(KeyId=sym["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    kms.get_key_policy(KeyId=sym["KeyId"], PolicyName="default")
    kms.tag_resource(KeyId=sym["KeyId"], Tags=[{"TagKey": "k", "TagValue": "v"}])
    # Enabled again, the old ciphertext decrypts.
    kms.enable_key(KeyId=sym["KeyId"])
    assert kms.decrypt(CiphertextBlob=ciphertext)["Plaintext"] == b"data"


def test_schedule_key_deletion(kms):
    meta = create_key(kms)
    ciphertext = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"data")["CiphertextBlob"]
    before = datetime.datetime.now(datetime.timezone.utc)
    response = kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=15)
    assert response["KeyId"] == meta["Arn"]
    assert response["KeyState"] == "PendingDeletion"
    assert response["PendingWindowInDays"] == 15
    expected = before + datetime.timedelta(days=15)
    assert abs((response["DeletionDate"] - expected).total_seconds()) < 60
    described = kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]
    assert described["KeyState"] == "PendingDeletion" and described["Enabled"] is False
    assert abs((described["DeletionDate"] - response["DeletionDate"]).total_seconds()) < 1
    pending = PENDING_DELETION.format(arn=meta["Arn"])
    expect_error(lambda: kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x"), "KMSInvalidStateException", pending)
    expect_error(lambda: kms.decrypt(CiphertextBlob=ciphertext), "KMSInvalidStateException", pending)
    expect_error(lambda: kms.generate_data_key(KeyId=meta["KeyId"], KeySpec="AES_256"),
                 "KMSInvalidStateException", pending)
    expect_error(lambda: kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7),
                 "KMSInvalidStateException")
    # Still readable in this state.
    kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")
    kms.list_resource_tags(KeyId=meta["KeyId"])


def test_schedule_key_deletion_default_window_is_30_days(kms):
    meta = create_key(kms)
    before = datetime.datetime.now(datetime.timezone.utc)
    response = kms.schedule_key_deletion(KeyId=meta["Arn"])
    assert response["PendingWindowInDays"] == 30
    assert abs((response["DeletionDate"] - (before + datetime.timedelta(days=30))).total_seconds()) < 60


@pytest.mark.parametrize("days", [7, 30])
def test_schedule_key_deletion_window_bounds_accepted(kms, days):
    meta = create_key(kms)
    assert kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=days)["PendingWindowInDays"] == days


@pytest.mark.parametrize("days", [0, 1, 6, 31, 365, 366])
def test_schedule_key_deletion_window_out_of_range(server, days):
    kms = raw_client(server)
    meta = create_key(kms)
    expect_error(lambda: kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=days),
                 "ValidationException")
    assert kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_cancel_key_deletion_leaves_key_disabled(kms):
    meta = create_key(kms)
    ciphertext = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"data")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
    response = kms.cancel_key_deletion(KeyId=meta["KeyId"])
    assert response["KeyId"] == meta["Arn"]
    described = kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]
    assert described["KeyState"] == "Disabled"
    assert described["Enabled"] is False
    assert "DeletionDate" not in described
    expect_error(lambda: kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x"), "DisabledException",
                 DISABLED.format(arn=meta["Arn"]))
    kms.enable_key(KeyId=meta["KeyId"])
    assert kms.decrypt(CiphertextBlob=ciphertext)["Plaintext"] == b"data"


def test_cancel_key_deletion_of_key_not_pending_deletion(kms):
    enabled = create_key(kms)
    expect_error(lambda: kms.cancel_key_deletion(KeyId=enabled["KeyId"]), "KMSInvalidStateException")
    disabled = create_key(kms)
    kms.disable_key(KeyId=disabled["KeyId"])
    expect_error(lambda: kms.cancel_key_deletion(KeyId=disabled["KeyId"]), "KMSInvalidStateException")


def test_schedule_deletion_of_disabled_key(kms):
    meta = create_key(kms)
    kms.disable_key(KeyId=meta["KeyId"])
    assert kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)["KeyState"] == "PendingDeletion"
    kms.cancel_key_deletion(KeyId=meta["KeyId"])
    assert kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"


def test_state_operations_on_missing_key(kms):
    account = create_key(kms)["AWSAccountId"]
    missing = str(uuid.uuid4())
    message = f"Key 'arn:aws:kms:us-east-1:{account}:key/{missing}' does not exist"
    for call in (
        lambda: kms.enable_key(KeyId=missing),
        lambda: kms.disable_key(KeyId=missing),
        lambda: kms.schedule_key_deletion(KeyId=missing),
        lambda: kms.cancel_key_deletion(KeyId=missing),
        lambda: kms.encrypt(KeyId=missing, Plaintext=b"x"),
    ):
        expect_error(call, "NotFoundException", message)


def test_key_ids_are_unique_uuid4(kms):
    ids = {create_key(kms)["KeyId"] for _ in range(10)}
    assert len(ids) == 10
    assert all(KEY_ID_RE.match(i) for i in ids)


def test_create_key_with_policy_and_tags(kms):
    meta = create_key(kms, Tags=[{"TagKey": "team", "TagValue": "ml"}])
    tags = kms.list_resource_tags(KeyId=meta["KeyId"])["Tags"]
    assert tags == [{"TagKey": "team", "TagValue": "ml"}]


def test_create_key_malformed_policy(kms):
    expect_error(lambda: kms.create_key(Policy="this is not json"), "MalformedPolicyDocumentException")


def test_operations_need_existing_key_arn_region(kms):
    meta = create_key(kms)
    other = meta["Arn"].replace(":us-east-1:", ":eu-west-1:")
    expect_any_error(lambda: kms.encrypt(KeyId=other, Plaintext=b"x"), {"NotFoundException"})
