"""Encrypt, Decrypt, ReEncrypt, GenerateDataKey(+WithoutPlaintext),
GenerateDataKeyPair(+WithoutPlaintext), GenerateRandom."""

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from kms_helpers import (
    INCORRECT_KEY,
    NO_MESSAGE,
    create_key,
    expect_error,
    public_key,
    raw_client,
    unique,
)


def test_encrypt_decrypt_round_trip(kms):
    meta = create_key(kms)
    for plaintext in (b"x", b"sensitive data", bytes(range(256)) * 16):
        encrypted = kms.encrypt(KeyId=meta["KeyId"], Plaintext=plaintext)
        assert encrypted["KeyId"] == meta["Arn"]
        assert encrypted["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
        assert encrypted["CiphertextBlob"] != plaintext
        if len(plaintext) >= 8:  # a short plaintext appears in random bytes by chance
            assert plaintext not in encrypted["CiphertextBlob"]
        decrypted = kms.decrypt(CiphertextBlob=encrypted["CiphertextBlob"])
        assert decrypted["Plaintext"] == plaintext
        assert decrypted["KeyId"] == meta["Arn"]
        assert decrypted["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
        assert decrypted["KeyMaterialId"] == meta["CurrentKeyMaterialId"]


def test_encrypt_is_randomized(kms):
    meta = create_key(kms)
    a = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"same")["CiphertextBlob"]
    b = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"same")["CiphertextBlob"]
    assert a != b


def test_all_key_id_forms_encrypt_and_decrypt(kms):
    meta = create_key(kms)
    alias = f"alias/{unique('forms')}"
    kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
    alias_arn = f"arn:aws:kms:us-east-1:{meta['AWSAccountId']}:{alias}"
    for key_id in (meta["KeyId"], meta["Arn"], alias, alias_arn):
        blob = kms.encrypt(KeyId=key_id, Plaintext=b"form")["CiphertextBlob"]
        for decrypt_id in (meta["KeyId"], meta["Arn"], alias, alias_arn):
            assert kms.decrypt(CiphertextBlob=blob, KeyId=decrypt_id)["Plaintext"] == b"form"


def test_encryption_context_is_bound(kms):
    meta = create_key(kms)
    context = {"purpose": "training", "dataset": "claims-2024"}
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"bound", EncryptionContext=context)["CiphertextBlob"]
    # Order of pairs does not matter.
    reordered = dict(reversed(list(context.items())))
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=reordered)["Plaintext"] == b"bound"
    for wrong in ({}, {"purpose": "training"}, {"purpose": "training", "dataset": "claims-2025"},
                  {**context, "extra": "pair"}, {"Purpose": "training", "dataset": "claims-2024"}):
        call = (lambda w=wrong: kms.decrypt(CiphertextBlob=blob, EncryptionContext=w)) if wrong else \
            (lambda: kms.decrypt(CiphertextBlob=blob))
        expect_error(call, "InvalidCiphertextException", NO_MESSAGE)
    # A ciphertext made without a context does not decrypt with one.
    plain = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"free")["CiphertextBlob"]
    expect_error(lambda: kms.decrypt(CiphertextBlob=plain, EncryptionContext={"a": "b"}),
                 "InvalidCiphertextException", NO_MESSAGE)


def test_tampered_ciphertexts(kms):
    meta = create_key(kms)
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"do not touch")["CiphertextBlob"]
    flipped_last = blob[:-1] + bytes([blob[-1] ^ 1])
    truncated = blob[:-1]
    appended = blob + b"\x00"
    for bad in (flipped_last, truncated, appended):
        expect_error(lambda b=bad: kms.decrypt(CiphertextBlob=b), "InvalidCiphertextException", NO_MESSAGE)


def test_garbage_ciphertext(kms):
    expect_error(lambda: kms.decrypt(CiphertextBlob=b"definitely not a kms ciphertext blob at all"),
                 "InvalidCiphertextException", NO_MESSAGE)


def test_decrypt_with_wrong_key_id(kms):
    meta, other = create_key(kms), create_key(kms)
    hmac_key = create_key(kms, "HMAC_256")
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"mine")["CiphertextBlob"]
    expect_error(lambda: kms.decrypt(CiphertextBlob=blob, KeyId=other["KeyId"]), "IncorrectKeyException",
                 INCORRECT_KEY)
    expect_error(lambda: kms.decrypt(CiphertextBlob=blob, KeyId=hmac_key["KeyId"]), "IncorrectKeyException",
                 INCORRECT_KEY)


def test_plaintext_size_limits(server):
    kms = raw_client(server)
    meta = create_key(kms)
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"a" * 4096)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"a" * 4096
    expect_error(lambda: kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"a" * 4097), "ValidationException",
                 "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
                 "Member must have length less than or equal to 4096")
    expect_error(lambda: kms.encrypt(KeyId=meta["KeyId"], Plaintext=b""), "ValidationException")


def test_encrypt_with_non_encryption_keys(kms):
    signing = create_key(kms, "RSA_2048", "SIGN_VERIFY")
    expect_error(lambda: kms.encrypt(KeyId=signing["KeyId"], Plaintext=b"x",
                                     EncryptionAlgorithm="RSAES_OAEP_SHA_256"),
                 "InvalidKeyUsageException", f"{signing['Arn']} key usage is SIGN_VERIFY which is not valid for Encrypt.")
    mac = create_key(kms, "HMAC_256")
    expect_error(lambda: kms.encrypt(KeyId=mac["KeyId"], Plaintext=b"x"), "InvalidKeyUsageException")


def test_encrypt_missing_key(kms):
    expect_error(lambda: kms.encrypt(KeyId="alias/" + unique("absent"), Plaintext=b"x"), "NotFoundException")
    expect_error(lambda: kms.encrypt(KeyId="fake-key-id", Plaintext=b"x"), "NotFoundException",
                 "Invalid keyId 'fake-key-id'")


@pytest.mark.parametrize("algorithm,limit,hash_cls", [
    ("RSAES_OAEP_SHA_1", 214, hashes.SHA1),
    ("RSAES_OAEP_SHA_256", 190, hashes.SHA256),
])
def test_rsa_2048_encryption(kms, algorithm, limit, hash_cls):
    meta = create_key(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    plaintext = b"p" * limit
    encrypted = kms.encrypt(KeyId=meta["KeyId"], Plaintext=plaintext, EncryptionAlgorithm=algorithm)
    assert encrypted["KeyId"] == meta["Arn"]
    assert encrypted["EncryptionAlgorithm"] == algorithm
    assert len(encrypted["CiphertextBlob"]) == 256
    decrypted = kms.decrypt(CiphertextBlob=encrypted["CiphertextBlob"], KeyId=meta["KeyId"],
                            EncryptionAlgorithm=algorithm)
    assert decrypted["Plaintext"] == plaintext
    assert decrypted["KeyId"] == meta["Arn"]
    assert decrypted["EncryptionAlgorithm"] == algorithm
    assert "KeyMaterialId" not in decrypted
    expect_error(lambda: kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"p" * (limit + 1), EncryptionAlgorithm=algorithm),
                 "ValidationException",
                 f"Algorithm {algorithm} and key spec RSA_2048 cannot encrypt data larger than {limit} bytes.")
    # Encrypted offline with the public key, decrypted by KMS.
    pub = public_key(kms.get_public_key(KeyId=meta["KeyId"])["PublicKey"])
    offline = pub.encrypt(b"offline", padding.OAEP(mgf=padding.MGF1(hash_cls()), algorithm=hash_cls(), label=None))
    assert kms.decrypt(CiphertextBlob=offline, KeyId=meta["Arn"], EncryptionAlgorithm=algorithm)["Plaintext"] == \
        b"offline"


def test_rsa_decrypt_needs_key_and_algorithm(kms):
    meta = create_key(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"]
    with pytest.raises(kms.exceptions.ClientError):
        kms.decrypt(CiphertextBlob=blob)
    # The wrong OAEP hash does not decrypt.
    expect_error(lambda: kms.decrypt(CiphertextBlob=blob, KeyId=meta["KeyId"], EncryptionAlgorithm="RSAES_OAEP_SHA_1"),
                 "InvalidCiphertextException", NO_MESSAGE)


def test_rsa_encrypt_needs_algorithm(kms):
    meta = create_key(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    expect_error(lambda: kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x"), "InvalidKeyUsageException")
    expect_error(lambda: kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x", EncryptionAlgorithm="SYMMETRIC_DEFAULT"),
                 "InvalidKeyUsageException")
    symmetric = create_key(kms)
    expect_error(lambda: kms.encrypt(KeyId=symmetric["KeyId"], Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_1"),
                 "InvalidKeyUsageException")


def test_rsa_3072_encryption_limits(https_server):
    kms = https_server.client("kms")
    meta = create_key(kms, "RSA_3072", "ENCRYPT_DECRYPT")
    for algorithm, limit in (("RSAES_OAEP_SHA_1", 342), ("RSAES_OAEP_SHA_256", 318)):
        blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"q" * limit, EncryptionAlgorithm=algorithm)["CiphertextBlob"]
        assert len(blob) == 384
        assert kms.decrypt(CiphertextBlob=blob, KeyId=meta["KeyId"], EncryptionAlgorithm=algorithm)["Plaintext"] == \
            b"q" * limit
        expect_error(lambda: kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"q" * (limit + 1),
                                         EncryptionAlgorithm=algorithm),
                     "ValidationException",
                     f"Algorithm {algorithm} and key spec RSA_3072 cannot encrypt data larger than {limit} bytes.")


def test_re_encrypt(kms):
    source, dest = create_key(kms), create_key(kms)
    blob = kms.encrypt(KeyId=source["KeyId"], Plaintext=b"moving", EncryptionContext={"a": "1"})["CiphertextBlob"]
    response = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"a": "1"},
                              DestinationKeyId=dest["KeyId"], DestinationEncryptionContext={"b": "2"})
    assert response["SourceKeyId"] == source["Arn"]
    assert response["KeyId"] == dest["Arn"]
    assert response["SourceEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert response["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    new_blob = response["CiphertextBlob"]
    decrypted = kms.decrypt(CiphertextBlob=new_blob, EncryptionContext={"b": "2"})
    assert decrypted["Plaintext"] == b"moving" and decrypted["KeyId"] == dest["Arn"]
    expect_error(lambda: kms.decrypt(CiphertextBlob=new_blob, EncryptionContext={"a": "1"}),
                 "InvalidCiphertextException", NO_MESSAGE)
    # Wrong source context.
    expect_error(lambda: kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=dest["KeyId"]),
                 "InvalidCiphertextException", NO_MESSAGE)
    # With the source key named explicitly, by alias.
    alias = f"alias/{unique('reenc')}"
    kms.create_alias(AliasName=alias, TargetKeyId=source["KeyId"])
    again = kms.re_encrypt(CiphertextBlob=blob, SourceKeyId=alias, SourceEncryptionContext={"a": "1"},
                           DestinationKeyId=dest["Arn"])
    assert kms.decrypt(CiphertextBlob=again["CiphertextBlob"])["Plaintext"] == b"moving"


def test_re_encrypt_wrong_source_key(kms):
    source, other, dest = create_key(kms), create_key(kms), create_key(kms)
    hmac_key = create_key(kms, "HMAC_256")
    blob = kms.encrypt(KeyId=source["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    for wrong in (other, hmac_key):
        expect_error(lambda w=wrong: kms.re_encrypt(CiphertextBlob=blob, SourceKeyId=w["KeyId"],
                                                    DestinationKeyId=dest["KeyId"]),
                     "IncorrectKeyException", INCORRECT_KEY)


def test_re_encrypt_to_signing_key(kms):
    source = create_key(kms)
    signing = create_key(kms, "ECC_NIST_P256")
    blob = kms.encrypt(KeyId=source["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    expect_error(lambda: kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=signing["KeyId"]),
                 "InvalidKeyUsageException",
                 f"{signing['Arn']} key usage is SIGN_VERIFY which is not valid for ReEncryptTo.")


def test_re_encrypt_symmetric_to_rsa(kms):
    source = create_key(kms)
    rsa_key = create_key(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    blob = kms.encrypt(KeyId=source["KeyId"], Plaintext=b"to rsa")["CiphertextBlob"]
    response = kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=rsa_key["KeyId"],
                              DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert response["DestinationEncryptionAlgorithm"] == "RSAES_OAEP_SHA_256"
    assert kms.decrypt(CiphertextBlob=response["CiphertextBlob"], KeyId=rsa_key["KeyId"],
                       EncryptionAlgorithm="RSAES_OAEP_SHA_256")["Plaintext"] == b"to rsa"


@pytest.mark.parametrize("kwargs,length", [
    ({"KeySpec": "AES_256"}, 32),
    ({"KeySpec": "AES_128"}, 16),
    ({"NumberOfBytes": 1}, 1),
    ({"NumberOfBytes": 64}, 64),
    ({"NumberOfBytes": 1024}, 1024),
])
def test_generate_data_key(kms, kwargs, length):
    meta = create_key(kms)
    response = kms.generate_data_key(KeyId=meta["KeyId"], EncryptionContext={"use": "dk"}, **kwargs)
    assert response["KeyId"] == meta["Arn"]
    assert len(response["Plaintext"]) == length
    if "KeyMaterialId" in response:
        assert response["KeyMaterialId"] == meta["CurrentKeyMaterialId"]
    decrypted = kms.decrypt(CiphertextBlob=response["CiphertextBlob"], EncryptionContext={"use": "dk"})
    assert decrypted["Plaintext"] == response["Plaintext"]
    expect_error(lambda: kms.decrypt(CiphertextBlob=response["CiphertextBlob"]), "InvalidCiphertextException",
                 NO_MESSAGE)


def test_generate_data_keys_differ(kms):
    meta = create_key(kms)
    a = kms.generate_data_key(KeyId=meta["KeyId"], KeySpec="AES_256")["Plaintext"]
    b = kms.generate_data_key(KeyId=meta["KeyId"], KeySpec="AES_256")["Plaintext"]
    assert a != b


def test_generate_data_key_spec_or_bytes(server):
    kms = raw_client(server)
    meta = create_key(kms)
    expect_error(lambda: kms.generate_data_key(KeyId=meta["KeyId"]), "ValidationException")
    expect_error(lambda: kms.generate_data_key(KeyId=meta["KeyId"], KeySpec="AES_256", NumberOfBytes=32),
                 "ValidationException")
    expect_error(lambda: kms.generate_data_key_without_plaintext(KeyId=meta["KeyId"]), "ValidationException")
    expect_error(lambda: kms.generate_data_key(KeyId=meta["KeyId"], NumberOfBytes=0), "ValidationException")
    expect_error(lambda: kms.generate_data_key(KeyId=meta["KeyId"], NumberOfBytes=1025), "ValidationException")
    enum = expect_error(lambda: kms.generate_data_key(KeyId=meta["KeyId"], KeySpec="AES_512"), "ValidationException")
    assert "keySpec" in enum["Error"]["Message"]


def test_generate_data_key_with_non_symmetric_keys(kms):
    for spec, usage in (("RSA_2048", "ENCRYPT_DECRYPT"), ("HMAC_256", None), ("ECC_NIST_P256", None)):
        meta = create_key(kms, spec, usage)
        expect_error(lambda m=meta: kms.generate_data_key(KeyId=m["KeyId"], KeySpec="AES_256"),
                     "InvalidKeyUsageException")
        expect_error(lambda m=meta: kms.generate_data_key_without_plaintext(KeyId=m["KeyId"], KeySpec="AES_256"),
                     "InvalidKeyUsageException")
        expect_error(lambda m=meta: kms.generate_data_key_pair(KeyId=m["KeyId"], KeyPairSpec="ECC_NIST_P256"),
                     "InvalidKeyUsageException")


def test_generate_data_key_without_plaintext(kms):
    meta = create_key(kms)
    response = kms.generate_data_key_without_plaintext(KeyId=meta["KeyId"], KeySpec="AES_128",
                                                       EncryptionContext={"k": "v"})
    assert "Plaintext" not in response
    assert response["KeyId"] == meta["Arn"]
    plaintext = kms.decrypt(CiphertextBlob=response["CiphertextBlob"], EncryptionContext={"k": "v"})["Plaintext"]
    assert len(plaintext) == 16
    expect_error(lambda: kms.decrypt(CiphertextBlob=response["CiphertextBlob"], EncryptionContext={"k": "w"}),
                 "InvalidCiphertextException", NO_MESSAGE)
    response = kms.generate_data_key_without_plaintext(KeyId=meta["KeyId"], NumberOfBytes=7)
    assert len(kms.decrypt(CiphertextBlob=response["CiphertextBlob"])["Plaintext"]) == 7


def check_key_pair(spec, public_der, private_der):
    pub = serialization.load_der_public_key(public_der)
    priv = serialization.load_der_private_key(private_der, password=None)
    pub_raw = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert pub_raw == public_der, "PublicKey is DER SubjectPublicKeyInfo"
    assert priv.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()) == private_der, "the private key is PKCS#8 DER"
    assert priv.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo) == public_der
    if spec == "RSA_2048":
        assert isinstance(priv, rsa.RSAPrivateKey) and priv.key_size == 2048
        signature = priv.sign(b"m", padding.PKCS1v15(), hashes.SHA256())
        pub.verify(signature, b"m", padding.PKCS1v15(), hashes.SHA256())
    else:
        assert isinstance(priv, ec.EllipticCurvePrivateKey) and priv.curve.name == "secp256r1"
        signature = priv.sign(b"m", ec.ECDSA(hashes.SHA256()))
        pub.verify(signature, b"m", ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("spec", ["RSA_2048", "ECC_NIST_P256"])
def test_generate_data_key_pair(kms, spec):
    meta = create_key(kms)
    response = kms.generate_data_key_pair(KeyId=meta["KeyId"], KeyPairSpec=spec, EncryptionContext={"pair": spec})
    assert response["KeyId"] == meta["Arn"]
    assert response["KeyPairSpec"] == spec
    check_key_pair(spec, response["PublicKey"], response["PrivateKeyPlaintext"])
    decrypted = kms.decrypt(CiphertextBlob=response["PrivateKeyCiphertextBlob"], EncryptionContext={"pair": spec})
    assert decrypted["Plaintext"] == response["PrivateKeyPlaintext"]
    expect_error(lambda: kms.decrypt(CiphertextBlob=response["PrivateKeyCiphertextBlob"]),
                 "InvalidCiphertextException", NO_MESSAGE)


@pytest.mark.parametrize("spec", ["RSA_2048", "ECC_NIST_P256"])
def test_generate_data_key_pair_without_plaintext(kms, spec):
    meta = create_key(kms)
    response = kms.generate_data_key_pair_without_plaintext(KeyId=meta["Arn"], KeyPairSpec=spec)
    assert "PrivateKeyPlaintext" not in response
    assert response["KeyId"] == meta["Arn"]
    assert response["KeyPairSpec"] == spec
    private = kms.decrypt(CiphertextBlob=response["PrivateKeyCiphertextBlob"])["Plaintext"]
    check_key_pair(spec, response["PublicKey"], private)


def test_generate_data_key_pair_bad_spec(server):
    kms = raw_client(server)
    meta = create_key(kms)
    response = expect_error(lambda: kms.generate_data_key_pair(KeyId=meta["KeyId"], KeyPairSpec="RSA_1024"),
                            "ValidationException")
    assert "keyPairSpec" in response["Error"]["Message"]


@pytest.mark.parametrize("n", [1, 32, 1024])
def test_generate_random(kms, n):
    response = kms.generate_random(NumberOfBytes=n)
    assert len(response["Plaintext"]) == n
    assert set(response) == {"Plaintext", "ResponseMetadata"}


def test_generate_random_is_random(kms):
    assert kms.generate_random(NumberOfBytes=32)["Plaintext"] != kms.generate_random(NumberOfBytes=32)["Plaintext"]


@pytest.mark.parametrize("n,message", [
    (0, "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"),
    (1025, "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: "
           "Member must have value less than or equal to 1024"),
    (None, "NumberOfBytes is required."),
])
def test_generate_random_invalid(server, n, message):
    kms = raw_client(server)
    kwargs = {} if n is None else {"NumberOfBytes": n}
    expect_error(lambda: kms.generate_random(**kwargs), "ValidationException", message)
