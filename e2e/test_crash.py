"""Crash safety: kill -9 the server at random moments while clients create keys and
encrypt; everything acknowledged before a kill must be there after the restart."""

import random
import threading
import time

import botocore.config
import botocore.exceptions
import urllib3.exceptions

from conftest import Server
from kms_helpers import run_cli

ROUNDS = 20


class Worker(threading.Thread):
    """Creates keys and encrypts under them until the server dies; records what the
    server acknowledged (the call returned success)."""

    def __init__(self, server, index, keys, ciphertexts, lock):
        super().__init__(daemon=True)
        self.kms = server.client("kms", connect_timeout=2, read_timeout=10)
        self.index = index
        self.keys = keys
        self.ciphertexts = ciphertexts
        self.lock = lock
        self.stop = threading.Event()

    def run(self):
        n = 0
        mine = []
        while not self.stop.is_set():
            try:
                if not mine or n % 3 == 0:
                    key_id = self.kms.create_key(Description=f"crash round {self.index}")["KeyMetadata"]["KeyId"]
                    with self.lock:
                        self.keys.add(key_id)
                    mine.append(key_id)
                key_id = mine[n % len(mine)]
                plaintext = f"round {self.index} item {n}".encode()
                context = {"n": str(n)}
                blob = self.kms.encrypt(KeyId=key_id, Plaintext=plaintext, EncryptionContext=context)[
                    "CiphertextBlob"]
                with self.lock:
                    self.ciphertexts.append((key_id, blob, plaintext, context))
                n += 1
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError,
                    urllib3.exceptions.HTTPError, OSError):
                return


def start(data_dir, port):
    return Server(data_dir, http=True, port=port)


def test_acknowledged_writes_survive_kill_9(workdir):
    rng = random.Random(20261126)
    data_dir = workdir / f"crash-{time.time_ns()}"
    keys, ciphertexts, lock = set(), [], threading.Lock()
    started = time.time()
    port = None
    for round_ in range(ROUNDS):
        server = start(data_dir, port)
        port = server.port
        workers = [Worker(server, round_, keys, ciphertexts, lock) for _ in range(2)]
        for w in workers:
            w.start()
        time.sleep(rng.uniform(0.05, 0.6))
        server.kill9()
        for w in workers:
            w.stop.set()
        for w in workers:
            w.join(timeout=15)
            assert not w.is_alive()
    assert keys and ciphertexts, "the workers got some calls through"

    server = start(data_dir, port)
    try:
        kms = server.client("kms")
        listed = set()
        kwargs = {"Limit": 1000}
        while True:
            page = kms.list_keys(**kwargs)
            listed |= {k["KeyId"] for k in page["Keys"]}
            if not page["Truncated"]:
                break
            kwargs["Marker"] = page["NextMarker"]
        missing = keys - listed
        assert not missing, f"{len(missing)} acknowledged keys lost, e.g. {sorted(missing)[:3]}"
        for key_id in keys:
            assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
        for key_id, blob, plaintext, context in ciphertexts:
            decrypted = kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)
            assert decrypted["Plaintext"] == plaintext
            assert decrypted["KeyId"].endswith(key_id)
        # The server still takes writes.
        new = kms.create_key()["KeyMetadata"]["KeyId"]
        assert kms.decrypt(CiphertextBlob=kms.encrypt(KeyId=new, Plaintext=b"after")["CiphertextBlob"])[
            "Plaintext"] == b"after"
    finally:
        server.stop()
    assert time.time() - started < 90, "the crash test should stay fast"


def test_audit_log_validates_after_kill_9(workdir):
    rng = random.Random(7)
    data_dir = workdir / f"crash-audit-{time.time_ns()}"
    keys, ciphertexts, lock = set(), [], threading.Lock()
    port = None
    for round_ in range(5):
        server = start(data_dir, port)
        port = server.port
        worker = Worker(server, round_, keys, ciphertexts, lock)
        worker.start()
        time.sleep(rng.uniform(0.3, 1.5))
        server.kill9()
        worker.stop.set()
        worker.join(timeout=15)
    server = start(data_dir, port)
    server.client("kms").list_keys()
    server.stop()
    result = run_cli("audit", "validate", str(data_dir))
    assert result.returncode == 0, result.stdout + result.stderr
