"""A counter's credential and the server's identity (issue 11, items 5, 6, 10, 11).

- The token never travels as SQL text: the role's password is a SCRAM verifier.
- A rotated API key is replaced in place (`central set-api-key`), not by joining anew.
- With no OS keyring, the credential survives a restart in a file only its user reads.
- TLS to a host that is not this machine is required and the server verified against
  the CA given at join (`--ca-file` / `central set-ca`); an unknown CA is a clear error.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import psycopg
import pytest
from keyring.backends.fail import Keyring as NoKeyring

from shopdesk.errors import ValidationError
from shopdesk.sync import central
from shopdesk.sync.wire.transport import Forbidden, ProtocolError
from tests.conftest import fresh_root
from tests.sync.conftest import Counters, server_rows, sync_all
from tests.sync.fault_kit import terminal_login
from tests.sync.rest_server import RestServer, rest_server
from tests.sync.supabase_like import SupabaseLike, cluster_dir, debian_bin
from tests.sync.test_rest import API_KEY, rest_counter
from tests.sync.test_roundtrip import register


@pytest.fixture
def rest(central_url: str) -> Iterator[RestServer]:
    with rest_server(central_url, API_KEY) as server:
        yield server


def test_the_token_reaches_the_server_only_as_a_scram_verifier(
        counters: Counters, supabase: SupabaseLike) -> None:
    """The role's stored password is a SCRAM-SHA-256 verifier made on the counter, so
    no statement the server logs carries the token; the token still logs in."""
    a = counters.new("a")
    _, role, token = terminal_login(a)
    with supabase.superuser() as su:
        stored = su.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s",
                            (role,)).fetchone()[0]
        su.execute("ALTER SYSTEM SET log_statement = 'all'")
        su.execute("SELECT pg_reload_conf()")
    try:
        b = counters.new("b")
        _, b_role, b_token = terminal_login(b)
    finally:
        with supabase.superuser() as su:
            su.execute("ALTER SYSTEM RESET log_statement")
            su.execute("SELECT pg_reload_conf()")
    assert stored.startswith("SCRAM-SHA-256$") and token not in stored
    log = (supabase.root / "log").read_text(errors="replace")
    assert f'CREATE ROLE "{b_role}"' in log and b_token not in log
    psycopg.connect(counters.url, user=role, password=token).close()


def test_a_rotated_api_key_is_replaced_in_place(counters: Counters, rest: RestServer) -> None:
    """The project's key is rotated: sync stops with a Forbidden that names the command;
    set_api_key refuses a wrong key (tried first) and keeps the right one; sync goes on
    as the same counter (no new join, nothing re-queued)."""
    a = rest_counter(counters, rest, "a")
    register(a, "Ann", "07400 123456")
    a.sync.run_once()
    device = a.sync.engine.state()["device_id"]
    rest.api_key = "rotated-key"
    register(a, "Bob", "07400 123457")
    with pytest.raises(Forbidden, match="set-api-key"):
        a.sync.run_once()

    with pytest.raises(ValidationError, match="key"):
        a.sync.set_api_key("still-the-old-one")
    assert a.sync.set_api_key("rotated-key") == ""
    a.sync.run_once()

    assert a.sync.engine.state()["device_id"] == device
    assert a.sync.status().pending == 0 and a.sync.status().last_error is None
    assert len(server_rows(counters.url, "customers")) == 2


def test_without_a_keyring_the_credential_survives_a_restart_in_a_private_file(
        counters: Counters) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        a = counters.new("a", join=False)
        result = a.sync.join(counters.url, "Main St", "a")
        assert result.kept == "file" and result.token is None and result.secret_file
        secret = Path(result.secret_file)
        if os.name == "posix":
            assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        register(a, "Ann", "07400 123456")
        root = a.root
        a.close()
        counters.shops.remove(a)
        again = counters.open(root)
        again.sync.run_once()
        assert len(server_rows(counters.url, "customers")) == 1
    finally:
        keyring.set_keyring(previous)


def test_set_api_key_and_set_ca_from_the_command_line(
        counters: Counters, rest: RestServer, template_db: Path, tmp_path: Path) -> None:
    """In a fresh process (no OS keyring here: the file fallback), the verbs give one-line
    answers and one-line refusals naming the field."""
    root = fresh_root(template_db, tmp_path / "cli")
    env = {**os.environ, "SHOPDESK_HOME": str(root), "PYTHON_KEYRING_BACKEND":
           "keyring.backends.fail.Keyring"}

    def cli(*args: str, code: int = 0, stdin: str = "") -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "shopdesk", *args], input=stdin,
                              capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == code, done.stderr
        return done

    cli("staff", "add", "owner", "--name", "Olive", "--secret-stdin", stdin="owner-pass-1\n")
    joined = cli("central", "join", rest.url, "--transport", "rest", "--api-key", API_KEY,
                 "--admin-url", counters.url, "--store", "Main St", "--name", "cli")
    assert "readable by you only" in joined.stdout
    rest.api_key = "new-key"
    assert "set-api-key" in cli("sync", code=5).stderr
    assert cli("central", "set-api-key", "--key-stdin", stdin="new-key\n").stdout.startswith(
        "the API key was replaced")
    cli("sync")
    bad = cli("central", "set-ca", str(tmp_path / "nothing.pem"), code=1)
    assert bad.stderr.startswith("shopdesk: error: file: ") and "PEM" in bad.stderr


# -- TLS ----------------------------------------------------------------------------

def _certificates(host: str) -> dict[str, bytes]:
    """A CA and a server certificate for `host`, made here (no network)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("Test Root CA")).issuer_name(
        name("Test Root CA")).public_key(ca_key.public_key()).serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=9))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(name(host)).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=9))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return {"ca": ca.public_bytes(pem), "cert": cert.public_bytes(pem),
            "key": key.private_bytes(pem, serialization.PrivateFormat.TraditionalOpenSSL,
                                     serialization.NoEncryption())}


HOST = "db.shop.test"  # not this machine's name: TLS is required and verified


@pytest.fixture(scope="module")
def tls_cluster() -> Iterator[tuple[SupabaseLike, bytes]]:
    pems = _certificates(HOST)
    with cluster_dir("tls") as root:
        cluster = SupabaseLike(root, debian_bin(), tls=(pems["cert"], pems["key"])).start()
        yield cluster, pems["ca"]
        cluster.stop()


def test_a_remote_server_is_verified_against_the_ca_given_at_join(
        tls_cluster: tuple[SupabaseLike, bytes], template_db: Path, tmp_path: Path,
        memory_keyring: Any) -> None:
    """The server's name is not local, so the counter requires TLS with verify-full:
    with the CA given at join it syncs; a counter without it refuses with a message
    naming `central set-ca`, and syncs once given the CA."""
    cluster, ca = tls_cluster
    direct = cluster.create_database(f"shopdesk_{uuid.uuid4().hex[:10]}")
    central.setup(direct)
    remote = direct.replace("127.0.0.1", HOST).replace("sslmode=disable", "hostaddr=127.0.0.1")
    ca_file = tmp_path / "server-ca.pem"
    ca_file.write_bytes(ca)
    counters = Counters(template_db, tmp_path, remote)
    try:
        a = counters.new("a", join=False)
        a.sync.set_ca_file(ca_file)
        a.sync.join(remote, "Main St", "a")
        register(a, "Ann", "07400 123456")
        a.sync.run_once()
        b = counters.new("b")
        with pytest.raises(ProtocolError, match="set-ca"):
            b.sync.run_once()
        b.sync.set_ca_file(ca_file)
        sync_all(a, b)
        assert [h.name for h in b.search("Ann Nowak")] == ["Ann Nowak"]
        with psycopg.connect(direct) as admin:
            ssl = admin.execute("SELECT count(*) FILTER (WHERE ssl) FROM pg_stat_ssl s JOIN "
                                "pg_stat_activity a USING (pid) WHERE a.usename LIKE "
                                "'shopdesk_t_%'").fetchone()[0]
        assert ssl >= 1
    finally:
        counters.close()
