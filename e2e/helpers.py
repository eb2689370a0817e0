"""Helpers the end-to-end tests share (beside kms_helpers.py's)."""

import json

import botocore.exceptions
import pytest

from kms_helpers import unique, wait_for  # noqa: F401 - shared from here too


def error_of(call, *args, **kwargs):
    """The (code, message) of the ClientError that `call` must raise."""
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"].get("Message", "")


def audit_text(server):
    """Everything the server's audit log holds so far, its files in order."""
    return "".join(p.read_text() for p in sorted((server.data_dir / "audit").glob("events-*.jsonl")))


def audit_events(server):
    """The events of the server's audit log so far, in order."""
    return [json.loads(line)["event"] for line in audit_text(server).splitlines()]


def user_client(server, policy, service="secretsmanager"):
    """An IAM user with an access key (and `policy` inline, when given): its
    client for `service` and its ARN."""
    iam = server.client("iam")
    name = unique(f"{service}-user")
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    arn = iam.get_user(UserName=name)["User"]["Arn"]
    return server.client(service, access_key=key["AccessKeyId"], secret=key["SecretAccessKey"]), arn
