"""DryRun on every operation that has it: DryRunOperationException (HTTP 400) with AWS's
text when the request would have succeeded, and no effect."""

import json

import pytest

from kms_helpers import DISABLED, DRY_RUN, create_key, expect_error


@pytest.fixture()
def keys(kms):
    symmetric = create_key(kms)
    signing = create_key(kms, "ECC_NIST_P256")
    mac = create_key(kms, "HMAC_256")
    blob = kms.encrypt(KeyId=symmetric["KeyId"], Plaintext=b"dry", EncryptionContext={"c": "1"})["CiphertextBlob"]
    signature = kms.sign(KeyId=signing["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    tag = kms.generate_mac(KeyId=mac["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    return {"sym": symmetric, "sign": signing, "mac": mac, "blob": blob, "signature": signature, "tag": tag}


CALLS = {
    "Encrypt": lambda kms, k: kms.encrypt(KeyId=k["sym"]["KeyId"], Plaintext=b"x", DryRun=True),
    "Decrypt": lambda kms, k: kms.decrypt(CiphertextBlob=k["blob"], EncryptionContext={"c": "1"}, DryRun=True),
    "ReEncrypt": lambda kms, k: kms.re_encrypt(CiphertextBlob=k["blob"], SourceEncryptionContext={"c": "1"},
                                               DestinationKeyId=k["sym"]["KeyId"], DryRun=True),
    "GenerateDataKey": lambda kms, k: kms.generate_data_key(KeyId=k["sym"]["KeyId"], KeySpec="AES_256", DryRun=True),
    "GenerateDataKeyWithoutPlaintext": lambda kms, k: kms.generate_data_key_without_plaintext(
        KeyId=k["sym"]["KeyId"], NumberOfBytes=16, DryRun=True),
    "GenerateDataKeyPair": lambda kms, k: kms.generate_data_key_pair(KeyId=k["sym"]["KeyId"],
                                                                     KeyPairSpec="ECC_NIST_P256", DryRun=True),
    "GenerateDataKeyPairWithoutPlaintext": lambda kms, k: kms.generate_data_key_pair_without_plaintext(
        KeyId=k["sym"]["KeyId"], KeyPairSpec="RSA_2048", DryRun=True),
    "Sign": lambda kms, k: kms.sign(KeyId=k["sign"]["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256",
                                    DryRun=True),
    "Verify": lambda kms, k: kms.verify(KeyId=k["sign"]["KeyId"], Message=b"m", Signature=k["signature"],
                                        SigningAlgorithm="ECDSA_SHA_256", DryRun=True),
    "GenerateMac": lambda kms, k: kms.generate_mac(KeyId=k["mac"]["KeyId"], Message=b"m",
                                                   MacAlgorithm="HMAC_SHA_256", DryRun=True),
    "VerifyMac": lambda kms, k: kms.verify_mac(KeyId=k["mac"]["KeyId"], Message=b"m", Mac=k["tag"],
                                               MacAlgorithm="HMAC_SHA_256", DryRun=True),
}


@pytest.mark.parametrize("operation", sorted(CALLS))
def test_dry_run(kms, keys, operation):
    expect_error(lambda: CALLS[operation](kms, keys), "DryRunOperationException", DRY_RUN)


def test_decrypt_dry_run_ignoring_ciphertext(kms, keys):
    expect_error(lambda: kms.decrypt(KeyId=keys["sym"]["KeyId"], DryRun=True, DryRunModifiers=["IGNORE_CIPHERTEXT"]),
                 "DryRunOperationException", DRY_RUN)


def test_re_encrypt_dry_run_ignoring_ciphertext(kms, keys):
    expect_error(lambda: kms.re_encrypt(SourceKeyId=keys["sym"]["KeyId"], DestinationKeyId=keys["sym"]["KeyId"],
                                        DryRun=True, DryRunModifiers=["IGNORE_CIPHERTEXT"]),
                 "DryRunOperationException", DRY_RUN)


def test_ignore_ciphertext_still_checks_authorization(kms, keys):
    account = keys["sym"]["AWSAccountId"]
    kms.put_key_policy(KeyId=keys["sym"]["KeyId"], Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*",
             "Resource": "*"},
            {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:Decrypt",
             "Resource": "*"},
        ]}))
    expect_error(lambda: kms.decrypt(KeyId=keys["sym"]["KeyId"], DryRun=True, DryRunModifiers=["IGNORE_CIPHERTEXT"]),
                 "AccessDeniedException")
    # Without a key to check there is nothing to authorize.
    expect_error(lambda: kms.decrypt(DryRun=True, DryRunModifiers=["IGNORE_CIPHERTEXT"]), "ValidationException")


def test_dry_run_does_not_hide_errors(kms, keys):
    # Requests that would fail fail as they would without DryRun.
    kms.disable_key(KeyId=keys["sym"]["KeyId"])
    expect_error(lambda: kms.encrypt(KeyId=keys["sym"]["KeyId"], Plaintext=b"x", DryRun=True), "DisabledException",
                 DISABLED.format(arn=keys["sym"]["Arn"]))
    expect_error(lambda: kms.sign(KeyId=keys["mac"]["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256",
                                  DryRun=True),
                 "InvalidKeyUsageException",
                 f"{keys['mac']['Arn']} key usage is GENERATE_VERIFY_MAC which is not valid for Sign.")
    expect_error(lambda: kms.encrypt(KeyId="fake-key-id", Plaintext=b"x", DryRun=True), "NotFoundException",
                 "Invalid keyId 'fake-key-id'")
