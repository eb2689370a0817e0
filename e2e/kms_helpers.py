"""Shared helpers for the KMS end-to-end tests.

Expected values come from /tmp/research/kms-behaviour.md (what AWS KMS does); exact
error messages are asserted only where AWS's answer was recorded.
"""

import datetime
import json
import re
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.exceptions

from conftest import REGION, binary

NO_MESSAGE = object()
"""`message=NO_MESSAGE`: AWS answers this error with no message at all."""

KEY_ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
HEX64_RE = re.compile(r"^[0-9a-f]{64}$")

USAGES = {
    "SYMMETRIC_DEFAULT": "ENCRYPT_DECRYPT",
    "HMAC_224": "GENERATE_VERIFY_MAC",
    "HMAC_256": "GENERATE_VERIFY_MAC",
    "HMAC_384": "GENERATE_VERIFY_MAC",
    "HMAC_512": "GENERATE_VERIFY_MAC",
    "ECC_NIST_P256": "SIGN_VERIFY",
    "ECC_NIST_P384": "SIGN_VERIFY",
    "ECC_NIST_P521": "SIGN_VERIFY",
    "ECC_SECG_P256K1": "SIGN_VERIFY",
}

RSA_SIGNING = [
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
]
ECC_SIGNING = {
    "ECC_NIST_P256": "ECDSA_SHA_256",
    "ECC_SECG_P256K1": "ECDSA_SHA_256",
    "ECC_NIST_P384": "ECDSA_SHA_384",
    "ECC_NIST_P521": "ECDSA_SHA_512",
}

DISABLED = "{arn} is disabled."
PENDING_DELETION = "{arn} is pending deletion."
INCORRECT_KEY = "The key ID in the request does not identify a CMK that can perform this operation."
DRY_RUN = "The request would have succeeded, but the DryRun option is set."


def _brief(response):
    brief = {"status": response["ResponseMetadata"]["HTTPStatusCode"], "Error": response["Error"]}
    if "message" in response:
        brief["message"] = response["message"]
    return brief


def expect_error(call, code, message=None, status=400):
    """Runs `call()` and asserts it fails with `code` and HTTP `status`.

    `message`: None = not checked (AWS's text is not recorded), a string = exact text,
    NO_MESSAGE = AWS sends no message (botocore shows "" and no top-level `message`).
    Returns the botocore error response.
    """
    try:
        result = call()
    except botocore.exceptions.ClientError as e:
        response = e.response
    else:
        if isinstance(result, dict):
            result = {k: v for k, v in result.items() if k != "ResponseMetadata"}
        raise AssertionError(f"expected {code} ({message!r}), but the call succeeded: {result!r}"[:1500])
    got = _brief(response)
    want = f"expected {status} {code}" + ("" if message is None else
                                           " with no message" if message is NO_MESSAGE else f" {message!r}")
    assert response["Error"]["Code"] == code, f"{want}; got {got}"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status, f"{want}; got {got}"
    if message is NO_MESSAGE:
        assert response["Error"].get("Message", "") == "" and "message" not in response, f"{want}; got {got}"
    elif message is not None:
        assert response["Error"]["Message"] == message, f"{want}; got {got}"
    return response


def expect_any_error(call, codes, status=400):
    """Like expect_error where AWS's exact code is not known: one of `codes`."""
    try:
        result = call()
    except botocore.exceptions.ClientError as e:
        response = e.response
    else:
        if isinstance(result, dict):
            result = {k: v for k, v in result.items() if k != "ResponseMetadata"}
        raise AssertionError(f"expected one of {sorted(codes)}, but the call succeeded: {result!r}"[:1500])
    got = _brief(response)
    assert response["Error"]["Code"] in codes, f"expected one of {sorted(codes)}; got {got}"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status, f"expected {status}; got {got}"
    return response


def enum_error(call, value, member, expected_values):
    """The Coral enum-constraint ValidationException. AWS's set order is internal and its
    set has grown since the recording, so the prefix is exact and the set must contain
    the recorded values."""
    response = expect_error(call, "ValidationException")
    message = response["Error"]["Message"]
    prefix = (f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
              "constraint: Member must satisfy enum value set: [")
    assert message.startswith(prefix), message
    assert message.endswith("]"), message
    listed = set(message[len(prefix):-1].split(", "))
    assert set(expected_values) <= listed, (message, expected_values)
    return message


def raw_client(server, **config):
    """A KMS client without botocore's client-side validation (to reach the server's)."""
    return server.client("kms", parameter_validation=False, **config)


def create_key(kms, spec="SYMMETRIC_DEFAULT", usage=None, **kwargs):
    """Creates a key, returns its KeyMetadata."""
    args = dict(kwargs)
    if spec != "SYMMETRIC_DEFAULT":
        args["KeySpec"] = spec
        args["KeyUsage"] = usage or USAGES[spec]
    elif usage:
        args["KeyUsage"] = usage
    return kms.create_key(**args)["KeyMetadata"]


def unique(prefix="e2e"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def wait_for(predicate, timeout=10.0, interval=0.1):
    """Polls `predicate` until it returns something truthy (AWS does some things async)."""
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            return value
        time.sleep(interval)


def public_key(der):
    from cryptography.hazmat.primitives.serialization import load_der_public_key
    return load_der_public_key(der)


# ---------------------------------------------------------------------------
# Raw HTTP: requests built and signed by hand (botocore's SigV4Auth), sent with urllib.


def ssl_context(server):
    if server.http:
        return None
    return ssl.create_default_context(cafile=server.ca_bundle)


class RawResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body) if self.body else None

    def __repr__(self):
        return f"<{self.status} {self.body[:500]!r}>"


def build_request(server, operation, payload, headers=None):
    body = json.dumps(payload).encode()
    all_headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": f"TrentService.{operation}",
    }
    all_headers.update(headers or {})
    return botocore.awsrequest.AWSRequest(method="POST", url=server.endpoint + "/", data=body,
                                          headers=all_headers)


def sign(request, access_key, secret, when=None, region=REGION, service="kms"):
    """Signs `request` in place with SigV4 (at `when`, a naive UTC datetime, if given)."""
    credentials = botocore.credentials.Credentials(access_key, secret)
    signer = botocore.auth.SigV4Auth(credentials, service, region)
    if when is None:
        signer.add_auth(request)
    else:
        from unittest import mock
        with mock.patch("botocore.auth.get_current_datetime", return_value=when):
            signer.add_auth(request)
    return request


def send(server, request, body=None):
    """Sends a (signed) AWSRequest; `body` replaces the signed body (tampering)."""
    data = request.body if body is None else body
    if isinstance(data, str):
        data = data.encode()
    headers = {k: v for k, v in request.headers.items()}
    if "Content-Length" in headers:
        headers["Content-Length"] = str(len(data or b""))
    req = urllib.request.Request(request.url, data=data or b"", method=request.method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30, context=ssl_context(server)) as r:
            return RawResponse(r.status, dict(r.headers), r.read())
    except urllib.error.HTTPError as e:
        return RawResponse(e.code, dict(e.headers), e.read())


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def run_cli(*args, check=None):
    """Runs the mlguard binary; returns the CompletedProcess."""
    proc = subprocess.run([binary(), *args], capture_output=True, text=True, timeout=120)
    if check is not None:
        assert proc.returncode == check, (proc.returncode, proc.stdout, proc.stderr)
    return proc
