"""Issue 15 item 3: the fail2ban filters in packaging/fail2ban/, run with Debian's fail2ban-regex
against lines the daemon really wrote (log = FILE) and lines a private Postfix really wrote
(mailchain.Postfix on the saslauthd path), asserting what matched and which hosts came out.

- filter.d/pam-mysql-authd.conf: the daemon's `auth failure:` lines with an address; never
  `rip=-`, `auth unavailable:`, `auth success:` or the lock notice; a user name cannot forge the
  address.
- filter.d/postfix-sasl-pam-mysql.conf: fail2ban's postfix[mode=auth] that ignores the saslauthd
  path's temporary failure ("generic failure"), which the stock filter counts.
- jail.d/pam-mysql-authd.conf: reads as fail2ban's configuration (fail2ban-client -d, no server).

fail2ban's own configuration is copied to a temporary directory with the shipped files added;
/etc/fail2ban is only read, and no fail2ban-server is started.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import authdharness as ah
import mailchain as mc
from authdharness import AuthDaemon

PW = "right-pw"
SHIPPED = Path(__file__).resolve().parents[2] / "packaging" / "fail2ban"


@pytest.fixture(scope="module")
def f2b_conf():
    """/etc/fail2ban copied, with the shipped filters and jails added."""
    for tool in ("fail2ban-regex", "fail2ban-client"):
        assert shutil.which(tool), f"{tool} not found: scripts/install-deps.sh installs Debian's fail2ban"
    base = Path(tempfile.mkdtemp(prefix="pmtest-f2b-"))
    conf = base / "fail2ban"
    shutil.copytree("/etc/fail2ban", conf)
    for part in ("filter.d", "jail.d"):
        for f in (SHIPPED / part).iterdir():
            shutil.copy(f, conf / part / f.name)
    try:
        yield conf
    finally:
        shutil.rmtree(base, ignore_errors=True)


def regex(conf: Path, log: Path, filt: str, out: str | None = None) -> subprocess.CompletedProcess:
    argv = ["fail2ban-regex", "-c", str(conf)]
    if out:
        argv += ["-o", out]
    return subprocess.run(argv + [str(log), filt], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def counts(conf: Path, log: Path, filt: str) -> tuple[int, int, int]:
    """(lines, ignored, matched) from fail2ban-regex's summary."""
    r = regex(conf, log, filt)
    assert r.returncode == 0, r.stdout + r.stderr
    m = re.search(r"^Lines: (\d+) lines, (\d+) ignored, (\d+) matched", r.stdout, re.M)
    assert m, r.stdout
    return int(m[1]), int(m[2]), int(m[3])


def hosts_and_users(conf: Path, log: Path, filt: str) -> list[tuple[str, str]]:
    r = regex(conf, log, filt, out="<ip>\t<F-USER>")
    assert r.returncode == 0, r.stdout + r.stderr
    return [tuple(line.split("\t", 1)) for line in r.stdout.splitlines() if "\t" in line]


def no_fail2ban_server() -> None:
    ps = subprocess.run(["pgrep", "-f", "fail2ban-server"], capture_output=True, text=True)
    assert ps.stdout.strip() == "", f"a fail2ban-server runs: {ps.stdout}"


def test_the_daemon_filter_counts_refusals_with_an_address_only(mariadb, db, f2b_conf):
    db.add_user("alice", PW)
    db.add_user('ev"il', PW)
    services = {"smtp": ah.service_lines(mariadb, crypt=0, **ah.fast_timeouts())}
    # The penalty off: this test is about the lines, not the waits.
    d = AuthDaemon(services, config="[daemon]\npenalty = no\nuser_lock_failures = 3\n").start()
    try:
        def dovecot(user, password, *fields):
            with d.dovecot(timeout=15) as c:
                c.handshake()
                r = c.plain(1, user, password, *fields)
                return r.command if r else None

        assert dovecot("alice", "wrong-1", "rip=198.51.100.1") == "FAIL"
        assert dovecot("nobody", "wrong-2", "rip=198.51.100.1") == "FAIL"
        assert dovecot("alice", "wrong-3", "rip=2001:db8::7") == "FAIL"
        assert dovecot("alice", PW, "rip=198.51.100.1") == "OK"  # a success: not counted
        assert dovecot("alice", "wrong-4") == "FAIL"  # no address: rip=-
        assert d.sasl("alice", "wrong-5").kind == "NO"  # saslauthd, 4 fields: rip=-
        assert d.sasl("alice", "wrong-6", "smtp", "", "203.0.113.9;4711").kind == "NO"
        # A name that tries to forge the address and the reason: escaped, it cannot.
        assert dovecot('x" rip=192.0.2.99 reason="', "wrong-7", "rip=198.51.100.3") == "FAIL"
        assert dovecot('ev"il', "wrong-8", "rip=198.51.100.4") == "FAIL"
        # alice's third failure since her success (wrong-4, -5, -6) locked her: reason="locked" lines.
        assert dovecot("alice", "wrong-9", "rip=198.51.100.5") == "FAIL"
        assert dovecot("alice", PW, "rip=198.51.100.5") == "FAIL"
        with db.stopped():  # temporary failures: auth unavailable, never counted
            assert dovecot("alice", PW, "rip=198.51.100.2") is None
            assert d.sasl("alice", PW, "smtp", "", "198.51.100.2;25").kind == "EMPTY"
        d.stop()
        log = d.log_path
        text = log.read_text()
        assert 'user "alice" locked after 3 failures' in text, text
        assert text.count("auth unavailable:") == 2, text
        assert PW not in text
        lines, ignored, matched = counts(f2b_conf, log, "pam-mysql-authd")
        assert (ignored, matched) == (0, 8), (lines, ignored, matched, text)
        found = hosts_and_users(f2b_conf, log, "pam-mysql-authd")
        assert [h for h, _ in found] == ["198.51.100.1", "198.51.100.1", "2001:db8::7", "203.0.113.9", "198.51.100.3",
                                         "198.51.100.4", "198.51.100.5", "198.51.100.5"], found
        assert found[4][1] == r"x\x22 rip=192.0.2.99 reason=\x22" and found[5][1] == r"ev\x22il", found
        assert "192.0.2.99" not in [h for h, _ in found]
        assert "198.51.100.2" not in [h for h, _ in found]
    finally:
        d.destroy()
    no_fail2ban_server()


def test_the_jail_file_reads_as_fail2ban_configuration(f2b_conf):
    r = subprocess.run(["fail2ban-client", "-c", str(f2b_conf), "-d"], capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "'pam-mysql-authd'" in r.stdout, r.stdout[-3000:]
    assert re.search(r"\['set', 'pam-mysql-authd', 'addjournalmatch', '_SYSTEMD_UNIT=pam-mysql-authd.service'\]", r.stdout), \
        r.stdout[-3000:]
    no_fail2ban_server()


# --------------------------------------------------------------------------
# Postfix's own postfix-sasl jail on the saslauthd path
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sasl_group():
    added = False
    if not mc.user_in_group("postfix", "sasl"):
        subprocess.run(["adduser", "postfix", "sasl"], check=True, capture_output=True)
        added = True
    try:
        yield
    finally:
        if added:
            subprocess.run(["deluser", "postfix", "sasl"], check=True, capture_output=True)


def test_postfix_sasl_counts_refusals_but_not_the_saslauthd_paths_temporary_failure(mariadb, db, sasl_group, f2b_conf):
    db.add_user("alice@example.org", PW)
    root = mc.MailRoot()
    services = {"smtp": ah.service_lines(mariadb, crypt=0, **ah.fast_timeouts())}
    d = AuthDaemon(services, mux=root.sasl_run / "mux", dovecot=False, base=root.private_run_dir("authd"))
    try:
        d.start()
        shutil.chown(d.mux, "root", "sasl")
        os.chmod(d.mux, 0o660)
        pf = mc.Postfix(root, "smtp", d.mux).start()
        try:
            assert pf.smtp(auth="PLAIN", user="alice@example.org", password="wrong-1").auth_code() == "535"
            assert pf.smtp(auth="LOGIN", user="alice@example.org", password="wrong-2").auth_code() == "535"
            assert pf.smtp(auth="PLAIN", user="alice@example.org", password=PW).auth_code() == "235"
            with db.stopped():
                r = pf.smtp(auth="PLAIN", user="alice@example.org", password=PW)
                assert r.auth_code() == "454", r.describe()
        finally:
            assert pf.stop() == []
        log = root.base / "postfix-maillog"
        log.write_text(pf.log_text())
        text = log.read_text()
        assert re.search(r"\[127\.0\.0\.1\]: SASL PLAIN authentication failed: generic failure", text), text
        # Stock fail2ban counts the temporary failure with the two refusals; the shipped filter does not.
        assert counts(f2b_conf, log, "postfix[mode=auth]")[1:] == (0, 3)
        assert counts(f2b_conf, log, "postfix-sasl-pam-mysql[mode=auth]")[1:] == (1, 2)
        found = hosts_and_users(f2b_conf, log, "postfix-sasl-pam-mysql[mode=auth]")
        assert [h for h, _ in found] == ["127.0.0.1", "127.0.0.1"], found
    finally:
        d.stop()
        root.destroy()
    no_fail2ban_server()
