"""Issue 14: pam-mysql-authd on saslauthd's socket protocol.

The daemon is started once for this file (module fixture `authd`) from a private
directory with a private pam.d (the pam_mysql.so lines the module reads), and asked
by the real client, `testsaslauthd -f SOCKET`, and byte by byte by
authdharness.SaslauthdClient.  A second daemon (`authd_apart`, join_realm = no)
shows the option that keeps login and realm apart.

Covered: right / wrong / unknown user; login@realm joined as `saslauthd -r` does and
kept apart with join_realm = no; the 5th field (client address) in the same write, and
a 4-field request answered at once (never waiting for a 5th), one request per connection
(EOF after the reply); the service field selects the configuration; fields over 256 bytes;
empty login and password; garbage, half requests and disconnects (the daemon stays up
and serves the next client, also while a half request is held open); the account check
(statcolumn); a service without a pam.d file and invalid service names refused with a
log line; the database stopped or frozen gives the empty reply (temporary failure, not
NO, logged as `auth unavailable:`, never as `auth failure:`); a second daemon never
unlinks the live socket; a stale socket file is replaced; SIGHUP re-reads a changed
service file without dropping a connected client; the failure log line and no secret
in the log.
"""

from __future__ import annotations

import os
import re
import socket
import struct
import subprocess
import time

import pytest

import authdharness as ah
from authdharness import AuthDaemon, counted

REALM = "example.org"
PW = "Secret-1"
WRONG = "secret-1"  # differs in case only


def sha512_crypt(password: str) -> str:
    return subprocess.run(["openssl", "passwd", "-6", "-salt", "pmtestSalt", password],
                          check=True, capture_output=True, text=True).stdout.strip()


def seed(db) -> None:
    db.add_user(f"alice@{REALM}", sha512_crypt(PW))
    db.add_user(f"dave@{REALM}", "pw-dave")       # keyed by user@domain, plain text
    db.add_user("carol", "pw-carol")               # keyed by the bare login
    db.add_user(f"long@{REALM}", "p" * 256)
    db.add_user(f"longer@{REALM}", "p" * 257)
    db.add_user(f"expired@{REALM}", sha512_crypt(PW), status=1)


def services(mariadb) -> dict[str, list[str]]:
    fast = ah.fast_timeouts()
    return {
        "smtp": ah.service_lines(mariadb, crypt=1, **fast),
        "plain": ah.service_lines(mariadb, crypt=0, **fast),
        "stat": ah.service_lines(mariadb, crypt=1, statcolumn="status", **fast),
    }


@pytest.fixture(scope="module")
def authd(mariadb):
    d = AuthDaemon(services(mariadb))
    # A file next to the pam.d directory: "../outside" must never reach it.
    (d.base / "outside").write_text("\n".join(ah.service_lines(mariadb, crypt=0)) + "\n")
    d.start()
    try:
        yield d
    finally:
        rc = d.stop()
        text = d.log_text()
        d.destroy()
        assert rc == 0, f"pam-mysql-authd exited {rc} on SIGTERM:\n{text[-4000:]}"


@pytest.fixture(scope="module")
def authd_apart(mariadb):
    d = AuthDaemon(services(mariadb), config="[daemon]\njoin_realm = no\n", dovecot=False)
    d.start()
    try:
        yield d
    finally:
        d.destroy()


@pytest.fixture
def users(db):
    seed(db)
    return db


# --------------------------------------------------------------------------
# testsaslauthd, the real client
# --------------------------------------------------------------------------


def test_testsaslauthd_right_wrong_unknown(authd, users):
    mark = authd.log_mark()
    r = authd.testsaslauthd("alice", PW, realm=REALM)
    assert r.ok is True and r.line == '0: OK "Success."', r.describe()
    r = authd.testsaslauthd(f"alice@{REALM}", PW)  # user@domain as one login
    assert r.ok is True, r.describe()
    r = authd.testsaslauthd("alice", WRONG, realm=REALM)
    assert r.ok is False and r.line == '0: NO "authentication failed"', r.describe()
    r = authd.testsaslauthd("nobody", PW, realm=REALM)
    assert r.ok is False, r.describe()
    r = authd.testsaslauthd("alice", PW, realm="example.com")  # right login, other domain
    assert r.ok is False, r.describe()
    r = authd.testsaslauthd("alice", PW)  # the bare login is not in the table
    assert r.ok is False, r.describe()
    # The failure lines: one per failure, user as the backend saw it, service, protocol.
    log = authd.log_since(mark)
    fails = ah.failure_lines(log)
    assert len(fails) == 4, log
    assert fails[0]["user"] == f"alice@{REALM}", fails
    assert fails[1]["user"] == f"nobody@{REALM}", fails
    assert all(f.get("service") == "smtp" for f in fails), fails
    assert all(f.get("protocol") == "saslauthd" for f in fails), fails
    assert all(f.get("reason") for f in fails), fails
    assert PW not in log and WRONG not in log, log


def test_realm_joined_like_saslauthd_r(authd, users):
    # Default: login@realm reaches the lookup whole (saslauthd -r).
    assert authd.testsaslauthd("dave", "pw-dave", service="plain", realm=REALM).ok is True
    assert authd.testsaslauthd("carol", "pw-carol", service="plain", realm=REALM).ok is False
    assert authd.testsaslauthd("carol", "pw-carol", service="plain").ok is True


def test_join_realm_no_keeps_login_and_realm_apart(authd_apart, users):
    d = authd_apart
    assert d.testsaslauthd("dave", "pw-dave", service="plain", realm=REALM).ok is False
    assert d.testsaslauthd("carol", "pw-carol", service="plain", realm=REALM).ok is True
    # A login that carries its domain itself is passed unchanged.
    assert d.testsaslauthd(f"dave@{REALM}", "pw-dave", service="plain").ok is True


def test_service_field_selects_the_configuration(authd, users):
    # crypt=1 for smtp, crypt=0 for plain: the same row answers differently.
    h = sha512_crypt(PW)
    assert authd.sasl("alice", PW, "smtp", REALM).kind == "OK"
    assert authd.sasl("alice", PW, "plain", REALM).kind == "NO"
    assert authd.sasl("alice", h, "plain", REALM).kind == "OK"
    assert authd.sasl("alice", h, "smtp", REALM).kind == "NO"


def test_account_check_after_the_password(authd, users):
    # statcolumn: status 1 is an expired account (pam_acct_mgmt under saslauthd).
    assert authd.sasl("alice", PW, "stat", REALM).kind == "OK"
    r = authd.sasl("expired", PW, "stat", REALM)
    assert r.kind == "NO", r
    assert authd.sasl("expired", PW, "smtp", REALM).kind == "OK"  # no statcolumn there


# --------------------------------------------------------------------------
# The wire, byte by byte
# --------------------------------------------------------------------------


def test_reply_bytes_and_the_fifth_field(authd, users):
    c = ah.SaslauthdClient(authd.mux)
    r = c.request(["alice", PW, "smtp", REALM])
    assert r.raw == b"\x00\x02OK", r
    r = c.request(["alice", WRONG, "smtp", REALM])
    assert r.kind == "NO" and r.raw[2:4] == b"NO", r
    assert struct.unpack(">H", r.raw[:2])[0] == len(r.raw) - 2, r
    # The 5th field of unreleased libsasl (client "addr;port"), in the same write.
    r = c.request(["alice", PW, "smtp", REALM, "198.51.100.7;54321"])
    assert r.raw == b"\x00\x02OK", r
    r = c.request(["alice", WRONG, "smtp", REALM, "198.51.100.7;54321"])
    assert r.kind == "NO", r


def test_four_fields_answered_without_waiting_for_a_fifth(authd, users):
    # libsasl 2.1.28 sends four fields and waits for the reply with no timeout,
    # the connection still open for writing: the answer must come at once.
    with ah.SaslauthdClient(authd.mux).connect() as s:
        t0 = time.monotonic()
        s.sendall(counted("alice", PW, "smtp", REALM))
        r = ah.read_sasl_reply(s, 5, t0)
        # One request per connection: after the reply the daemon shuts its side down (EOF).
        s.settimeout(3)
        tail = s.recv(10)
    assert r.kind == "OK" and r.elapsed < 2.0, r
    assert tail == b"", tail
    # The same in two writes (fields split over packets): still one answer.
    with ah.SaslauthdClient(authd.mux).connect() as s:
        data = counted("alice", PW, "smtp", REALM)
        s.sendall(data[:7])
        time.sleep(0.2)
        t0 = time.monotonic()
        s.sendall(data[7:])
        r = ah.read_sasl_reply(s, 5, t0)
    assert r.kind == "OK" and r.elapsed < 2.0, r


def test_fields_over_256_bytes(authd, users):
    # saslauthd's MAX_REQ_LEN: 256 bytes pass, 257 are refused (NO), never truncated to a match.
    assert authd.sasl("long", "p" * 256, "plain", REALM).kind == "OK"
    r = authd.sasl("longer", "p" * 257, "plain", REALM)
    assert r.kind == "NO", r
    r = authd.sasl("a" * 300, PW, "smtp", REALM)
    assert r.kind == "NO", r
    r = authd.sasl("alice", PW, "s" * 257, REALM)
    assert r.kind == "NO", r
    r = authd.sasl("alice", PW, "smtp", "r" * 257)
    assert r.kind == "NO", r
    # A 64 KiB field (the largest count) and then nothing: refused or closed, never OK.
    r = ah.SaslauthdClient(authd.mux).exchange(struct.pack(">H", 0xFFFF) + b"x" * 0xFFFF, timeout=10)
    assert r.kind in ("NO", "CLOSED"), r
    assert authd.sasl("alice", PW, "smtp", REALM).kind == "OK"


def test_empty_login_or_password(authd, users):
    r = authd.sasl("", PW, "smtp", REALM)
    assert r.kind == "NO", r
    r = authd.sasl("alice", "", "smtp", REALM)
    assert r.kind == "NO", r
    r = authd.sasl("", "", "", "")
    assert r.kind == "NO", r
    assert authd.testsaslauthd("alice", "", realm=REALM).ok is not True


@pytest.mark.parametrize("label, data", [
    ("garbage", b"\xde\xad\xbe\xef" * 16),
    ("one byte", b"\x00"),
    ("count without data", b"\x00\x10"),
    ("half a login", counted("alice")[:4]),
    ("two fields", counted("alice", PW)),
    ("three fields", counted("alice", PW, "smtp")),
    ("nothing", b""),
])
def test_half_requests_and_disconnects_leave_the_daemon_serving(authd, users, label, data):
    # The client writes part of a request and hangs up: no reply that says OK,
    # the daemon stays up and answers the next client.
    with ah.SaslauthdClient(authd.mux).connect() as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        r = ah.read_sasl_reply(s, 10)
    assert r.kind in ("CLOSED", "NO", "EMPTY"), (label, r)
    assert authd.running, authd.describe()
    assert authd.sasl("alice", PW, "smtp", REALM).kind == "OK", label


def test_a_held_half_request_does_not_block_others(authd, users):
    held = []
    try:
        for _ in range(20):
            s = ah.SaslauthdClient(authd.mux).connect()
            s.sendall(counted("alice", PW)[:5])
            held.append(s)
        for _ in range(3):
            r = authd.sasl("alice", PW, "smtp", REALM, timeout=5)
            assert r.kind == "OK" and r.elapsed < 3, r
    finally:
        ah.close_all(held)
    assert authd.running


def test_service_without_pam_file_is_refused_with_a_log_line(authd, users):
    mark = authd.log_mark()
    r = authd.sasl("alice", PW, "no-such-service", REALM)
    assert r.kind == "NO", r
    assert authd.wait_log(r"no-such-service", mark), authd.log_since(mark)
    r = authd.testsaslauthd("alice", PW, service="no-such-service", realm=REALM)
    assert r.ok is False, r.describe()


@pytest.mark.parametrize("service", ["../outside", "..", "a/b", "/etc/passwd", ".", "smtp/../plain"])
def test_invalid_service_names_are_refused(authd, users, service):
    mark = authd.log_mark()
    # `outside` (next to the pam.d directory) holds crypt=0 lines: a daemon that followed
    # the path would accept the stored hash as a password.
    r = authd.sasl("alice", sha512_crypt(PW), service, REALM)
    assert r.kind == "NO", r
    assert authd.sasl("alice", PW, service, REALM).kind == "NO"
    assert authd.wait_log(r"service", mark), authd.log_since(mark)
    assert authd.running


def test_database_stopped_is_a_temporary_failure(authd, users):
    assert authd.sasl("alice", PW, "smtp", REALM).kind == "OK"  # warm pooled connection
    mark = authd.log_mark()
    with users.stopped():
        r = authd.sasl("alice", PW, "smtp", REALM, timeout=12)
        assert r.raw == b"\x00\x00", r  # the empty reply: libsasl's SASL_FAIL -> Postfix 454
        assert r.elapsed < 8, r
        r = authd.sasl("alice", WRONG, "smtp", REALM, timeout=12)
        assert r.kind == "EMPTY", r  # not a NO: the password was never checked
        t = authd.testsaslauthd("alice", PW, realm=REALM)
        assert t.ok is None, t.describe()
    log = authd.log_since(mark)
    # Logged as unavailable, never as the `auth failure:` line fail2ban counts.
    assert ah.failure_lines(log) == [], log
    assert re.search(rf'auth unavailable: user="alice@{re.escape(REALM)}" service=smtp protocol=saslauthd', log), log
    assert PW not in log and WRONG not in log
    assert authd.sasl("alice", PW, "smtp", REALM).kind == "OK"  # back


def test_database_frozen_is_a_temporary_failure_within_8s(authd, users):
    assert authd.sasl("alice", PW, "smtp", REALM).kind == "OK"
    with ah.frozen(users):
        r = authd.sasl("alice", PW, "smtp", REALM, timeout=15)
    assert r.kind == "EMPTY" and r.elapsed < 8.5, r
    for _ in range(20):  # the server thaws; a connection cut by the timeout is replaced
        r = authd.sasl("alice", PW, "smtp", REALM)
        if r.kind == "OK":
            break
        time.sleep(0.25)
    assert r.kind == "OK", r


def test_second_daemon_does_not_unlink_a_live_socket(authd, mariadb, users):
    ino = os.stat(authd.mux).st_ino
    second = AuthDaemon(services(mariadb), mux=authd.mux, dovecot=False)
    try:
        rc = second.run_until_exit(timeout=10)
        assert rc is not None and rc > 0, second.describe()
        text = second.log_text() + second.output_text()
        assert str(authd.mux) in text or "listen" in text.lower(), text
    finally:
        second.destroy()
    assert os.stat(authd.mux).st_ino == ino
    assert authd.sasl("alice", PW, "smtp", REALM).kind == "OK"


def test_stale_socket_file_is_replaced(mariadb, users, tmp_path):
    # A socket file nobody listens on (a crashed saslauthd): the daemon takes the path.
    stale = tmp_path / "mux"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(stale))
    s.close()
    d = AuthDaemon(services(mariadb), mux=stale, dovecot=False)
    try:
        d.start()
        assert d.sasl("alice", PW, "smtp", REALM).kind == "OK"
    finally:
        d.destroy()


def test_sighup_rereads_service_files_without_dropping_connections(authd, mariadb, users):
    # A service first asked after start-up is read then; a changed file counts after SIGHUP,
    # and a Dovecot client connected across the reload keeps its connection.
    authd.write_service("reload", ah.service_lines(mariadb, crypt=0, **ah.fast_timeouts()))
    assert authd.sasl("dave", "pw-dave", "reload", REALM).kind == "OK"
    authd.write_service("reload", ah.service_lines(mariadb, crypt=1, **ah.fast_timeouts()))
    with authd.dovecot() as c:
        c.handshake()
        mark = authd.log_mark()
        authd.reload()
        assert authd.wait_log(r"(?i)reload|SIGHUP", mark), authd.log_since(mark)
        assert authd.sasl("dave", "pw-dave", "reload", REALM).kind == "NO"  # crypt=1 now
        assert authd.sasl("alice", PW, "reload", REALM).kind == "OK"
        r = c.plain(1, f"alice@{REALM}", PW, service="reload")
        assert r is not None and r.command == "OK", r
    # The file removed: after SIGHUP the service is refused.
    (authd.pam_dir / "reload").unlink()
    authd.reload()
    assert authd.sasl("alice", PW, "reload", REALM).kind == "NO"


def test_log_holds_no_secret(authd, mariadb):
    # Last of the file: everything this daemon logged, without any password or the DB password.
    text = authd.log_text()
    for secret in (PW, WRONG, "pw-dave", "pw-carol", mariadb.db_password, "p" * 256):
        assert secret not in text, f"secret in the daemon's log: {secret[:3]}…"
    assert authd.running



def test_no_core_file_can_carry_the_passwords(mariadb):
    """The daemon holds every service's database password: its RLIMIT_CORE is 0 (soft and
    hard) even when started with core files allowed (this test raises its own soft limit to
    the hard one first, and the daemon inherits it)."""
    import resource
    from pathlib import Path
    saved = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (saved[1], saved[1]))
    d = AuthDaemon(services(mariadb))
    d.inherit_core_limit = True
    d.run_as_group = 65534
    try:
        d.start()
    finally:
        resource.setrlimit(resource.RLIMIT_CORE, saved)
    try:
        assert saved[1] != 0, "the test needs a hard core limit above 0 to show anything"
        limits = Path(f"/proc/{d.proc.pid}/limits").read_text()
        line = next(l for l in limits.splitlines() if l.startswith("Max core file size"))
        assert line.split()[4:6] == ["0", "0"], line
        # Not dumpable (no ptrace or /proc/PID/mem by the same uid): /proc/PID's files then
        # belong to root:root instead of the process's own uid and gid.
        status = os.stat(f"/proc/{d.proc.pid}/status")
        assert (status.st_uid, status.st_gid) == (0, 0), (status.st_uid, status.st_gid)
    finally:
        d.stop()
        text = d.log_text()
        d.destroy()
    assert "core dumps not disabled" not in text
