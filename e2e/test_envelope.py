"""`mlguard encrypt` / `mlguard decrypt`: envelope encryption of files under a data key
from a real KMS endpoint (this server, found through the usual AWS settings), over
regular files (read and written positionally, frames on every core) and streams
(standard input and output, pipes), with tampering, truncation and key state refused."""

import os
import subprocess

import pytest

from conftest import binary
from kms_helpers import create_key


def run(server, *args, stdin=None, env=None):
    """Runs `mlguard ARGS --endpoint-url ...` with the server's credentials."""
    return subprocess.run([binary(), *args, "--endpoint-url", server.endpoint], input=stdin,
                          capture_output=True, env=server.client_env(env), timeout=120)


def ok(proc):
    assert proc.returncode == 0, (proc.returncode, proc.stderr.decode(errors="replace"))
    return proc


def data_of(size):
    return bytes((i * 131 + i // 7) & 0xFF for i in range(size))


@pytest.fixture()
def key(kms):
    return create_key(kms)


@pytest.mark.parametrize("size,frame", [(0, 16), (1, 16), (15, 16), (16, 16), (17, 16), (1000, 16),
                                        (100_000, 4096), (3 << 20, 1 << 20), ((3 << 20) + 7, 1 << 20)])
def test_file_round_trip(server, key, tmp_path, size, frame):
    plain, sealed, back = tmp_path / "plain", tmp_path / "sealed", tmp_path / "back"
    data = data_of(size)
    plain.write_bytes(data)
    ok(run(server, "encrypt", "--key-id", key["KeyId"], "--frame-size", str(frame), "--context", "dataset=train",
           str(plain), str(sealed)))
    assert sealed.read_bytes()[:6] == b"MLGENV"
    assert size < 32 or data[:32] not in sealed.read_bytes()
    if os.name == "posix":
        assert sealed.stat().st_mode & 0o777 == 0o600
    ok(run(server, "decrypt", str(sealed), str(back)))
    assert back.read_bytes() == data


def test_streams_and_files_interoperate(server, key, tmp_path):
    data = data_of(200_000)
    # stdin → stdout
    sealed = ok(run(server, "encrypt", "--key-id", key["KeyId"], "--frame-size", "4096", "-", "-", stdin=data)).stdout
    assert ok(run(server, "decrypt", "-", "-", stdin=sealed)).stdout == data
    # stream-encrypted, file-decrypted
    (tmp_path / "s1").write_bytes(sealed)
    ok(run(server, "decrypt", str(tmp_path / "s1"), str(tmp_path / "p1")))
    assert (tmp_path / "p1").read_bytes() == data
    # file-encrypted, stream-decrypted
    (tmp_path / "plain").write_bytes(data)
    ok(run(server, "encrypt", "--key-id", key["KeyId"], "--frame-size", "4096", str(tmp_path / "plain"),
           str(tmp_path / "s2")))
    assert ok(run(server, "decrypt", "-", "-", stdin=(tmp_path / "s2").read_bytes())).stdout == data
    # file → stdout (positional reads, ordered writes)
    out = ok(run(server, "encrypt", "--key-id", key["KeyId"], "--frame-size", "4096", str(tmp_path / "plain"), "-"))
    assert ok(run(server, "decrypt", "-", "-", stdin=out.stdout)).stdout == data


def test_encrypt_by_alias_and_context(server, kms, key, tmp_path):
    kms.create_alias(AliasName="alias/envelope-e2e-" + key["KeyId"][:8], TargetKeyId=key["KeyId"])
    (tmp_path / "plain").write_bytes(b"training data")
    ok(run(server, "encrypt", "--key-id", "alias/envelope-e2e-" + key["KeyId"][:8], "--context", "a=1",
           "--context", "b=2", str(tmp_path / "plain"), str(tmp_path / "sealed")))
    proc = ok(run(server, "decrypt", str(tmp_path / "sealed"), str(tmp_path / "back")))
    assert key["Arn"] in proc.stderr.decode()
    assert (tmp_path / "back").read_bytes() == b"training data"


def test_tampering_and_truncation_are_refused(server, key, tmp_path):
    data = data_of(50_000)
    (tmp_path / "plain").write_bytes(data)
    ok(run(server, "encrypt", "--key-id", key["KeyId"], "--frame-size", "4096", str(tmp_path / "plain"),
           str(tmp_path / "sealed")))
    sealed = (tmp_path / "sealed").read_bytes()
    cases = {
        "flipped header byte": sealed[:10] + bytes([sealed[10] ^ 1]) + sealed[11:],
        "flipped body byte": sealed[:-100] + bytes([sealed[-100] ^ 1]) + sealed[-99:],
        "truncated": sealed[:-1],
        "final frame missing": sealed[:len(sealed) - 5000],
        "extended": sealed + b"\0",
    }
    for name, bad in cases.items():
        (tmp_path / "bad").write_bytes(bad)
        for source, stdin in ((str(tmp_path / "bad"), None), ("-", bad)):
            target = tmp_path / "out"
            proc = run(server, "decrypt", source, str(target), stdin=stdin)
            assert proc.returncode != 0, (name, source)
            # A failed decryption leaves no output file behind.
            assert not target.exists(), (name, source)


def test_failure_keeps_the_previous_output(server, key, tmp_path):
    (tmp_path / "plain").write_bytes(b"new")
    (tmp_path / "out").write_bytes(b"previous contents")
    proc = run(server, "encrypt", "--key-id", "alias/does-not-exist", str(tmp_path / "plain"), str(tmp_path / "out"))
    assert proc.returncode != 0
    assert b"NotFoundException" in proc.stderr
    assert (tmp_path / "out").read_bytes() == b"previous contents"


def test_disabled_key_refuses_decryption(server, kms, key, tmp_path):
    (tmp_path / "plain").write_bytes(b"x" * 1000)
    ok(run(server, "encrypt", "--key-id", key["KeyId"], str(tmp_path / "plain"), str(tmp_path / "sealed")))
    kms.disable_key(KeyId=key["KeyId"])
    proc = run(server, "decrypt", str(tmp_path / "sealed"), str(tmp_path / "back"))
    assert proc.returncode != 0
    assert b"DisabledException" in proc.stderr
    assert not (tmp_path / "back").exists()
    kms.enable_key(KeyId=key["KeyId"])
    ok(run(server, "decrypt", str(tmp_path / "sealed"), str(tmp_path / "back")))


def test_output_to_a_device_is_written_not_replaced(server, key, tmp_path):
    (tmp_path / "plain").write_bytes(data_of(10_000))
    ok(run(server, "encrypt", "--key-id", key["KeyId"], str(tmp_path / "plain"), os.devnull))
    assert os.path.exists(os.devnull) and not os.path.isfile(os.devnull)


def test_missing_input_is_a_clear_error(server, key, tmp_path):
    proc = run(server, "encrypt", "--key-id", key["KeyId"], str(tmp_path / "nope"), str(tmp_path / "out"))
    assert proc.returncode != 0
    assert str(tmp_path / "nope") in proc.stderr.decode()
    (tmp_path / "junk").write_bytes(b"not an envelope at all")
    proc = run(server, "decrypt", str(tmp_path / "junk"), str(tmp_path / "out"))
    assert proc.returncode != 0
    assert b"not an mlguard envelope" in proc.stderr
