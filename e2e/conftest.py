"""End-to-end fixtures: a real `mlguard serve` process on 127.0.0.1, and the real
clients (boto3, the aws CLI) pointed at it.

The binary is `$MLGUARD_BIN`, else `target/debug/mlguard` (scripts/test builds it).
Each server gets its own temporary data directory and a free port, and is stopped
by its PID when the fixture ends.
"""

import json
import os
import pathlib
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
import botocore.config
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
REGION = "us-east-1"


def binary():
    path = os.environ.get("MLGUARD_BIN") or str(ROOT / "target" / "debug" / "mlguard")
    if not pathlib.Path(path).exists():
        pytest.exit(f"{path} does not exist: build it with `cargo build -p mlguard`", returncode=2)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running `mlguard serve`."""

    def __init__(self, data_dir, http=False, emulate=False, extra=(), env=None, port=None, max_files=None):
        self.data_dir = pathlib.Path(data_dir)
        self.http = http
        self.emulate = emulate
        self.port = port or free_port()
        self.scheme = "http" if http else "https"
        self.endpoint = f"{self.scheme}://127.0.0.1:{self.port}"
        args = [binary(), "serve", "--data-dir", str(self.data_dir), "--listen", f"127.0.0.1:{self.port}",
                "--region", REGION, "--scheduler-interval", "1"]
        if http:
            args.append("--http")
        if emulate:
            args.append("--emulate")
        args.extend(extra)
        self.log_path = self.data_dir.parent / f"server-{self.port}.log"
        self.log = open(self.log_path, "ab")
        full_env = dict(os.environ)
        full_env.pop("MLGUARD_ROOT_KEY", None)
        full_env.update(env or {})
        def limit_files():
            resource.setrlimit(resource.RLIMIT_NOFILE, (max_files, max_files))

        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=full_env,
                                     preexec_fn=limit_files if max_files else None)
        self.wait_ready()

    @property
    def ca_bundle(self):
        return None if self.http else str(self.data_dir / "tls" / "ca.pem")

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        context = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mlguard exited with {self.proc.returncode}:\n{self.log_path.read_text()}")
            try:
                if not self.http and context is None and (self.data_dir / "tls" / "ca.pem").exists():
                    context = ssl.create_default_context(cafile=str(self.data_dir / "tls" / "ca.pem"))
                if self.http or context is not None:
                    with urllib.request.urlopen(f"{self.endpoint}/_mlguard/health", timeout=2, context=context) as r:
                        if r.status == 200:
                            return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"mlguard did not become ready:\n{self.log_path.read_text()}")

    def credentials(self):
        """(access key id, secret) of the root user, read from DIR/credentials."""
        text = (self.data_dir / "credentials").read_text()
        values = dict(
            line.split(" = ", 1) for line in text.splitlines() if " = " in line and not line.startswith("#")
        )
        return values["aws_access_key_id"], values["aws_secret_access_key"]

    def client(self, service="kms", access_key=None, secret=None, region=REGION, **config):
        akid, sk = self.credentials()
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=access_key or akid,
            aws_secret_access_key=secret or sk,
            verify=self.ca_bundle if not self.http else False,
            config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}, **config),
        )

    def client_env(self, env=None):
        """The environment of a command-line client using the server's root
        credentials through the shared credentials file, as a user would."""
        full_env = dict(os.environ)
        full_env.update({
            "AWS_SHARED_CREDENTIALS_FILE": str(self.data_dir / "credentials"),
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_PROFILE": "mlguard",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        })
        full_env.pop("AWS_ACCESS_KEY_ID", None)
        full_env.pop("AWS_SECRET_ACCESS_KEY", None)
        full_env.pop("AWS_CA_BUNDLE", None)
        if self.ca_bundle:
            full_env["AWS_CA_BUNDLE"] = self.ca_bundle
        full_env.update(env or {})
        return full_env

    def cli(self, *args, check=True, env=None):
        """Runs the aws CLI against the server; returns parsed JSON output (or None)."""
        full_env = self.client_env(env)
        cmd = [sys.executable, "-m", "awscli", "--endpoint-url", self.endpoint, "--output", "json", *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
        if proc.returncode != 0:
            return proc
        return json.loads(proc.stdout) if proc.stdout.strip() else None

    def post(self, path):
        """POST to an internal control path (emulation only)."""
        context = None if self.http else ssl.create_default_context(cafile=self.ca_bundle)
        req = urllib.request.Request(f"{self.endpoint}{path}", method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=10, context=context) as r:
            return r.status

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()


@pytest.fixture(scope="session")
def workdir():
    d = tempfile.mkdtemp(prefix="mlguard-e2e-")
    yield pathlib.Path(d)
    if not os.environ.get("MLGUARD_KEEP"):
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session", params=["https", "http"])
def server(request, workdir):
    """One server per transport for the whole session (tests create their own keys)."""
    s = Server(workdir / f"data-{request.param}", http=request.param == "http")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def https_server(workdir):
    s = Server(workdir / "data-https-only")
    yield s
    s.stop()


@pytest.fixture()
def fresh_server(workdir):
    """A server of its own, for tests that restart, kill or exhaust it."""
    servers = []

    def make(**kwargs):
        name = f"data-fresh-{len(list(workdir.iterdir()))}-{time.time_ns()}"
        s = Server(workdir / name, **kwargs)
        servers.append(s)
        return s

    yield make
    for s in servers:
        if s.proc.poll() is None:
            s.stop()


@pytest.fixture()
def kms(server):
    return server.client("kms")
