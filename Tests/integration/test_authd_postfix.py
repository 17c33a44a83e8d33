"""Issue 14: Postfix straight to pam-mysql-authd, no saslauthd, no PAM.

Two private Postfix instances (mailchain.Postfix, `postfix -c DIR`), each with its own
daemon:
  cyrus     Cyrus SASL `pwcheck_method: saslauthd`, saslauthd_path at the daemon's
            saslauthd-protocol socket in <queue>/var/run/saslauthd/mux (root:sasl 0710,
            the Debian layout), no saslauthd running;
  dovecot   `smtpd_sasl_type = dovecot`, `smtpd_sasl_path = private/auth`, the daemon's
            Dovecot-protocol socket in <queue>/private/auth.
Each has a plain (chroot = n) and a chrooted smtpd.  swaks: AUTH PLAIN and LOGIN over
STARTTLS give 235 / 535, relay to another domain only when authenticated, and the
database down gives 454 on both paths (what Postfix logs for it is asserted below).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

import authdharness as ah
import mailchain as mc
from authdharness import AuthDaemon

REALM = "example.org"
PW = "Secret-1"
WRONG = "secret-1"
ALICE = f"alice@{REALM}"
PATHS = ["cyrus", "dovecot"]


def sha512_crypt(password: str) -> str:
    return subprocess.run(["openssl", "passwd", "-6", "-salt", "pmtestSalt", password],
                          check=True, capture_output=True, text=True).stdout.strip()


def services(mariadb) -> dict[str, list[str]]:
    return {"smtp": ah.service_lines(mariadb, crypt=1, **ah.fast_timeouts())}


@pytest.fixture(scope="module")
def sasl_group():
    """The postfix user in group sasl (adduser postfix sasl), as for saslauthd's
    socket directory; undone afterwards if this fixture did it."""
    added = False
    if not mc.user_in_group("postfix", "sasl"):
        subprocess.run(["adduser", "postfix", "sasl"], check=True, capture_output=True)
        added = True
    try:
        yield
    finally:
        if added:
            subprocess.run(["deluser", "postfix", "sasl"], check=True, capture_output=True)


def _assert_stopped(pf: mc.Postfix) -> None:
    left = pf.stop()
    assert left == [], f"Postfix processes left after stop: {left}"
    stray = mc.processes_mentioning(str(pf.config_dir))
    assert stray == [], [mc.cmdline(p) for p in stray]


@pytest.fixture(scope="module")
def cyrus_chain(mariadb, sasl_group):
    root = mc.MailRoot()
    d = AuthDaemon(services(mariadb), mux=root.sasl_run / "mux", dovecot=False,
                   base=root.private_run_dir("authd"))
    try:
        d.start()
        # What a socket unit gives it (SocketGroup=sasl, SocketMode=0660).
        shutil.chown(d.mux, "root", "sasl")
        os.chmod(d.mux, 0o660)
        pf = mc.Postfix(root, "smtp", d.mux).start()
        try:
            yield pf, d
        finally:
            _assert_stopped(pf)
    finally:
        d.stop()
        root.destroy()


@pytest.fixture(scope="module")
def dovecot_chain(mariadb):
    root = mc.MailRoot()
    private = root.spool / "private"
    private.mkdir(mode=0o700)
    shutil.chown(private, "postfix", "root")
    d = AuthDaemon(services(mariadb), saslauthd=False, auth=private / "auth",
                   base=root.private_run_dir("authd"))
    try:
        d.start()
        # What a socket unit gives it (SocketUser=postfix, SocketMode=0660).
        shutil.chown(d.auth, "postfix", "postfix")
        os.chmod(d.auth, 0o660)
        pf = mc.Postfix(root, "smtp", None, sasl_type="dovecot", dovecot_path="private/auth").start()
        try:
            yield pf, d
        finally:
            _assert_stopped(pf)
    finally:
        d.stop()
        root.destroy()


@pytest.fixture(params=PATHS)
def chain(request):
    """(Postfix, the daemon behind it) for the path under test."""
    return request.getfixturevalue(f"{request.param}_chain")


@pytest.fixture
def users(db):
    db.add_user(ALICE, sha512_crypt(PW))
    return db


def auth_code(pf: mc.Postfix, mech: str, user: str, password: str, **kw) -> tuple[str | None, mc.SmtpResult]:
    r = pf.smtp(auth=mech, user=user, password=password, **kw)
    return r.auth_code(), r


def test_postfix_config_is_clean(chain):
    pf, _ = chain
    assert pf.check_output == "", pf.check_output
    conf = subprocess.run(["postconf", "-c", str(pf.config_dir), "-n"], capture_output=True, text=True,
                          check=True).stdout.splitlines()
    assert f"smtpd_sasl_type = {pf.sasl_type}" in conf, conf


def test_no_saslauthd_in_the_chain(cyrus_chain):
    pf, d = cyrus_chain
    # Only the daemon has the socket directory on its command line.
    users_of_dir = mc.processes_mentioning(str(pf.root.sasl_run))
    assert users_of_dir == [d.pid], [mc.cmdline(p) for p in users_of_dir]
    assert not any(os.path.basename((mc.cmdline(p) or [""])[0]) == "saslauthd"
                   for p in mc.session_members(d.pid)), "saslauthd in the daemon's session"


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_auth_over_starttls_235_535(chain, users, mech):
    pf, d = chain
    for port in (pf.port, pf.chroot_port):
        code, r = auth_code(pf, mech, ALICE, PW, port=port)
        assert code == "235", r.describe() + "\n" + d.describe()
        code, r = auth_code(pf, mech, ALICE, WRONG, port=port)
        assert code == "535", r.describe()
        code, r = auth_code(pf, mech, f"nobody@{REALM}", PW, port=port)
        assert code == "535", r.describe()
    # Postfix logs the failure with the client's address (what fail2ban reads).
    assert re.search(rf"warning: .*\[127\.0\.0\.1\]: SASL {mech} authentication failed", pf.log_text())


def test_auth_without_starttls_not_offered(chain, users):
    pf, _ = chain
    r = pf.smtp(tls=False, quit_after="EHLO")
    assert not any(k.startswith("AUTH") for k in r.ehlo_keywords(after_tls=False)), r.describe()
    r = pf.smtp(tls=True, quit_after="EHLO")
    assert "AUTH PLAIN LOGIN" in r.ehlo_keywords(after_tls=True) or \
        "AUTH LOGIN PLAIN" in r.ehlo_keywords(after_tls=True), r.describe()


def test_relay_only_when_authenticated(chain, users):
    pf, _ = chain
    r = pf.smtp(auth="LOGIN", user=ALICE, password=PW, quit_after="RCPT")
    assert r.auth_code() == "235", r.describe()
    reply = r.reply_after("RCPT TO:<rcpt@example.net>")
    assert reply is not None and reply.startswith("250"), r.describe()
    # The name Postfix took from the answer (user= on the Dovecot path), for smtpd_sender_login_maps.
    assert f"sasl_method=LOGIN, sasl_username={ALICE}" in pf.log_text()
    r = pf.smtp(tls=True, quit_after="RCPT")
    reply = r.reply_after("RCPT TO:<rcpt@example.net>")
    assert reply is not None and re.match(r"(554|454) .*Relay access denied", reply), r.describe()
    r = pf.smtp(auth="PLAIN", user=ALICE, password=WRONG, quit_after="RCPT")
    assert r.auth_code() == "535", r.describe()
    assert r.reply_after("RCPT TO:<rcpt@example.net>") is None, r.describe()


def test_dovecot_path_passes_the_client_address(dovecot_chain, users):
    pf, d = dovecot_chain
    mark = d.log_mark()
    assert auth_code(pf, "PLAIN", ALICE, WRONG)[0] == "535"
    assert d.wait_log(r"auth failure: .*rip=127\.0\.0\.1", mark), d.log_since(mark)
    f = ah.failure_lines(d.log_since(mark))[-1]
    assert f["user"] == ALICE and f["service"] == "smtp" and f["protocol"] == "dovecot", f


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_database_down_is_454(chain, users, mech):
    pf, d = chain
    assert auth_code(pf, mech, ALICE, PW)[0] == "235"
    before = len(pf.log_text())
    with users.stopped():
        code, r = auth_code(pf, mech, ALICE, PW)
        assert code == "454", r.describe() + "\n" + d.log_text()[-3000:]
        code, r = auth_code(pf, mech, ALICE, WRONG)
        assert code == "454", r.describe()  # not 535: the password was never checked
    log = pf.log_text()[before:]
    # What Postfix logs for it (measured):
    #   dovecot: "SASL PLAIN authentication failed: Connection lost to authentication server,
    #            sasl_username=(unavailable)" (fail2ban's postfix[mode=auth] filter ignores it);
    #   cyrus:   "SASL PLAIN authentication failed: generic failure, sasl_username=alice@..."
    #            (libsasl's SASL_FAIL for the empty reply; fail2ban counts it).
    lines = [ln for ln in log.splitlines() if f"SASL {mech} authentication failed" in ln]
    assert len(lines) == 2, log
    why = {"dovecot": "Connection lost to authentication server", "cyrus": "generic failure"}[pf.sasl_type]
    assert all(f"authentication failed: {why}," in ln for ln in lines), lines
    # Back: the next session authenticates again (Postfix reconnects).
    code, r = auth_code(pf, mech, ALICE, PW)
    assert code == "235", r.describe()
