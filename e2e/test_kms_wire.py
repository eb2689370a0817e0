"""The awsJson1_1 wire format itself, seen from raw HTTP: error body shape, empty
results, status codes, unknown operations and bad JSON."""

import json
import uuid

from kms_helpers import build_request, create_key, send, sign


def call(server, operation, payload):
    akid, secret = server.credentials()
    return send(server, sign(build_request(server, operation, payload), akid, secret))


def test_error_body_shape(server):
    response = call(server, "DescribeKey", {"KeyId": "fake-key-id"})
    assert response.status == 400
    assert response.headers.get("Content-Type", response.headers.get("content-type")) == "application/x-amz-json-1.1"
    body = response.json()
    assert body["__type"].split("#")[-1] == "NotFoundException"
    assert body["message"] == "Invalid keyId 'fake-key-id'"


def test_message_less_error_body(server):
    kms = server.client("kms")
    meta = create_key(kms)
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x", EncryptionContext={"a": "b"})["CiphertextBlob"]
    import base64
    response = call(server, "Decrypt", {"CiphertextBlob": base64.b64encode(blob).decode()})
    assert response.status == 400
    body = response.json()
    assert body["__type"].split("#")[-1] == "InvalidCiphertextException"
    assert "message" not in body and "Message" not in body


def test_empty_result_is_empty_object(server):
    kms = server.client("kms")
    meta = create_key(kms)
    response = call(server, "UpdateKeyDescription", {"KeyId": meta["KeyId"], "Description": "wire"})
    assert response.status == 200
    # AWS sends an empty JSON object (or nothing); `null` is not an output structure and
    # SDKs that decode the body strictly into a struct reject it.
    assert response.body.strip() in (b"", b"{}"), response.body
    assert response.headers.get("x-amzn-RequestId") or response.headers.get("x-amzn-requestid")


def test_timestamps_are_epoch_seconds(server):
    response = call(server, "CreateKey", {"Description": "epoch"})
    assert response.status == 200
    created = response.json()["KeyMetadata"]["CreationDate"]
    assert isinstance(created, (int, float)) and created > 1.6e9


def test_unknown_operation(server):
    response = call(server, "NoSuchOperation", {})
    assert response.status == 400
    assert response.json()["__type"].split("#")[-1] in {"UnknownOperationException", "InvalidAction"}


def test_malformed_json_body(server):
    akid, secret = server.credentials()
    request = build_request(server, "ListKeys", {})
    request.data = b"{not json"
    response = send(server, sign(request, akid, secret))
    assert response.status == 400
    assert response.json()["__type"].split("#")[-1] in {"SerializationException", "ValidationException"}


def test_a_body_that_is_not_an_object_is_refused(server):
    # (serde would read a structure from an array; AWS wants an object.)
    before = len(server.client("kms").list_keys(Limit=1000)["Keys"])
    for body in (b"[]", b'[null, "description"]', b'"CreateKey"', b"7"):
        akid, secret = server.credentials()
        request = build_request(server, "CreateKey", {})
        request.data = body
        response = send(server, sign(request, akid, secret))
        assert response.status == 400, body
        assert response.json()["__type"].split("#")[-1] == "SerializationException"
    assert len(server.client("kms").list_keys(Limit=1000)["Keys"]) == before


def test_wrong_type_in_json(server):
    response = call(server, "GenerateRandom", {"NumberOfBytes": "many"})
    assert response.status == 400
    assert response.json()["__type"].split("#")[-1] in {"SerializationException", "ValidationException"}


def test_missing_required_member(server):
    response = call(server, "DescribeKey", {})
    assert response.status == 400
    body = response.json()
    assert body["__type"].split("#")[-1] == "ValidationException"


def test_not_found_for_missing_key_raw(server):
    missing = str(uuid.uuid4())
    response = call(server, "Encrypt", {"KeyId": missing, "Plaintext": "eA=="})
    assert response.status == 400
    body = response.json()
    assert body["__type"].split("#")[-1] == "NotFoundException"
    assert body["message"].startswith("Key 'arn:aws:kms:us-east-1:") and body["message"].endswith(
        f":key/{missing}' does not exist")
    assert json.dumps(body)
