"""Issue 14: pam-mysql-authd on Dovecot's auth protocol, as Postfix
(xsasl_dovecot_server.c) and `doveadm auth test -a SOCKET` speak it.

One daemon for the file (`authd`), one with require_secured = yes and
ok_user = database (`authd_strict`), both from private directories; the clients are
the real doveadm (with an empty `-c` configuration: `auth test -a` needs neither
/etc/dovecot nor a running Dovecot) and authdharness.DovecotClient.

Covered: doveadm right / wrong / unknown (doveadm's PLAIN carries authzid = user);
the handshake in the order Postfix accepts (VERSION first, MECH before SPID, CUID,
COOKIE, DONE; PLAIN and LOGIN flagged plaintext); PLAIN with and without the initial
response; LOGIN with its prompts; authzid rules; several requests in flight on one
connection; the user= spelling (client's, or the database's with ok_user = database);
invalid base64, overlong lines, NUL bytes, TAB in a name, unknown mechanism, missing
service, unknown commands, abandoned requests; a temporary failure closes the connection
(no FAIL, doveadm exits 75); 2000 idle connections (max_connections = 4096) do not stop a new
client; over max_connections the oldest idle connection is closed for a new one (log line),
and when every connection is busy a new one is closed at accept (log line) and the daemon
recovers; the secured option; the failure log line with rip=.
"""

from __future__ import annotations

import subprocess
import time

import pytest

import authdharness as ah
from authdharness import AuthDaemon, b64, plain_response

REALM = "example.org"
PW = "Secret-1"
WRONG = "secret-1"
ALICE = f"alice@{REALM}"


def sha512_crypt(password: str) -> str:
    return subprocess.run(["openssl", "passwd", "-6", "-salt", "pmtestSalt", password],
                          check=True, capture_output=True, text=True).stdout.strip()


def services(mariadb) -> dict[str, list[str]]:
    fast = ah.fast_timeouts()
    return {"smtp": ah.service_lines(mariadb, crypt=1, **fast),
            "imap": ah.service_lines(mariadb, crypt=0, **fast)}


@pytest.fixture(scope="module")
def authd(mariadb):
    # Room for the 2000 idle connections of test_2000_idle_connections_do_not_stop_a_new_client
    # (the default max_connections is 1024).
    d = AuthDaemon(services(mariadb), saslauthd=False, config="[daemon]\nmax_connections = 4096\n").start()
    try:
        yield d
    finally:
        rc = d.stop()
        text = d.log_text()
        d.destroy()
        assert rc == 0, f"pam-mysql-authd exited {rc} on SIGTERM:\n{text[-4000:]}"


@pytest.fixture(scope="module")
def authd_strict(mariadb):
    d = AuthDaemon(services(mariadb), saslauthd=False,
                   config="[daemon]\nrequire_secured = yes\nok_user = database\nmax_connections = 40\n").start()
    try:
        yield d
    finally:
        d.destroy()


@pytest.fixture
def users(db):
    db.add_user(ALICE, sha512_crypt(PW))
    db.add_user(f"bob@{REALM}", sha512_crypt("b0b-pw"))
    db.add_user("plainuser", "plain-pw")
    return db


def client(d: AuthDaemon) -> ah.DovecotClient:
    c = d.dovecot()
    c.handshake()
    return c


# --------------------------------------------------------------------------
# doveadm auth test -a
# --------------------------------------------------------------------------


def test_doveadm_auth_test(authd, users):
    r = authd.doveadm(ALICE, PW, "service=smtp")
    assert r.ok is True, r.describe()
    assert r.extra_fields.get("user") == ALICE, r.describe()
    r = authd.doveadm(ALICE, WRONG, "service=smtp")
    assert r.ok is False, r.describe()
    r = authd.doveadm(f"nobody@{REALM}", PW, "service=smtp")
    assert r.ok is False, r.describe()
    # doveadm's own default service name (doveadm) has no pam.d file: refused.
    r = authd.doveadm(ALICE, PW)
    assert r.ok is False, r.describe()
    r = authd.doveadm("plainuser", "plain-pw", "service=imap")
    assert r.ok is True, r.describe()


# --------------------------------------------------------------------------
# The handshake
# --------------------------------------------------------------------------


def test_handshake_in_the_order_postfix_accepts(authd):
    with client(authd) as c:
        lines = [ln.decode() for ln in c.handshake_lines]
    commands = [ln.split("\t")[0] for ln in lines]
    assert commands[0] == "VERSION" and lines[0].split("\t")[1] == "1", lines
    assert commands[-1] == "DONE", lines
    assert "MECH" in commands and "SPID" in commands, lines
    # Postfix aborts ("Connected to wrong auth socket") on SPID before any MECH.
    assert max(i for i, c in enumerate(commands) if c == "MECH") < commands.index("SPID"), lines
    assert "CUID" in commands and "COOKIE" in commands, lines
    mechs = {ln.split("\t")[1]: ln.split("\t")[2:] for ln in lines if ln.startswith("MECH\t")}
    assert set(mechs) >= {"PLAIN", "LOGIN"}, mechs
    assert "plaintext" in mechs["PLAIN"] and "plaintext" in mechs["LOGIN"], mechs
    assert all("private" not in flags for flags in mechs.values()), mechs


def test_handshake_without_our_version_first(authd, users):
    # The server speaks first; a client that sends VERSION after reading works too.
    with ah.DovecotClient(authd.auth, send_version=False) as c:
        c.handshake()
        c.send(b"VERSION\t1\t0\nCPID\t4242\n")
        r = c.plain(1, ALICE, PW)
    assert r is not None and r.command == "OK", r


# --------------------------------------------------------------------------
# PLAIN and LOGIN
# --------------------------------------------------------------------------


def test_plain_with_initial_response(authd, users):
    with client(authd) as c:
        r = c.plain(1, ALICE, PW)
        assert r.command == "OK" and r.id == "1" and r.params.get("user") == ALICE, r
        r = c.plain(2, ALICE, WRONG)
        assert r.command == "FAIL" and r.id == "2", r
        assert "reason" in r.params, r  # Postfix logs it
        r = c.plain(3, f"nobody@{REALM}", PW)
        assert r.command == "FAIL" and r.id == "3", r
        r = c.plain(4, ALICE, PW)  # the connection still serves after failures
        assert r.command == "OK", r


def test_plain_without_initial_response(authd, users):
    with client(authd) as c:
        c.auth(7, "PLAIN")
        r = c.reply()
        # CONT always carries the data field (empty challenge): Postfix needs it.
        assert r.command == "CONT" and r.id == "7" and r.line == b"CONT\t7\t", r
        c.cont(7, plain_response(ALICE, PW))
        r = c.reply()
        assert r.command == "OK" and r.params.get("user") == ALICE, r
        r = c.plain(8, ALICE, WRONG, initial=False)
        assert r.command == "FAIL", r


def test_login_mechanism(authd, users):
    with client(authd) as c:
        conts, r = c.login(1, ALICE, PW)
        assert [ah.cont_prompt(x) for x in conts] == [b"Username:", b"Password:"], conts
        assert r.command == "OK" and r.params.get("user") == ALICE, r
        conts, r = c.login(2, ALICE, WRONG)
        assert r.command == "FAIL", r
        conts, r = c.login(3, "", "")
        assert r is not None and r.command == "FAIL", r


def test_authzid_rules(authd, users):
    with client(authd) as c:
        r = c.plain(1, ALICE, PW, authzid=ALICE)  # equal to the user: as if empty
        assert r.command == "OK" and r.params.get("user") == ALICE, r
        r = c.plain(2, ALICE, PW, authzid=f"bob@{REALM}")  # another identity: refused
        assert r.command == "FAIL", r
        assert r.params.get("user") != f"bob@{REALM}", r


def test_several_requests_in_flight_on_one_connection(authd, users):
    with client(authd) as c:
        batch = [
            (11, ALICE, PW, "OK"),
            (12, ALICE, WRONG, "FAIL"),
            (13, f"bob@{REALM}", "b0b-pw", "OK"),
            (14, f"nobody@{REALM}", PW, "FAIL"),
            (15, f"bob@{REALM}", PW, "FAIL"),
        ]
        c.send("".join(f"AUTH\t{i}\tPLAIN\tservice=smtp\tresp={plain_response(u, p)}\n"
                       for i, u, p, _ in batch))
        got = {}
        for _ in batch:
            r = c.reply()
            assert r is not None, got
            got[r.id] = (r.command, r.params.get("user"))
    assert got == {"11": ("OK", ALICE), "12": ("FAIL", got["12"][1]), "13": ("OK", f"bob@{REALM}"),
                   "14": ("FAIL", got["14"][1]), "15": ("FAIL", got["15"][1])}, got


def test_ok_user_as_given_or_as_the_database_spells_it(authd, authd_strict, users):
    upper = ALICE.upper()  # the collation matches case-insensitively
    with client(authd) as c:
        r = c.plain(1, upper, PW)
        assert r.command == "OK" and r.params.get("user") == upper, r
    with client(authd_strict) as c:
        r = c.plain(1, upper, PW, "secured")
        assert r.command == "OK" and r.params.get("user") == ALICE, r


def test_failure_log_line_carries_rip(authd, users):
    mark = authd.log_mark()
    with client(authd) as c:
        r = c.plain(1, ALICE, WRONG, "rip=192.0.2.7", "lip=127.0.0.1")
        assert r.command == "FAIL", r
    m = authd.wait_log(r"auth failure: .*rip=192\.0\.2\.7", mark)
    assert m, authd.log_since(mark)
    f = ah.failure_lines(authd.log_since(mark))[-1]
    assert f["user"] == ALICE and f["service"] == "smtp" and f["protocol"] == "dovecot", f
    assert f.get("reason"), f
    assert PW not in authd.log_since(mark) and WRONG not in authd.log_since(mark)


# --------------------------------------------------------------------------
# Bad input: a FAIL or a closed connection, never OK, never a crash
# --------------------------------------------------------------------------


def _after(authd) -> None:
    """The daemon is up and serves a new client."""
    assert authd.running, authd.describe()
    with client(authd) as c:
        r = c.plain(99, ALICE, PW)
        assert r is not None and r.command == "OK", r


def _fail_or_closed(r) -> bool:
    return r is None or r.command == "FAIL"


def test_invalid_base64(authd, users):
    with client(authd) as c:
        c.auth(1, "PLAIN", resp="!!!not base64***")
        assert _fail_or_closed(c.reply()), c.buf
    with client(authd) as c:  # LOGIN's answer to "Username:" not base64
        c.auth(3, "LOGIN")
        assert c.reply().command == "CONT"
        c.cont(3, "%%%%")
        assert _fail_or_closed(c.reply())
    with client(authd) as c:  # PLAIN's response after an empty CONT, not base64
        c.auth(4, "PLAIN")
        assert c.reply().command == "CONT"
        c.cont(4, "QUJD=extra")
        assert _fail_or_closed(c.reply())
    _after(authd)


def test_overlong_line_closes_the_connection(authd, users):
    mark = authd.log_mark()
    with client(authd) as c:
        c.send(b"AUTH\t1\tPLAIN\tservice=smtp\tresp=" + b"A" * 40000 + b"\n")
        try:
            r = c.reply(timeout=8)
        except TimeoutError:
            r = "no answer"
        assert _fail_or_closed(r) if r != "no answer" else False, r
    # A line that never ends either.
    with client(authd) as c:
        try:
            c.send(b"X" * 200000)
            r = c.reply(timeout=8)
        except (BrokenPipeError, ConnectionResetError):
            r = None
        assert r is None, r
    assert authd.log_since(mark), "no log line for the overlong line"
    _after(authd)


def test_nul_bytes(authd, users):
    with client(authd) as c:
        c.send(b"AUTH\t1\tPLAIN\tservice=sm\0tp\tresp=" + plain_response(ALICE, PW).encode() + b"\n")
        assert _fail_or_closed(c.reply())
    with client(authd) as c:  # a NUL inside the password: a fourth part
        assert _fail_or_closed(c.plain(2, ALICE, PW + "\0extra"))
    with client(authd) as c:  # a trailing NUL
        c.auth(3, "PLAIN", resp=b64(b"\0" + ALICE.encode() + b"\0" + PW.encode() + b"\0"))
        assert _fail_or_closed(c.reply())
    with client(authd) as c:  # two parts only
        c.auth(4, "PLAIN", resp=b64(ALICE.encode() + b"\0" + PW.encode()))
        assert _fail_or_closed(c.reply())
    _after(authd)


def test_tab_or_newline_in_a_name_cannot_inject_fields(authd, users):
    with client(authd) as c:
        for i, name in enumerate([f"evil\tuser={ALICE}", f"evil\nOK\t9\tuser={ALICE}",
                                  f"evil\x01t{ALICE}"], start=1):
            conts, r = c.login(i, name, PW)
            if r is None:
                c = client(authd)
                continue
            assert r.command == "FAIL" and r.params.get("user") != ALICE, r
            assert "\n" not in r.line.decode(errors="replace"), r
        # Nothing but the FAILs came back (no injected OK line in the buffer).
        assert b"OK\t" not in c.buf
    _after(authd)


def test_unknown_mechanism_missing_service_unknown_command(authd, users):
    with client(authd) as c:
        c.auth(1, "CRAM-MD5")
        assert _fail_or_closed(c.reply())
    with client(authd) as c:
        c.auth(2, "PLAIN", service=None, resp=plain_response(ALICE, PW))  # no service=
        r = c.reply()
        assert _fail_or_closed(r), r
    with client(authd) as c:
        c.auth(3, "PLAIN", service="no-such-service", resp=plain_response(ALICE, PW))
        assert _fail_or_closed(c.reply())
    with client(authd) as c:
        c.send(b"BOGUS\t1\tfoo\n")
        c.auth(4, "PLAIN", resp=plain_response(ALICE, PW))  # still answered, or closed
        r = c.reply()
        assert r is None or (r.command == "OK" and r.id == "4"), r
    with client(authd) as c:
        c.send(b"AUTH\tnot-a-number\tPLAIN\tservice=smtp\n")
        assert _fail_or_closed(c.reply())
    _after(authd)


def test_abandoned_requests_do_not_block(authd, users):
    with client(authd) as c:
        for i in range(1, 6):  # LOGIN begun, never answered (Postfix never CANCELs)
            c.auth(i, "LOGIN")
            assert c.reply().command == "CONT"
        r = c.plain(6, ALICE, PW)
        assert r is not None and r.command == "OK" and r.id == "6", r
    _after(authd)


def test_garbage_and_disconnects(authd, users):
    for data in (b"\xff\xfe\x00garbage\n" * 50, b"VERSION\t2\t0\n", b"CPID\n", b"AUTH\n", b"\n" * 1000):
        with ah.DovecotClient(authd.auth, send_version=False) as c:
            try:
                c.send(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
    for _ in range(10):  # connect and hang up in the middle of a request
        with client(authd) as c:
            c.send(b"AUTH\t1\tPLAIN\tservice=smtp\tresp=AGFsaWNl")
    _after(authd)


# --------------------------------------------------------------------------
# Temporary failure, load, secured
# --------------------------------------------------------------------------


def test_temporary_failure_closes_the_connection(authd, users):
    assert authd.doveadm(ALICE, PW, "service=smtp").ok is True  # warm pooled connection
    mark = authd.log_mark()
    with users.stopped():
        with client(authd) as c:
            t0 = time.monotonic()
            r = c.plain(1, ALICE, PW, timeout=12)
            elapsed = time.monotonic() - t0
        # No FAIL (Postfix would say 535, which fail2ban counts): the connection closes.
        assert r is None, r
        assert elapsed < 8, elapsed
        r = authd.doveadm(ALICE, PW, "service=smtp")
        assert r.temporary, r.describe()
    log = authd.log_since(mark)
    assert ah.failure_lines(log) == [], log  # nothing for fail2ban to count
    assert "auth unavailable: " in log and "protocol=dovecot" in log, log
    _after(authd)


def test_2000_idle_connections_do_not_stop_a_new_client(authd, users):
    ah.raise_nofile(8192)
    socks, failed = ah.open_idle(authd.auth, 2000)
    try:
        assert failed == 0 and len(socks) == 2000, failed
        t0 = time.monotonic()
        with client(authd) as c:
            r = c.plain(1, ALICE, PW)
        assert r is not None and r.command == "OK", r
        assert time.monotonic() - t0 < 5
        assert authd.doveadm(ALICE, PW, "service=smtp").ok is True
    finally:
        ah.close_all(socks)
    assert authd.running, authd.describe()


def _closed_by_server(s) -> bool:
    """The server's greeting read, then EOF (True) or nothing more yet (False)."""
    s.setblocking(False)
    try:
        while True:
            if not s.recv(65536):
                return True
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True


def test_connection_limit_closes_the_oldest_idle_connection_for_a_new_one(authd_strict, users):
    # max_connections = 40: 60 idle connections (nothing sent) leave 40 open, the oldest
    # closed first, and a new client is served; the daemon says so once.
    mark = authd_strict.log_mark()
    socks, failed = ah.open_idle(authd_strict.auth, 60, timeout=10)
    try:
        assert failed == 0, failed
        time.sleep(0.5)
        with ah.DovecotClient(authd_strict.auth) as c:
            c.handshake()
            r = c.plain(1, ALICE, PW, "secured")
        assert r is not None and r.command == "OK", r
        assert authd_strict.wait_log(r"max_connections 40 reached: closing the oldest idle connections", mark), \
            authd_strict.log_since(mark)
        time.sleep(0.5)
        closed = [_closed_by_server(s) for s in socks]
        # 20 for the 60 - 40, one more for the new client; the oldest first (numbered as each
        # event loop admits its connections, so the first ones closed are among the first
        # ones opened, not in their exact order).
        assert sum(closed) == 21, closed
        assert not any(closed[-10:]), closed
    finally:
        ah.close_all(socks)
    assert authd_strict.running, authd_strict.describe()


def test_connection_limit_refuses_with_a_log_line_when_every_connection_is_busy_and_recovers(authd_strict, users):
    # max_connections = 40, each with a request in flight (the database frozen): the 41st
    # connection is closed at accept, with a log line; once the requests are answered
    # (temporary failures) the daemon serves again.
    mark = authd_strict.log_mark()
    conns = []
    try:
        with ah.frozen(users):
            for i in range(40):
                c = ah.DovecotClient(authd_strict.auth)
                c.handshake()
                c.auth(1, "PLAIN", "secured", resp=plain_response(ALICE, PW))
                conns.append(c)
            time.sleep(0.3)
            with ah.DovecotClient(authd_strict.auth) as c:
                try:
                    c.handshake()
                    r = c.plain(1, ALICE, PW, "secured", timeout=2)
                except (ConnectionError, TimeoutError):
                    r = None
            assert r is None, r  # every connection busy: not served
            assert authd_strict.wait_log(r"connection refused: 40 connections open", mark), authd_strict.log_since(mark)
    finally:
        for c in conns:
            c.close()
    assert authd_strict.running, authd_strict.describe()
    deadline = time.monotonic() + 10
    while True:
        with ah.DovecotClient(authd_strict.auth) as c:
            try:
                c.handshake()
                r = c.plain(2, ALICE, PW, "secured")
            except (ConnectionError, TimeoutError):
                r = None
        if (r is not None and r.command == "OK") or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert r is not None and r.command == "OK", r


def test_secured_option(authd, authd_strict, users):
    with client(authd_strict) as c:
        r = c.plain(1, ALICE, PW)  # plaintext mechanism without TLS: refused
        assert r.command == "FAIL", r
        r = c.plain(2, ALICE, PW, "secured")
        assert r.command == "OK", r
        conts, r = c.login(3, ALICE, PW, "secured")
        assert r.command == "OK", r
    with client(authd) as c:  # the default accepts both
        assert c.plain(1, ALICE, PW).command == "OK"
        assert c.plain(2, ALICE, PW, "secured").command == "OK"


def test_log_holds_no_secret(authd, mariadb):
    text = authd.log_text()
    for secret in (PW, WRONG, "b0b-pw", "plain-pw", mariadb.db_password):
        assert secret not in text, f"secret in the daemon's log: {secret[:3]}…"
    assert authd.running
