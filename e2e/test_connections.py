"""Connections a client opens and never uses must not take the server down: out of
file descriptors it waits and retries (no busy loop, no flood of log lines), and
serves again once they close; a body that never arrives is answered, in the
protocol's shape."""

import socket
import time
import urllib.error
import urllib.request

import botocore.exceptions
import pytest


def healthy(server, timeout=5):
    with urllib.request.urlopen(f"{server.endpoint}/_mlguard/health", timeout=timeout) as r:
        return r.status == 200


def test_running_out_of_descriptors_is_survived_quietly(fresh_server):
    server = fresh_server(http=True, max_files=96)
    log_before = server.log_path.stat().st_size
    idle = []
    try:
        # More idle connections than the server has descriptors for.
        for _ in range(150):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            idle.append(s)
        time.sleep(3)
        # Three seconds at the limit: a few log lines, not a flood, and no spin.
        cpu = server_cpu_seconds(server.proc.pid)
        time.sleep(2)
        assert server_cpu_seconds(server.proc.pid) - cpu < 1.0
        assert server.log_path.stat().st_size - log_before < 20_000
    finally:
        for s in idle:
            s.close()
    deadline = time.time() + 30
    while True:
        try:
            if healthy(server):
                break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    assert "Keys" in server.client("kms").list_keys()
    assert "Too many open files" in server.log_path.read_text(errors="replace")


def server_cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in ticks of 1/100 s


@pytest.mark.parametrize("content_type,shape", [
    ("application/x-www-form-urlencoded; charset=utf-8", b"<ErrorResponse"),
    ("application/x-amz-json-1.1", b'"__type"'),
])
def test_an_oversized_body_gets_a_413_in_the_protocol_shape(fresh_server, content_type, shape):
    server = fresh_server(http=True)
    headers = {"Content-Type": content_type}
    if "json" in content_type:
        headers["X-Amz-Target"] = "TrentService.ListKeys"
    request = urllib.request.Request(server.endpoint + "/", data=b"a" * (9 << 20), headers=headers, method="POST")
    try:
        urllib.request.urlopen(request, timeout=30)
        raise AssertionError("a 9 MiB body was accepted")
    except urllib.error.HTTPError as e:
        assert e.code == 413
        assert shape in e.read()


def test_boto3_reads_the_query_413(fresh_server):
    server = fresh_server(http=True)
    iam = server.client("iam")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_user(UserName="big", Path="/" + "a" * (9 << 20) + "/")
    assert e.value.response["Error"]["Code"] == "RequestEntityTooLarge"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
