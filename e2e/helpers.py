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
