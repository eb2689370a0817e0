"""The aws CLI (v1) against the server, unchanged."""

import base64
import uuid

from kms_helpers import unique


def test_cli_create_encrypt_decrypt(server, tmp_path):
    created = server.cli("kms", "create-key", "--description", "cli key", "--tags", "TagKey=via,TagValue=cli")
    meta = created["KeyMetadata"]
    assert meta["KeyState"] == "Enabled" and meta["Description"] == "cli key"
    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"\x00\x01binary secret\xff")
    encrypted = server.cli("kms", "encrypt", "--key-id", meta["KeyId"], "--plaintext", f"fileb://{secret}",
                           "--encryption-context", "purpose=cli")
    assert encrypted["KeyId"] == meta["Arn"]
    blob = tmp_path / "blob.bin"
    blob.write_bytes(base64.b64decode(encrypted["CiphertextBlob"]))
    decrypted = server.cli("kms", "decrypt", "--ciphertext-blob", f"fileb://{blob}",
                           "--encryption-context", "purpose=cli")
    assert base64.b64decode(decrypted["Plaintext"]) == secret.read_bytes()
    assert decrypted["KeyId"] == meta["Arn"]
    tags = server.cli("kms", "list-resource-tags", "--key-id", meta["KeyId"])
    assert tags["Tags"] == [{"TagKey": "via", "TagValue": "cli"}]


def test_cli_aliases(server):
    meta = server.cli("kms", "create-key")["KeyMetadata"]
    alias = f"alias/{unique('cli')}"
    assert server.cli("kms", "create-alias", "--alias-name", alias, "--target-key-id", meta["KeyId"]) is None
    listed = server.cli("kms", "list-aliases", "--key-id", meta["KeyId"])
    assert [a["AliasName"] for a in listed["Aliases"]] == [alias]
    assert listed["Aliases"][0]["TargetKeyId"] == meta["KeyId"]
    # The CLI paginates list-aliases by itself; the alias is in the full listing.
    everything = server.cli("kms", "list-aliases", "--page-size", "2")
    assert alias in [a["AliasName"] for a in everything["Aliases"]]
    described = server.cli("kms", "describe-key", "--key-id", alias)
    assert described["KeyMetadata"]["KeyId"] == meta["KeyId"]


def test_cli_schedule_key_deletion(server):
    meta = server.cli("kms", "create-key")["KeyMetadata"]
    scheduled = server.cli("kms", "schedule-key-deletion", "--key-id", meta["KeyId"], "--pending-window-in-days", "7")
    assert scheduled["KeyId"] == meta["Arn"]
    assert scheduled["KeyState"] == "PendingDeletion"
    assert scheduled["PendingWindowInDays"] == 7
    cancelled = server.cli("kms", "cancel-key-deletion", "--key-id", meta["KeyId"])
    assert cancelled["KeyId"] == meta["Arn"]
    assert server.cli("kms", "describe-key", "--key-id", meta["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"


def test_cli_generate_data_key_and_random(server):
    meta = server.cli("kms", "create-key")["KeyMetadata"]
    data_key = server.cli("kms", "generate-data-key", "--key-id", meta["KeyId"], "--key-spec", "AES_256")
    assert len(base64.b64decode(data_key["Plaintext"])) == 32
    random = server.cli("kms", "generate-random", "--number-of-bytes", "48")
    assert len(base64.b64decode(random["Plaintext"])) == 48


def test_cli_error_shows_the_error_code(server):
    missing = str(uuid.uuid4())
    proc = server.cli("kms", "describe-key", "--key-id", missing, check=False)
    assert proc.returncode in (254, 255)  # v2 uses 254, v1 255
    assert "An error occurred (NotFoundException) when calling the DescribeKey operation: Key 'arn:aws:kms:" in \
        proc.stderr
    assert f":key/{missing}' does not exist" in proc.stderr


def test_cli_validation_error(server):
    proc = server.cli("kms", "create-alias", "--alias-name", "no-prefix", "--target-key-id",
                      server.cli("kms", "create-key")["KeyMetadata"]["KeyId"], check=False)
    assert proc.returncode in (254, 255)  # v2 uses 254, v1 255
    assert "(ValidationException)" in proc.stderr
    assert 'Alias must start with the prefix "alias/".' in proc.stderr
