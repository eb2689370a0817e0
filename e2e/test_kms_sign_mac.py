"""Sign, Verify, GetPublicKey, GenerateMac, VerifyMac — signatures and MACs checked
independently with Python's `cryptography` (HMAC keys cannot be exported, so MACs are
checked by their length, determinism and key separation)."""

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from kms_helpers import (
    ECC_SIGNING,
    NO_MESSAGE,
    RSA_SIGNING,
    create_key,
    expect_error,
    public_key,
    raw_client,
    unique,
)

HASHES = {"256": (hashes.SHA256, hashlib.sha256), "384": (hashes.SHA384, hashlib.sha384),
          "512": (hashes.SHA512, hashlib.sha512)}
CURVES = {"ECC_NIST_P256": "secp256r1", "ECC_NIST_P384": "secp384r1", "ECC_NIST_P521": "secp521r1",
          "ECC_SECG_P256K1": "secp256k1"}


def verify_offline(pub, algorithm, message, signature, message_type):
    hash_cls, _ = HASHES[algorithm[-3:]]
    chosen = utils.Prehashed(hash_cls()) if message_type == "DIGEST" else hash_cls()
    if algorithm.startswith("ECDSA"):
        pub.verify(signature, message, ec.ECDSA(chosen))
    elif algorithm.startswith("RSASSA_PSS"):
        # KMS uses a salt as long as the hash.
        pub.verify(signature, message, padding.PSS(mgf=padding.MGF1(hash_cls()), salt_length=hash_cls.digest_size),
                   chosen)
    else:
        pub.verify(signature, message, padding.PKCS1v15(), chosen)


def sign_and_verify(kms, meta, algorithm):
    pub = public_key(kms.get_public_key(KeyId=meta["KeyId"])["PublicKey"])
    message = f"message for {algorithm}".encode()
    _, hashlib_fn = HASHES[algorithm[-3:]]
    for message_type, payload in (("RAW", message), ("DIGEST", hashlib_fn(message).digest())):
        signed = kms.sign(KeyId=meta["KeyId"], Message=payload, MessageType=message_type, SigningAlgorithm=algorithm)
        assert signed["KeyId"] == meta["Arn"]
        assert signed["SigningAlgorithm"] == algorithm
        signature = signed["Signature"]
        verify_offline(pub, algorithm, payload, signature, message_type)
        verified = kms.verify(KeyId=meta["KeyId"], Message=payload, MessageType=message_type, Signature=signature,
                              SigningAlgorithm=algorithm)
        assert verified["SignatureValid"] is True
        assert verified["KeyId"] == meta["Arn"]
        assert verified["SigningAlgorithm"] == algorithm
    # A RAW signature verifies as DIGEST of the hash, and the other way round.
    raw_sig = kms.sign(KeyId=meta["KeyId"], Message=message, SigningAlgorithm=algorithm)["Signature"]
    assert kms.verify(KeyId=meta["KeyId"], Message=hashlib_fn(message).digest(), MessageType="DIGEST",
                      Signature=raw_sig, SigningAlgorithm=algorithm)["SignatureValid"] is True
    # Tampered signature, other message.
    tampered = raw_sig[:-1] + bytes([raw_sig[-1] ^ 1])
    expect_error(lambda: kms.verify(KeyId=meta["KeyId"], Message=message, Signature=tampered,
                                    SigningAlgorithm=algorithm),
                 "KMSInvalidSignatureException", NO_MESSAGE)
    expect_error(lambda: kms.verify(KeyId=meta["KeyId"], Message=message + b"!", Signature=raw_sig,
                                    SigningAlgorithm=algorithm),
                 "KMSInvalidSignatureException", NO_MESSAGE)
    # A digest of the wrong length.
    short = hashlib_fn(message).digest()[:-1]
    expect_error(lambda: kms.sign(KeyId=meta["KeyId"], Message=short, MessageType="DIGEST",
                                  SigningAlgorithm=algorithm),
                 "ValidationException", f"Digest is invalid length for algorithm {algorithm}.")
    expect_error(lambda: kms.verify(KeyId=meta["KeyId"], Message=short, MessageType="DIGEST", Signature=raw_sig,
                                    SigningAlgorithm=algorithm),
                 "ValidationException")
    return pub


def test_sign_verify_rsa_2048_every_algorithm(kms):
    meta = create_key(kms, "RSA_2048", "SIGN_VERIFY")
    for algorithm in RSA_SIGNING:
        pub = sign_and_verify(kms, meta, algorithm)
    assert isinstance(pub, rsa.RSAPublicKey) and pub.key_size == 2048


@pytest.mark.parametrize("spec", sorted(ECC_SIGNING))
def test_sign_verify_ecc(kms, spec):
    meta = create_key(kms, spec)
    pub = sign_and_verify(kms, meta, ECC_SIGNING[spec])
    assert isinstance(pub, ec.EllipticCurvePublicKey) and pub.curve.name == CURVES[spec]


def test_ecdsa_signatures_are_der(kms):
    meta = create_key(kms, "ECC_NIST_P256")
    signature = kms.sign(KeyId=meta["KeyId"], Message=b"der", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    r, s = utils.decode_dss_signature(signature)
    assert r > 0 and s > 0


@pytest.mark.parametrize("spec,wrong", [
    ("ECC_NIST_P256", "ECDSA_SHA_384"),
    ("ECC_NIST_P384", "ECDSA_SHA_256"),
    ("ECC_NIST_P521", "ECDSA_SHA_256"),
    ("ECC_SECG_P256K1", "ECDSA_SHA_512"),
    ("ECC_NIST_P256", "RSASSA_PSS_SHA_256"),
    ("RSA_2048", "ECDSA_SHA_256"),
])
def test_sign_algorithm_must_match_key_spec(kms, spec, wrong):
    meta = create_key(kms, spec, "SIGN_VERIFY")
    expect_error(lambda: kms.sign(KeyId=meta["KeyId"], Message=b"m", SigningAlgorithm=wrong),
                 "InvalidKeyUsageException")
    expect_error(lambda: kms.verify(KeyId=meta["KeyId"], Message=b"m", Signature=b"\x30" * 70,
                                    SigningAlgorithm=wrong),
                 "InvalidKeyUsageException")


def test_sign_verify_wrong_key_usage(kms):
    mac_key = create_key(kms, "HMAC_256")
    expect_error(lambda: kms.sign(KeyId=mac_key["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256"),
                 "InvalidKeyUsageException", f"{mac_key['Arn']} key usage is GENERATE_VERIFY_MAC which is not valid for Sign.")
    symmetric = create_key(kms)
    expect_error(lambda: kms.verify(KeyId=symmetric["KeyId"], Message=b"m", Signature=b"sig",
                                    SigningAlgorithm="ECDSA_SHA_256"),
                 "InvalidKeyUsageException",
                 f"{symmetric['Arn']} key usage is ENCRYPT_DECRYPT which is not valid for Verify.")
    rsa_enc = create_key(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    expect_error(lambda: kms.sign(KeyId=rsa_enc["KeyId"], Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256"),
                 "InvalidKeyUsageException")


def test_sign_message_limits(server):
    kms = raw_client(server)
    meta = create_key(kms, "ECC_NIST_P256")
    kms.sign(KeyId=meta["KeyId"], Message=b"m" * 4096, SigningAlgorithm="ECDSA_SHA_256")
    expect_error(lambda: kms.sign(KeyId=meta["KeyId"], Message=b"m" * 4097, SigningAlgorithm="ECDSA_SHA_256"),
                 "ValidationException")
    expect_error(lambda: kms.sign(KeyId=meta["KeyId"], Message=b"", SigningAlgorithm="ECDSA_SHA_256"),
                 "ValidationException")


def test_sign_by_alias(kms):
    meta = create_key(kms, "ECC_NIST_P384")
    alias = f"alias/{unique('signer')}"
    kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
    signed = kms.sign(KeyId=alias, Message=b"aliased", SigningAlgorithm="ECDSA_SHA_384")
    assert signed["KeyId"] == meta["Arn"]
    assert kms.verify(KeyId=meta["Arn"], Message=b"aliased", Signature=signed["Signature"],
                      SigningAlgorithm="ECDSA_SHA_384")["SignatureValid"] is True


def test_get_public_key(kms):
    signing = create_key(kms, "RSA_2048", "SIGN_VERIFY")
    response = kms.get_public_key(KeyId=signing["KeyId"])
    assert response["KeyId"] == signing["Arn"]
    assert response["KeySpec"] == response["CustomerMasterKeySpec"] == "RSA_2048"
    assert response["KeyUsage"] == "SIGN_VERIFY"
    assert sorted(response["SigningAlgorithms"]) == sorted(RSA_SIGNING)
    assert "EncryptionAlgorithms" not in response
    assert public_key(response["PublicKey"]).key_size == 2048

    encrypting = create_key(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    response = kms.get_public_key(KeyId=encrypting["Arn"])
    assert response["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert sorted(response["EncryptionAlgorithms"]) == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    assert "SigningAlgorithms" not in response

    ecc = create_key(kms, "ECC_SECG_P256K1")
    response = kms.get_public_key(KeyId=ecc["KeyId"])
    assert response["SigningAlgorithms"] == ["ECDSA_SHA_256"]
    assert public_key(response["PublicKey"]).curve.name == "secp256k1"


def test_get_public_key_of_symmetric_and_hmac_keys(kms):
    for meta in (create_key(kms), create_key(kms, "HMAC_256")):
        expect_error(lambda m=meta: kms.get_public_key(KeyId=m["KeyId"]), "UnsupportedOperationException")


@pytest.mark.parametrize("bits", ["224", "256", "384", "512"])
def test_generate_and_verify_mac(kms, bits):
    meta = create_key(kms, f"HMAC_{bits}")
    algorithm = f"HMAC_SHA_{bits}"
    message = b"authenticate me"
    response = kms.generate_mac(KeyId=meta["KeyId"], Message=message, MacAlgorithm=algorithm)
    assert response["KeyId"] == meta["Arn"]
    assert response["MacAlgorithm"] == algorithm
    mac = response["Mac"]
    assert len(mac) == int(bits) // 8
    # Deterministic: the same message gives the same MAC.
    assert kms.generate_mac(KeyId=meta["KeyId"], Message=message, MacAlgorithm=algorithm)["Mac"] == mac
    verified = kms.verify_mac(KeyId=meta["KeyId"], Message=message, Mac=mac, MacAlgorithm=algorithm)
    assert verified == {**verified, "KeyId": meta["Arn"], "MacAlgorithm": algorithm, "MacValid": True}
    tampered = mac[:-1] + bytes([mac[-1] ^ 1])
    expect_error(lambda: kms.verify_mac(KeyId=meta["KeyId"], Message=message, Mac=tampered, MacAlgorithm=algorithm),
                 "KMSInvalidMacException", NO_MESSAGE)
    expect_error(lambda: kms.verify_mac(KeyId=meta["KeyId"], Message=b"other", Mac=mac, MacAlgorithm=algorithm),
                 "KMSInvalidMacException", NO_MESSAGE)
    # Another key of the same spec gives another MAC.
    other = create_key(kms, f"HMAC_{bits}")
    assert kms.generate_mac(KeyId=other["KeyId"], Message=message, MacAlgorithm=algorithm)["Mac"] != mac


@pytest.mark.parametrize("spec,algorithm", [("HMAC_224", "HMAC_SHA_256"), ("HMAC_256", "HMAC_SHA_512"),
                                            ("HMAC_512", "HMAC_SHA_384")])
def test_mac_algorithm_must_match_key_spec(kms, spec, algorithm):
    meta = create_key(kms, spec)
    message = f"Algorithm {algorithm} is incompatible with key spec {spec}."
    expect_error(lambda: kms.generate_mac(KeyId=meta["KeyId"], Message=b"m", MacAlgorithm=algorithm),
                 "InvalidKeyUsageException", message)
    expect_error(lambda: kms.verify_mac(KeyId=meta["KeyId"], Message=b"m", Mac=b"x" * 32, MacAlgorithm=algorithm),
                 "InvalidKeyUsageException", message)


def test_mac_invalid_algorithm(server):
    kms = raw_client(server)
    meta = create_key(kms, "HMAC_256")
    expected = ("1 validation error detected: Value 'INVALID' at 'macAlgorithm' failed to satisfy constraint: "
                "Member must satisfy enum value set: [HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]")
    expect_error(lambda: kms.generate_mac(KeyId=meta["KeyId"], Message=b"m", MacAlgorithm="INVALID"),
                 "ValidationException", expected)
    expect_error(lambda: kms.verify_mac(KeyId=meta["KeyId"], Message=b"m", Mac=b"x", MacAlgorithm="INVALID"),
                 "ValidationException", expected)


def test_mac_with_wrong_key_usage(kms):
    symmetric = create_key(kms)
    expect_error(lambda: kms.generate_mac(KeyId=symmetric["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256"),
                 "InvalidKeyUsageException",
                 f"{symmetric['Arn']} key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac.")
    signing = create_key(kms, "ECC_NIST_P256")
    expect_error(lambda: kms.verify_mac(KeyId=signing["KeyId"], Message=b"m", Mac=b"x" * 32,
                                        MacAlgorithm="HMAC_SHA_256"),
                 "InvalidKeyUsageException")


def test_mac_invalid_key_id(kms):
    expect_error(lambda: kms.generate_mac(KeyId="key_id", Message=b"m", MacAlgorithm="HMAC_SHA_256"),
                 "NotFoundException", "Invalid keyId 'key_id'")
    expect_error(lambda: kms.verify_mac(KeyId="key_id", Message=b"m", Mac=b"x", MacAlgorithm="HMAC_SHA_256"),
                 "NotFoundException", "Invalid keyId 'key_id'")


def test_mac_message_limits(server):
    kms = raw_client(server)
    meta = create_key(kms, "HMAC_384")
    kms.generate_mac(KeyId=meta["KeyId"], Message=b"m" * 4096, MacAlgorithm="HMAC_SHA_384")
    expect_error(lambda: kms.generate_mac(KeyId=meta["KeyId"], Message=b"m" * 4097, MacAlgorithm="HMAC_SHA_384"),
                 "ValidationException")
