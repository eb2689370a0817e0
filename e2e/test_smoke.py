"""The seed document's KMS snippet, unchanged, against a real server."""


def test_seed_kms_snippet(kms):
    # From ../shared/seed/aws-ml-security.md, "AWS KMS" › "Common Operations".
    response = kms.create_key(
        Description='SageMaker training data encryption key',
        KeyUsage='ENCRYPT_DECRYPT'
    )
    key_id = response['KeyMetadata']['KeyId']

    ciphertext = kms.encrypt(
        KeyId=key_id,
        Plaintext=b'sensitive data'
    )

    plaintext = kms.decrypt(
        CiphertextBlob=ciphertext['CiphertextBlob']
    )

    data_key = kms.generate_data_key(
        KeyId=key_id,
        KeySpec='AES_256'
    )

    assert plaintext['Plaintext'] == b'sensitive data'
    assert plaintext['KeyId'] == response['KeyMetadata']['Arn']
    assert len(data_key['Plaintext']) == 32
    assert kms.decrypt(CiphertextBlob=data_key['CiphertextBlob'])['Plaintext'] == data_key['Plaintext']


def test_cli_create_and_describe(server):
    created = server.cli("kms", "create-key", "--description", "from the CLI")
    key_id = created["KeyMetadata"]["KeyId"]
    described = server.cli("kms", "describe-key", "--key-id", key_id)
    assert described["KeyMetadata"]["Description"] == "from the CLI"
    assert described["KeyMetadata"]["KeyState"] == "Enabled"
