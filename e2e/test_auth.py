"""SigV4 authentication: requests built and signed by hand with botocore's signer and
sent with urllib, plus boto3 with bad credentials."""

import datetime
import json
import re
import ssl
import urllib.error
import urllib.request
from unittest import mock

import botocore.auth
import botocore.credentials
import pytest

from kms_helpers import build_request, create_key, expect_error, send, sign, utcnow

STAMP = r"(\d{8}T\d{6}Z)"
# KMS allows 5 minutes of skew: "Signature expired: <signed> is now earlier than <now-5min>
# (<now> - 5 min.)" [3P: aws-sdk-js-v3#6400 and DataDog/datadog-lambda-extension#683, both KMS].
EXPIRED_RE = re.compile(rf"^Signature expired: {STAMP} is now earlier than {STAMP} \({STAMP} - 5 min\.\)$")
NOT_YET_RE = re.compile(rf"^Signature not yet current: {STAMP} is still later than {STAMP} \({STAMP} \+ 5 min\.\)$")


def parse_stamp(text):
    return datetime.datetime.strptime(text, "%Y%m%dT%H%M%SZ")


def error_type(response):
    return (response.json() or {}).get("__type", "").split("#")[-1]


class JsonQueryAuth(botocore.auth.SigV4QueryAuth):
    """Query-string (presigned) SigV4 that leaves the JSON body in place (botocore's
    version moves the body into the query string, which suits only form-encoded APIs)."""

    def _modify_request_before_signing(self, request):
        data = request.data
        request.data = ""
        super()._modify_request_before_signing(request)
        request.data = data


def presign(request, access_key, secret, expires=300, when=None):
    signer = JsonQueryAuth(botocore.credentials.Credentials(access_key, secret), "kms", "us-east-1", expires=expires)
    if when is None:
        signer.add_auth(request)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=when):
            signer.add_auth(request)
    return request


def test_signed_request_succeeds(server):
    akid, secret = server.credentials()
    response = send(server, sign(build_request(server, "ListKeys", {"Limit": 1}), akid, secret))
    assert response.status == 200, response
    assert "Keys" in response.json()


def test_missing_authentication(server):
    context = None if server.http else ssl.create_default_context(cafile=server.ca_bundle)
    request = urllib.request.Request(server.endpoint + "/", data=b"{}", method="POST", headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.ListKeys"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10, context=context)
    assert info.value.code == 400
    body = json.loads(info.value.read())
    assert body["__type"].split("#")[-1] == "MissingAuthenticationTokenException"


def test_wrong_secret(server):
    akid, secret = server.credentials()
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    response = send(server, sign(build_request(server, "ListKeys", {}), akid, wrong))
    assert response.status == 400, response
    assert error_type(response) == "InvalidSignatureException"
    kms = server.client("kms", secret=wrong)
    expect_error(lambda: kms.list_keys(), "InvalidSignatureException")


def test_unknown_access_key(server):
    _, secret = server.credentials()
    response = send(server, sign(build_request(server, "ListKeys", {}), "AKIAIOSFODNN7EXAMPLE", secret))
    assert response.status == 400, response
    assert error_type(response) == "UnrecognizedClientException"
    kms = server.client("kms", access_key="AKIAIOSFODNN7EXAMPLE")
    expect_error(lambda: kms.list_keys(), "UnrecognizedClientException")


def test_expired_signature(server):
    akid, secret = server.credentials()
    signed_at = utcnow().replace(microsecond=0) - datetime.timedelta(minutes=20)
    response = send(server, sign(build_request(server, "ListKeys", {}), akid, secret, when=signed_at))
    assert response.status == 400, response
    assert error_type(response) == "InvalidSignatureException"
    message = response.json()["message"]
    match = EXPIRED_RE.match(message)
    assert match, message
    signed, earliest, now = (parse_stamp(g) for g in match.groups())
    assert signed == signed_at
    assert earliest == now - datetime.timedelta(minutes=5)
    assert abs((now - utcnow()).total_seconds()) < 60


def test_signature_ten_minutes_old_is_expired(server):
    # Outside KMS's 5-minute window.
    akid, secret = server.credentials()
    signed_at = utcnow() - datetime.timedelta(minutes=10)
    response = send(server, sign(build_request(server, "ListKeys", {}), akid, secret, when=signed_at))
    assert response.status == 400, response
    assert error_type(response) == "InvalidSignatureException"


def test_signature_from_the_future(server):
    akid, secret = server.credentials()
    signed_at = utcnow().replace(microsecond=0) + datetime.timedelta(minutes=20)
    response = send(server, sign(build_request(server, "ListKeys", {}), akid, secret, when=signed_at))
    assert response.status == 400, response
    assert error_type(response) == "InvalidSignatureException"
    message = response.json()["message"]
    match = NOT_YET_RE.match(message)
    assert match, message
    signed, latest, now = (parse_stamp(g) for g in match.groups())
    assert signed == signed_at
    assert latest == now + datetime.timedelta(minutes=5)


def test_small_skew_is_accepted(server):
    akid, secret = server.credentials()
    for minutes in (-3, 3):
        response = send(server, sign(build_request(server, "ListKeys", {}), akid, secret,
                                     when=utcnow() + datetime.timedelta(minutes=minutes)))
        assert response.status == 200, (minutes, response)


def test_expired_signature_with_boto3(server):
    kms = server.client("kms")
    with mock.patch("botocore.auth.get_current_datetime",
                    return_value=utcnow() - datetime.timedelta(minutes=20)):
        response = expect_error(lambda: kms.list_keys(), "InvalidSignatureException")
    assert response["Error"]["Message"].startswith("Signature expired: ")


def test_body_tampered_after_signing(server):
    akid, secret = server.credentials()
    meta = create_key(server.client("kms"))
    request = sign(build_request(server, "Encrypt", {"KeyId": meta["KeyId"], "Plaintext": "YQ=="}), akid, secret)
    tampered = json.dumps({"KeyId": meta["KeyId"], "Plaintext": "Yg=="}).encode()
    response = send(server, request, body=tampered)
    assert response.status == 400, response
    assert error_type(response) == "InvalidSignatureException"


def test_signed_header_changed_after_signing(server):
    akid, secret = server.credentials()
    request = sign(build_request(server, "ListKeys", {}), akid, secret)
    request.headers.replace_header("X-Amz-Target", "TrentService.CreateKey")
    before = len(server.client("kms").list_keys(Limit=1000)["Keys"])
    response = send(server, request)
    assert response.status == 400, response
    assert error_type(response) == "InvalidSignatureException"
    assert len(server.client("kms").list_keys(Limit=1000)["Keys"]) == before


def test_unsigned_amz_header_added_after_signing(server):
    akid, secret = server.credentials()
    request = sign(build_request(server, "ListKeys", {}), akid, secret)
    request.headers["X-Amz-Meta-Injected"] = "evil"
    response = send(server, request)
    assert 400 <= response.status < 500, response
    assert error_type(response) in {"InvalidSignatureException", "AccessDeniedException",
                                    "IncompleteSignatureException"}


def test_signature_scoped_to_another_service(server):
    # (One endpoint serves every region, as with moto/LocalStack: the scope's region
    # selects the region, so only the service is checked here.)
    akid, secret = server.credentials()
    response = send(server, sign(build_request(server, "ListKeys", {}), akid, secret, service="secretsmanager"))
    # mlguard routes by the scope's service (one endpoint for all services); any refusal will do.
    assert 400 <= response.status < 500, response


@pytest.mark.parametrize("region", ["a:b", "", "x" * 40, "EU-WEST-1", "zz<x>"])
def test_a_scope_region_that_cannot_be_a_region_is_refused(server, region):
    # Another real region is served as its own; a scope that no ARN can carry is not.
    akid, secret = server.credentials()
    response = send(server, sign(build_request(server, "CreateKey", {}), akid, secret, region=region))
    assert response.status == 400, response
    assert error_type(response) == "InvalidSignatureException"
    assert response.json()["message"].startswith("Credential should be scoped to a valid region")
    other = send(server, sign(build_request(server, "ListKeys", {}), akid, secret, region="eu-west-1"))
    assert other.status == 200, other


def test_malformed_authorization_header(server):
    request = build_request(server, "ListKeys", {}, headers={
        "Authorization": "AWS4-HMAC-SHA256 Credential=garbage", "X-Amz-Date": utcnow().strftime("%Y%m%dT%H%M%SZ")})
    response = send(server, request)
    assert response.status == 400, response
    assert error_type(response) in {"IncompleteSignatureException", "InvalidSignatureException"}


def test_presigned_query_string_request(server):
    akid, secret = server.credentials()
    response = send(server, presign(build_request(server, "ListKeys", {"Limit": 1}), akid, secret))
    assert response.status == 200, response
    assert "Keys" in response.json()


def test_presigned_request_with_wrong_secret_or_expired(server):
    akid, secret = server.credentials()
    response = send(server, presign(build_request(server, "ListKeys", {}), akid, "x" * 40))
    assert response.status == 400, response
    assert error_type(response) == "InvalidSignatureException"
    old = utcnow() - datetime.timedelta(minutes=30)
    response = send(server, presign(build_request(server, "ListKeys", {}), akid, secret, expires=60, when=old))
    assert 400 <= response.status < 500, response
    assert error_type(response) in {"InvalidSignatureException", "AccessDeniedException"}


def test_emulation_accepts_any_secret_and_skewed_time(fresh_server):
    server = fresh_server(emulate=True)
    akid, secret = server.credentials()
    response = send(server, sign(build_request(server, "ListKeys", {}), akid, "not-the-secret"))
    assert response.status == 200, response
    response = send(server, sign(build_request(server, "ListKeys", {}), akid, secret,
                                 when=utcnow() - datetime.timedelta(minutes=20)))
    assert response.status == 200, response
    response = send(server, sign(build_request(server, "ListKeys", {}), "AKIAANYTHINGATALL000", "whatever",
                                 when=utcnow() + datetime.timedelta(hours=3)))
    assert response.status == 200, response
    kms = server.client("kms", access_key="AKIAEMULATEDCALLER01", secret="anything")
    with mock.patch("botocore.auth.get_current_datetime", return_value=utcnow() - datetime.timedelta(hours=1)):
        assert kms.create_key()["KeyMetadata"]["AWSAccountId"] == "123456789012"


def test_emulation_still_needs_a_signature(fresh_server):
    server = fresh_server(emulate=True, http=True)
    request = urllib.request.Request(server.endpoint + "/", data=b"{}", method="POST", headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.ListKeys"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 400
    assert json.loads(info.value.read())["__type"].split("#")[-1] == "MissingAuthenticationTokenException"
