"""What the benchmark drivers share: where the release binaries are, free ports, and a
fresh `mlguard serve` with a client for it."""

import os
import pathlib
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

import boto3

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = ROOT / "target" / "release"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(url, context=None, timeout=60):
    """Waits until `url` answers at all (an HTTP error is an answer)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2, context=context):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


class Mlguard:
    """A fresh `mlguard serve` on 127.0.0.1 over `transport` (http or https), with the
    environment of a client using its root credentials and a boto3 KMS client."""

    def __init__(self, data_dir, transport="http"):
        port = free_port()
        cmd = [str(TARGET / "mlguard"), "serve", "--data-dir", str(data_dir), "--listen", f"127.0.0.1:{port}"]
        if transport == "http":
            cmd.append("--http")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env={**os.environ, "RUST_LOG": "warn"})
        self.endpoint = f"{transport}://127.0.0.1:{port}"
        ca = pathlib.Path(data_dir) / "tls" / "ca.pem"
        context = None
        if transport == "https":
            for _ in range(100):
                if ca.exists():
                    break
                time.sleep(0.1)
            context = ssl.create_default_context(cafile=str(ca))
        wait(f"{self.endpoint}/_mlguard/health", context)
        credentials = pathlib.Path(data_dir) / "credentials"
        self.env = {**os.environ, "AWS_SHARED_CREDENTIALS_FILE": str(credentials), "AWS_PROFILE": "mlguard",
                    "AWS_CONFIG_FILE": os.devnull, "AWS_REGION": "us-east-1"}
        self.env.pop("AWS_CA_BUNDLE", None)
        if transport == "https":
            self.env["AWS_CA_BUNDLE"] = str(ca)
        akid, secret = (line.split(" = ", 1)[1] for line in credentials.read_text().splitlines()
                        if line.startswith(("aws_access_key_id", "aws_secret_access_key")))
        self._boto = {"aws_access_key_id": akid, "aws_secret_access_key": secret,
                      "verify": str(ca) if transport == "https" else False}
        self.kms = boto3.client("kms", endpoint_url=self.endpoint, region_name="us-east-1", **self._boto)

    def boto_kwargs(self):
        """Credentials and TLS verification for a boto3 client of this server."""
        return dict(self._boto)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()


def start_moto():
    """moto's server (`python -m moto.server`) on a free port: (process, endpoint,
    the environment of a client with moto's test credentials)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    wait(f"{endpoint}/moto-api/")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_CONFIG_FILE": os.devnull}
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_CA_BUNDLE", None)
    return proc, endpoint, env
