"""Issue 13: `pam-mysql check --postfix` against a real chain.

    swaks -> Postfix smtpd (postfix -c DIR) -> Cyrus SASL -> saslauthd -a pam
          -> PAM service (smtpd_sasl_service) -> our pam_mysql -> MariaDB

One private Postfix and saslauthd per module (mailchain.py), two smtpd services
(chroot n on `port`, chroot y on `chroot_port` with the Debian socket layout).
The healthy chain is all OK (and swaks gets 235); then each trap of the issue is
set up once, by rewriting main.cf / master.cf / smtpd.conf or the group the
socket directory needs, and the line `check` prints for it is asserted; where
it is cheap the trap is also shown breaking real SMTP AUTH (postfix reload,
swaks).  The Dovecot links run against a private Dovecot whose auth listener
sits in Postfix's queue directory.

The tool sees only this module's saslauthd instances (PAM_MYSQL_PROC_ROOT: a
directory of links to their /proc entries; other helpers run saslauthd on the
same machine), a private /etc/default/saslauthd (PAM_MYSQL_SASLAUTHD_DEFAULTS)
and a private "elsewhere" for stray smtpd.conf copies (PAM_MYSQL_SASL_ELSEWHERE).
The socket directory is root:<private group> 0710 rather than root:sasl, so that
`adduser postfix sasl` by test_mail_chain.py running at the same time cannot
change a verdict here.  Nothing under /etc/postfix is touched.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import authdharness as ah
import mailchain as mc
import pamharness as ph

TOOL = Path(os.environ.get("PAM_MYSQL_TOOL", ph.BUILD_DIR / "pam-mysql"))
REALM = "example.org"
USER = f"alice@{REALM}"
PW = "Chain-Secret-1"
WRONG = "chain-secret-1"


# --------------------------------------------------------------------------
# Module-scoped chain
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tool() -> Path:
    if not TOOL.exists():
        pytest.fail(f"{TOOL} is not built (run make)")
    return TOOL


@pytest.fixture(scope="module")
def mailroot():
    root = mc.MailRoot()
    try:
        yield root
    finally:
        root.destroy()


@pytest.fixture(scope="module")
def socket_group(mailroot):
    """A private group standing in for `sasl`: the socket directory is
    root:GROUP 0710 and postfix is a member (the tests take it out)."""
    name = f"pmt{secrets.token_hex(4)}"
    subprocess.run(["groupadd", name], check=True, capture_output=True)
    try:
        shutil.chown(mailroot.sasl_run, "root", name)
        mailroot.sasl_run.chmod(0o710)
        subprocess.run(["gpasswd", "-a", "postfix", name], check=True, capture_output=True)
        yield name
    finally:
        subprocess.run(["groupdel", name], capture_output=True)


def _stopped(daemon) -> None:
    left = daemon.stop()
    assert left == [], f"{type(daemon).__name__} processes left after stop: {left}"


@pytest.fixture(scope="module")
def saslauthd(mailroot, socket_group):
    d = mc.Saslauthd(mailroot.sasl_run, realm=True).start()
    try:
        yield d
    finally:
        _stopped(d)


@pytest.fixture(scope="module")
def saslauthd_norealm(mailroot):
    """saslauthd without -r, its socket outside the queue directory."""
    run_dir = mailroot.private_run_dir("saslauthd-norealm")
    run_dir.chmod(0o755)
    d = mc.Saslauthd(run_dir, realm=False).start()
    try:
        yield d
    finally:
        _stopped(d)


@pytest.fixture(scope="module")
def smtp_service():
    svc = mc.FixedPamService()
    try:
        yield svc
    finally:
        svc.remove()


@pytest.fixture(scope="module")
def postfix(mailroot, saslauthd, smtp_service, socket_group):
    pf = mc.Postfix(mailroot, smtp_service.name, saslauthd.mux).start()
    try:
        yield pf
    finally:
        left = pf.stop()
        assert left == [], f"postfix processes left: {left}"
        assert mc.processes_mentioning(str(pf.config_dir)) == []


@pytest.fixture(scope="module")
def private_paths(mailroot, saslauthd):
    """The defaults file, the stray-copy directory and the /proc view the tool gets."""
    base = mailroot.base / "tool-view"
    base.mkdir()
    defaults = base / "default-saslauthd"
    defaults.write_text(f'MECHANISMS="pam"\nMECH_OPTIONS=""\nTHREADS=2\nOPTIONS="-r -m {saslauthd.run_dir}"\n')
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    return {"defaults": defaults, "elsewhere": elsewhere, "base": base}


def proc_view(base: Path, *daemons) -> Path:
    """A /proc-like directory holding only these saslauthd masters."""
    view = Path(tempfile.mkdtemp(prefix="proc-", dir=base))
    for d in daemons:
        (view / str(d.master_pid)).symlink_to(f"/proc/{d.master_pid}")
    return view


@pytest.fixture
def chain(tool, postfix, saslauthd, smtp_service, private_paths, our_module, db):
    """The healthy chain for this test: the user in the table, the PAM service
    with our module, and every file the test may change restored afterwards."""
    db.add_user(USER, PW)
    smtp_service.write(our_module, [f"auth required {{module}} {db.pam_args(crypt=0)}",
                                    f"account required {{module}} {db.pam_args(crypt=0)}"])
    cd = postfix.config_dir
    saved = {p: p.read_bytes() for p in [cd / "main.cf", cd / "master.cf", *sorted((cd / "sasl").iterdir())]}
    ctx = Chain(tool, postfix, saslauthd, db, private_paths)
    try:
        yield ctx
    finally:
        for p in list((cd / "sasl").iterdir()):
            if p not in saved:
                p.unlink()
        for p, data in saved.items():
            p.write_bytes(data)
        for p in private_paths["elsewhere"].iterdir():
            p.unlink()
        if ctx.reloaded:
            postfix.reload()


class Chain:
    def __init__(self, tool, postfix, saslauthd, db, paths):
        self.tool = tool
        self.postfix = postfix
        self.saslauthd = saslauthd
        self.db = db
        self.paths = paths
        self.reloaded = False

    @property
    def sasl_dir(self) -> Path:
        return self.postfix.config_dir / "sasl"

    def postconf(self, *args: str) -> None:
        r = subprocess.run(["postconf", "-c", str(self.postfix.config_dir), *args],
                           capture_output=True, text=True, timeout=60, env=ph.child_env())
        assert r.returncode == 0, r.stderr

    def reload(self) -> None:
        self.reloaded = True
        self.postfix.reload()

    def check(self, *args: str, user: str | None = USER, password: str | None = PW,
              daemons=None, smtp: bool = False) -> subprocess.CompletedProcess:
        view = proc_view(self.paths["base"], *(daemons if daemons is not None else [self.saslauthd]))
        argv = [str(self.tool), "check", "--postfix", "--postfix-config", str(self.postfix.config_dir), *args]
        if user is not None:
            argv.append(user)
        if password is not None:
            argv.append("--password-stdin")
        if smtp:
            argv += ["--smtp", f"127.0.0.1:{self.postfix.port}"]
        env = ph.child_env({
            "PAM_MYSQL_PROC_ROOT": str(view),
            "PAM_MYSQL_SASLAUTHD_DEFAULTS": str(self.paths["defaults"]),
            "PAM_MYSQL_SASL_ELSEWHERE": str(self.paths["elsewhere"]),
        })
        r = subprocess.run(argv, input=((password or "") + "\n").encode(), capture_output=True,
                           timeout=120, env=env)
        out = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
        # Nothing secret in the output: the password, the database password.
        for secret in (PW, WRONG, self.db.db_password):
            assert secret not in out, f"secret leaked: {out!r}"
        r.text = out  # type: ignore[attr-defined]
        return r


def lines_for(out: str, step: str) -> list[str]:
    """The verdict lines of a step ("OK  " / "WARN" / "FAIL" then two blanks)."""
    return [ln for ln in out.splitlines() if ln[6:].startswith(step + ":") or ln[6:] == step]


def assert_line(out: str, verdict: str, step: str, *fragments: str) -> str:
    found = [ln for ln in lines_for(out, step) if ln.startswith(verdict)
             and all(f in ln for f in fragments)]
    assert found, f"no {verdict} {step!r} line with {fragments}:\n{out}"
    print(found[0])  # shown with -s: the lines the closing note quotes
    return found[0]


def verdicts(out: str) -> list[str]:
    return [ln for ln in out.splitlines() if ln[:4] in ("OK  ", "WARN", "FAIL")]


# --------------------------------------------------------------------------
# The healthy chain
# --------------------------------------------------------------------------


def test_healthy_chain_is_all_ok_and_swaks_gets_235(chain, postfix):
    r = chain.check(smtp=True)
    bad = [ln for ln in verdicts(r.text) if not ln.startswith("OK")]
    assert r.returncode == 0 and bad == [], r.text
    # Both smtpd services are followed, the chrooted one through the Debian path.
    assert f"== Postfix service 127.0.0.1:{postfix.port}/inet (chroot n)" in r.text, r.text
    assert f"== Postfix service 127.0.0.1:{postfix.chroot_port}/inet (chroot y)" in r.text, r.text
    for step in ("Postfix smtpd_sasl_auth_enable", "Postfix smtpd_sasl_type", "Postfix smtpd_tls_auth_only",
                 "Postfix smtpd_relay_restrictions", "Cyrus SASL smtpd.conf", "Cyrus SASL smtpd-chroot.conf",
                 "Cyrus SASL pwcheck_method", "Cyrus SASL mech_list", "Cyrus SASL plugins", "saslauthd running",
                 "saslauthd -r", "saslauthd socket", "saslauthd reachable as postfix", "saslauthd round trip",
                 "PAM service file", "PAM module (line 1, auth)", "options", "database reachable", "row for user",
                 "stored value", "password"):
        assert_line(r.text, "OK", step)
    assert_line(r.text, "OK", "saslauthd socket", f"chrooted to {postfix.queue_dir}) opens "
                f"{postfix.queue_dir}/var/run/saslauthd/mux")
    assert_line(r.text, "OK", "saslauthd round trip", 'OK for login "alice" realm "example.org"')
    assert_line(r.text, "OK", f"SMTP 127.0.0.1:{postfix.port} AUTH PLAIN", "235")
    # The same chain through swaks, as a mail client sees it.
    s = postfix.smtp(auth="PLAIN", user=USER, password=PW)
    assert s.auth_code() == "235", s.describe()


def test_wrong_password_fails_the_round_trip_and_the_module(chain):
    r = chain.check(password=WRONG)
    assert r.returncode == 1, r.text
    assert_line(r.text, "FAIL", "saslauthd round trip", "NO", "535 5.7.8")
    assert_line(r.text, "FAIL", "password", "does not verify")


def test_without_a_password_nothing_is_sent(chain):
    r = chain.check(password=None)
    assert r.returncode == 0, r.text
    assert "saslauthd round trip" not in "\n".join(verdicts(r.text)), r.text
    assert "a password is only ever sent when given" in r.text


def test_usage_errors(chain, tool):
    for args in (["--postfix", "--line", "pam_mysql.so db=x"], ["--postfix", "--file", "/etc/pam.d/smtp"],
                 ["--postfix", "svc", "user"], ["--smtp", "127.0.0.1:25", "svc"]):
        r = subprocess.run([str(tool), "check", *args], capture_output=True, timeout=30)
        assert r.returncode == 64, (args, r.stdout, r.stderr)


# --------------------------------------------------------------------------
# The traps of the issue, one each
# --------------------------------------------------------------------------


def test_trap_saslauthd_without_r(chain, saslauthd_norealm, postfix):
    (chain.sasl_dir / "smtpd.conf").write_text(
        f"pwcheck_method: saslauthd\nmech_list: PLAIN LOGIN\nsaslauthd_path: {saslauthd_norealm.mux}\n")
    r = chain.check(daemons=[chain.saslauthd, saslauthd_norealm])
    assert r.returncode == 1, r.text
    assert_line(r.text, "FAIL", "saslauthd -r",
                'not set: for "alice@example.org" PAM is handed "alice" (the realm is dropped) '
                "while the table's names carry @domain", "535 5.7.8", "fix: add -r to OPTIONS")
    assert_line(r.text, "FAIL", "row for user", 'no row for "alice"')
    # Without a USER the table's names alone tell it.
    r = chain.check(user=None, password=None, daemons=[saslauthd_norealm])
    assert_line(r.text, "FAIL", "saslauthd -r", "not set, and the table's names carry @domain")
    # And real SMTP AUTH fails as the line says.
    chain.reload()
    s = postfix.smtp(auth="PLAIN", user=USER, password=PW)
    assert s.auth_code() == "535", s.describe()


def test_trap_saslauthd_socket_outside_the_chroot(chain, saslauthd_norealm, postfix):
    # smtpd chrooted, saslauthd's socket where an unchrooted smtpd would find it.
    master = (postfix.config_dir / "master.cf").read_text()
    (postfix.config_dir / "master.cf").write_text(
        master.replace(f"127.0.0.1:{postfix.port} inet n - n - - smtpd", f"127.0.0.1:{postfix.port} inet n - y - - smtpd"))
    (chain.sasl_dir / "smtpd.conf").write_text(
        f"pwcheck_method: saslauthd\nmech_list: PLAIN LOGIN\nsaslauthd_path: {saslauthd_norealm.mux}\n")
    r = chain.check(daemons=[saslauthd_norealm])
    assert r.returncode == 1, r.text
    assert_line(r.text, "FAIL", "saslauthd socket",
                f"saslauthd (pid {saslauthd_norealm.master_pid}) listens at {saslauthd_norealm.mux}, outside Postfix's chroot",
                f"opens {postfix.queue_dir}{saslauthd_norealm.mux}, which does not exist", "454 4.7.0",
                f"fix: run saslauthd with -m {postfix.queue_dir}{saslauthd_norealm.run_dir}")
    chain.reload()
    s = postfix.smtp(auth="PLAIN", user=USER, password=PW)
    assert s.auth_code() == "454", s.describe()


def test_trap_postfix_not_in_the_socket_group(chain, socket_group, mailroot, postfix):
    subprocess.run(["gpasswd", "-d", "postfix", socket_group], check=True, capture_output=True)
    try:
        r = chain.check()
        chain.reload()  # smtpd takes its groups when it starts
        s = postfix.smtp(auth="PLAIN", user=USER, password=PW)
    finally:
        subprocess.run(["gpasswd", "-a", "postfix", socket_group], check=True, capture_output=True)
    assert r.returncode == 1, r.text
    assert_line(r.text, "FAIL", "saslauthd reachable as postfix",
                f"postfix cannot connect to {mailroot.sasl_run}/mux: Permission denied "
                f"({mailroot.sasl_run} is root:{socket_group} 0710 and postfix is not in group {socket_group})",
                f"fix: adduser postfix {socket_group}, then postfix reload")
    assert s.auth_code() == "454", s.describe()


def test_trap_smtpd_conf_where_debian_postfix_does_not_read_it(chain, private_paths):
    stray = private_paths["elsewhere"] / "smtpd.conf"
    shutil.move(chain.sasl_dir / "smtpd.conf", stray)
    r = chain.check()
    assert r.returncode == 1, r.text
    assert_line(r.text, "FAIL", "Cyrus SASL smtpd.conf",
                f"none in {chain.sasl_dir}/smtpd.conf (there is one at {stray}, which Debian's Postfix does not read)",
                "falls back to auxprop (sasldb)", f"mv {stray} {chain.sasl_dir}/smtpd.conf")
    chain.reload()
    s = chain.postfix.smtp(auth="PLAIN", user=USER, password=PW)
    # As with pwcheck_method auxprop: 454 or 535 depending on /etc/sasldb2's readability.
    assert s.auth_code() in ("454", "535"), s.describe()
    assert "SASL PLAIN authentication failed" in chain.postfix.log_text()
    # A copy next to the real file is only a warning.
    shutil.copy(stray, chain.sasl_dir / "smtpd.conf")
    r = chain.check()
    assert_line(r.text, "WARN", "Cyrus SASL smtpd.conf", f"a copy at {stray} is not read by Debian's Postfix")


def test_trap_mech_list_with_cram_md5(chain, postfix):
    conf = chain.sasl_dir / "smtpd.conf"
    conf.write_text(conf.read_text().replace("mech_list: PLAIN LOGIN", "mech_list: CRAM-MD5 PLAIN LOGIN"))
    r = chain.check()
    assert r.returncode == 1, r.text
    assert_line(r.text, "FAIL", "Cyrus SASL mech_list", "CRAM-MD5 cannot be checked by saslauthd",
                '"454 4.7.0 Temporary authentication failure: generic failure"',
                "fix: mech_list: PLAIN LOGIN")
    chain.reload()
    s = postfix.smtp(auth="CRAM-MD5", user=USER, password=PW)
    # CRAM-MD5 goes to sasldb: 454 while smtpd cannot read /etc/sasldb2 (root:sasl),
    # 535 when postfix is in group sasl (test_mail_chain.py adds it for a while).
    assert s.auth_code() in ("454", "535"), s.describe()
    assert "SASL CRAM-MD5 authentication failed" in postfix.log_text()


def test_trap_pwcheck_method_auxprop(chain):
    conf = chain.sasl_dir / "smtpd.conf"
    conf.write_text(conf.read_text().replace("pwcheck_method: saslauthd", "pwcheck_method: auxprop"))
    r = chain.check()
    assert r.returncode == 1, r.text
    assert_line(r.text, "FAIL", "Cyrus SASL pwcheck_method", "auxprop: libsasl checks its own sasldb", "454 4.7.0",
                "fix: pwcheck_method: saslauthd in")
    chain.reload()
    s = chain.postfix.smtp(auth="PLAIN", user=USER, password=PW)
    # 454 while smtpd cannot read /etc/sasldb2 (root:sasl), 535 if postfix is in
    # group sasl (test_mail_chain.py adds it for a while): either way no saslauthd.
    assert s.auth_code() in ("454", "535"), s.describe()
    assert "SASL PLAIN authentication failed" in chain.postfix.log_text()


def test_trap_smtpd_sasl_auth_enable_missing(chain, postfix):
    chain.postconf("-X", "smtpd_sasl_auth_enable")
    r = chain.check()
    assert r.returncode == 1, r.text
    assert_line(r.text, "FAIL", "Postfix smtpd_sasl_auth_enable", "no on every smtpd service: EHLO offers no AUTH",
                "fix: postconf -e smtpd_sasl_auth_enable=yes")
    chain.reload()
    s = postfix.smtp(auth="PLAIN", user=USER, password=PW)
    assert "Host did not advertise authentication" in s.output, s.describe()


def test_trap_smtpd_sasl_service_without_pam_file(chain, postfix):
    missing = f"pmtest-missing-{secrets.token_hex(4)}"
    chain.postconf(f"smtpd_sasl_service = {missing}")
    r = chain.check()
    assert r.returncode == 1, r.text
    assert_line(r.text, "FAIL", "PAM service file",
                f"/etc/pam.d/{missing} does not exist (smtpd_sasl_service = {missing}): libpam silently uses "
                "/etc/pam.d/other instead")
    assert_line(r.text, "FAIL", "saslauthd round trip", "NO")
    chain.reload()
    s = postfix.smtp(auth="PLAIN", user=USER, password=PW)
    assert s.auth_code() == "535", s.describe()


def test_trap_saslauthd_not_running(chain, mailroot, postfix):
    stopped = mc.Saslauthd(mailroot.private_run_dir(f"saslauthd-gone-{secrets.token_hex(2)}"), realm=True)
    stopped.run_dir.chmod(0o755)
    stopped.start()
    _stopped(stopped)
    (chain.sasl_dir / "smtpd.conf").write_text(
        f"pwcheck_method: saslauthd\nmech_list: PLAIN LOGIN\nsaslauthd_path: {stopped.mux}\n")
    r = chain.check(daemons=[])
    assert r.returncode == 1, r.text
    assert_line(r.text, "FAIL", "saslauthd running",
                f"no saslauthd process; smtpd opens {stopped.mux}", "454 4.7.0",
                "fix: systemctl enable --now saslauthd")
    chain.reload()
    s = postfix.smtp(auth="PLAIN", user=USER, password=PW)
    assert s.auth_code() == "454", s.describe()


# --------------------------------------------------------------------------
# smtpd_sasl_type = dovecot, against a private Dovecot
# --------------------------------------------------------------------------


class AuthOnlyDovecot:
    """Dovecot with only its auth service; passdb passwd-file; the client
    listener at <queue_directory>/private/auth for postfix (0660)."""

    def __init__(self, listener: Path):
        self.dir = Path(tempfile.mkdtemp(prefix="pmtest-dovecot-chain-"))
        self.dir.chmod(0o755)
        self.listener = listener
        (self.dir / "passwd").write_text(f"{USER}:{{PLAIN}}{PW}\n")
        (self.dir / "passwd").chmod(0o644)
        self.conf = self.dir / "dovecot.conf"
        self.conf.write_text(
            f"base_dir = {self.dir}/run\n"
            f"state_dir = {self.dir}/state\n"
            f"log_path = {self.dir}/dovecot.log\n"
            "protocols =\n"
            "ssl = no\n"
            "auth_failure_delay = 0\n"
            "auth_mechanisms = plain login\n"
            "passdb {\n  driver = passwd-file\n"
            f"  args = {self.dir}/passwd\n}}\n"
            "userdb {\n  driver = static\n  args = uid=nobody gid=nogroup home=/nonexistent\n}\n"
            "service auth {\n"
            f"  unix_listener {listener} {{\n    mode = 0660\n    user = postfix\n    group = postfix\n  }}\n"
            "}\n"
        )
        with open(self.dir / "start.out", "wb") as out:
            proc = subprocess.run(["dovecot", "-c", str(self.conf)], stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=out, timeout=30, env=ph.child_env())
        if proc.returncode != 0:
            raise RuntimeError(f"dovecot did not start: {(self.dir / 'start.out').read_text()}")
        deadline = time.monotonic() + 15
        while not listener.exists():
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"no auth listener at {listener}")
            time.sleep(0.05)

    def stop(self) -> None:
        pid_file = self.dir / "run" / "master.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().split()[0])
            try:
                os.kill(pid, 15)
                for _ in range(200):
                    os.kill(pid, 0)
                    time.sleep(0.05)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def dovecot(postfix):
    d = AuthOnlyDovecot(postfix.queue_dir / "private" / "auth")
    try:
        yield d
    finally:
        d.stop()


def test_dovecot_chain(chain, dovecot, postfix):
    chain.postconf("smtpd_sasl_type = dovecot", "smtpd_sasl_path = private/auth")
    # The chrooted service's -o smtpd_sasl_path=smtpd-chroot would name a Cyrus file: drop it.
    master = postfix.config_dir / "master.cf"
    master.write_text(master.read_text().replace("  -o smtpd_sasl_path=smtpd-chroot\n", ""))
    r = chain.check(smtp=True)
    bad = [ln for ln in verdicts(r.text) if not ln.startswith("OK")]
    assert r.returncode == 0 and bad == [], r.text
    assert_line(r.text, "OK", "Dovecot auth socket", f"{postfix.queue_dir}/private/auth")
    assert_line(r.text, "OK", "Dovecot auth reachable as postfix", "inside the chroot")
    assert_line(r.text, "OK", "Dovecot auth handshake", "VERSION 1.2", "MECH PLAIN LOGIN", "DONE")
    assert_line(r.text, "OK", "Dovecot AUTH PLAIN", f"OK user={USER}")
    r = chain.check(password=WRONG)
    assert r.returncode == 1, r.text
    assert_line(r.text, "FAIL", "Dovecot AUTH PLAIN", "535 5.7.8")
    # Postfix itself, through the same socket.
    chain.reload()
    s = postfix.smtp(auth="PLAIN", user=USER, password=PW)
    assert s.auth_code() == "235", s.describe()
    # A socket path nothing listens on.
    chain.postconf("smtpd_sasl_path = private/no-such-auth")
    r = chain.check()
    assert_line(r.text, "FAIL", "Dovecot auth socket", f"no socket at {postfix.queue_dir}/private/no-such-auth",
                "no SASL authentication mechanisms")


# --------------------------------------------------------------------------
# Further Postfix and PAM links
# --------------------------------------------------------------------------


def test_tls_auth_only_without_tls_hides_auth(chain, postfix):
    chain.postconf("smtpd_tls_security_level = none")
    r = chain.check(smtp=True)
    assert r.returncode == 1, r.text
    assert_line(r.text, "FAIL", "Postfix smtpd_tls_auth_only", "yes, but TLS is off (smtpd_tls_security_level = none)",
                "EHLO never offers AUTH")
    chain.reload()
    assert_line(chain.check(smtp=True).text, "WARN", f"SMTP 127.0.0.1:{postfix.port}", "offers no STARTTLS")
    s = postfix.smtp(tls=False, auth="PLAIN", user=USER, password=PW)
    assert "Host did not advertise authentication" in s.output, s.describe()


def test_relay_restrictions_without_permit_sasl_authenticated(chain):
    chain.postconf("smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination")
    r = chain.check()
    assert r.returncode == 1, r.text
    assert_line(r.text, "FAIL", "Postfix smtpd_relay_restrictions", "no permit_sasl_authenticated",
                "554 5.7.1 Relay access denied")
    chain.postconf("smtpd_relay_restrictions = reject_unauth_destination, permit_sasl_authenticated")
    assert_line(chain.check().text, "FAIL", "Postfix smtpd_relay_restrictions",
                "permit_sasl_authenticated comes after reject_unauth_destination")


def test_pam_module_files_are_resolved_as_libpam_does(chain, smtp_service, our_module, db):
    args = db.pam_args(crypt=0)
    smtp_service.write(our_module, ["auth optional pam_permit.so", f"auth required {{module}} {args}",
                                    "-auth optional pam_no_such_module.so", f"account required {{module}} {args}",
                                    "account required /no/such/pam_gone.so"])
    r = chain.check()
    assert r.returncode == 1, r.text
    ok = assert_line(r.text, "OK", "PAM module (line 1, auth)", "/security/pam_permit.so", "package libpam-modules")
    assert ok.split(": ", 1)[1].startswith("/lib/") or ok.split(": ", 1)[1].startswith("/usr/lib/"), ok
    assert_line(r.text, "WARN", "PAM module (line 3, auth)", "pam_no_such_module.so does not exist; libpam skips this -auth line")
    assert_line(r.text, "FAIL", "PAM module (line 5, account)", "/no/such/pam_gone.so does not exist",
                "PAM unable to dlopen(/no/such/pam_gone.so)")


# --------------------------------------------------------------------------
# pam-mysql-authd serving the socket (issue 14 item 7, issue 13 item 3)
# --------------------------------------------------------------------------


class _Listed:
    """What proc_view() needs of a daemon: the pid whose /proc entry the tool may see."""

    def __init__(self, pid: int) -> None:
        self.master_pid = pid


def _authd_in_queue(postfix, **kwargs) -> "ah.AuthDaemon":
    """pam-mysql-authd with its files under <queue_directory>/var/run/authd-XXX (root-owned,
    0755 up to /), so its socket is reachable from the chrooted smtpd too."""
    base = postfix.queue_dir / "var" / "run" / f"authd-{secrets.token_hex(4)}"
    base.mkdir(mode=0o755)
    return ah.AuthDaemon(base=base, **kwargs)


@pytest.fixture
def authd_cyrus(chain, postfix, smtp_service, db):
    """Our daemon on a saslauthd socket of its own; both smtpd.conf files point at it (the
    chain fixture restores them). No saslauthd is in the tool's /proc view."""
    made = []

    def start(config: str | None = None, lines: list[str] | None = None) -> "ah.AuthDaemon":
        d = _authd_in_queue(postfix, services={smtp_service.name: lines or ah.service_lines(db)},
                            config=config, dovecot=False)
        made.append(d)
        d.start()
        inside = "/" + str(d.mux.relative_to(postfix.queue_dir))
        (chain.sasl_dir / "smtpd.conf").write_text(
            f"pwcheck_method: saslauthd\nmech_list: PLAIN LOGIN\nsaslauthd_path: {d.mux}\n")
        (chain.sasl_dir / "smtpd-chroot.conf").write_text(
            f"pwcheck_method: saslauthd\nmech_list: PLAIN LOGIN\nsaslauthd_path: {inside}\n")
        return d

    try:
        yield start
    finally:
        for d in made:
            rc = d.stop()
            shutil.rmtree(d.base, ignore_errors=True)
            assert rc == 0, f"pam-mysql-authd did not stop cleanly (rc={rc}):\n{d.describe()}"


def test_cyrus_to_authd_on_the_saslauthd_socket_is_all_ok_and_swaks_gets_235(chain, authd_cyrus, postfix):
    d = authd_cyrus()
    r = chain.check(smtp=True, daemons=[_Listed(d.pid)])
    bad = [ln for ln in verdicts(r.text) if not ln.startswith("OK")]
    assert r.returncode == 0 and bad == [], r.text
    assert "saslauthd running" not in r.text and "saslauthd -r" not in r.text, r.text
    assert_line(r.text, "OK", "saslauthd socket", f"served by pam-mysql-authd (pid {d.pid})", f"opens {d.mux}")
    inside = "/" + str(d.mux.relative_to(postfix.queue_dir))
    assert_line(r.text, "OK", "saslauthd socket", f"served by pam-mysql-authd (pid {d.pid})",
                f"chrooted to {postfix.queue_dir}) opens {postfix.queue_dir}{inside}")
    assert_line(r.text, "OK", "pam-mysql-authd configuration", f"pam-dir {d.pam_dir}", "join_realm yes")
    assert_line(r.text, "OK", "pam-mysql-authd join_realm", "yes")
    assert_line(r.text, "OK", f"pam-mysql-authd service {chain.postfix.pam_service}",
                f"{d.pam_dir}/{chain.postfix.pam_service}: 1 auth step(s), then the account check")
    assert_line(r.text, "OK", "saslauthd reachable as postfix", "inside the chroot")
    assert_line(r.text, "OK", "saslauthd round trip", 'OK for login "alice" realm "example.org"')
    assert_line(r.text, "OK", "row for user", USER)
    assert_line(r.text, "OK", f"SMTP 127.0.0.1:{postfix.port} AUTH PLAIN", "235")
    # A wrong password: the daemon's NO, and the module's own check agrees.
    r = chain.check(password=WRONG, daemons=[_Listed(d.pid)])
    assert r.returncode == 1, r.text
    assert_line(r.text, "FAIL", "saslauthd round trip", "NO", "535 5.7.8")
    # Postfix itself, through libsasl and the daemon's socket.
    chain.reload()
    s = postfix.smtp(auth="PLAIN", user=USER, password=PW)
    assert s.auth_code() == "235", s.describe()


def test_trap_authd_refuses_the_service_with_include(chain, authd_cyrus, db):
    d = authd_cyrus(lines=[*ah.service_lines(db), "@include common-auth"])
    r = chain.check(daemons=[_Listed(d.pid)])
    assert r.returncode == 1, r.text
    service = chain.postfix.pam_service
    assert_line(r.text, "FAIL", f"pam-mysql-authd service {service}", "the daemon refuses it",
                f"{d.pam_dir}/{service} line 3: @include is not followed", "454 4.7.0")
    # The daemon says the same when asked.
    assert ah.testsaslauthd(d.mux, "alice", PW, service=service, realm=REALM).ok is False


def test_trap_authd_join_realm_no_with_domain_names(chain, authd_cyrus, db):
    d = authd_cyrus(config="[daemon]\njoin_realm = no\n")
    r = chain.check(daemons=[_Listed(d.pid)])
    assert r.returncode == 1, r.text
    assert_line(r.text, "OK", "pam-mysql-authd configuration", str(d.config_path), "join_realm no")
    assert_line(r.text, "FAIL", "pam-mysql-authd join_realm", f'for "{USER}" the daemon looks up "alice"',
                "the table's names carry @domain", "535 5.7.8", f"join_realm = yes in [daemon] of {d.config_path}")
    assert_line(r.text, "FAIL", "saslauthd round trip", "NO")
    # Without a user named, the table alone says it.
    r = chain.check(user=None, password=None, daemons=[_Listed(d.pid)])
    assert_line(r.text, "FAIL", "pam-mysql-authd join_realm", "the table's names carry @domain")


def test_authd_service_section_wins_over_the_pam_dir_file(chain, authd_cyrus, db):
    """A [service NAME] section replaces <pam-dir>/NAME as a whole: the file the daemon would
    refuse is not read, and the module checks run on the section's options."""
    service = chain.postfix.pam_service
    section = (f"[service {service}]\nuser = {db.db_user}\npasswd = {db.db_password}\nhost = {db.tcp_host}\n"
               f"db = {db.db_name}\ntable = users\nusercolumn = username\npasswdcolumn = password\ncrypt = 0\n")
    d = authd_cyrus(config=section, lines=["@include common-auth"])
    r = chain.check(daemons=[_Listed(d.pid)])
    bad = [ln for ln in verdicts(r.text) if not ln.startswith("OK")]
    assert r.returncode == 0 and bad == [], r.text
    assert_line(r.text, "OK", f"pam-mysql-authd service {service}",
                f"[service {service}] in {d.config_path}: 1 auth step(s), then the account check")
    assert_line(r.text, "OK", "options", "resolved by pam-mysql-authd")
    assert_line(r.text, "OK", "row for user", USER)
    assert_line(r.text, "OK", "password")
    assert_line(r.text, "OK", "saslauthd round trip", 'OK for login "alice"')
    r = chain.check(password=WRONG, daemons=[_Listed(d.pid)])
    assert r.returncode == 1, r.text
    assert_line(r.text, "FAIL", "password")


def test_trap_authd_configuration_that_no_longer_loads(chain, authd_cyrus):
    """The file changed after the start: the running daemon keeps its configuration, the
    next start or SIGHUP refuses the new one; the check says so with the loader's message."""
    d = authd_cyrus(config="[daemon]\njoin_realm = yes\n")
    d.config_path.write_text("[daemon]\njoin_realm = perhaps\n")
    r = chain.check(daemons=[_Listed(d.pid)])
    assert r.returncode == 1, r.text
    assert_line(r.text, "FAIL", "pam-mysql-authd configuration", "join_realm", "refuses this one on SIGHUP",
                f"--config {d.config_path} --check-config")


def test_cyrus_to_a_socket_activated_authd(chain, postfix, smtp_service, db):
    """systemd-socket-activate holds the socket (as a socket unit's systemd would) and execs
    the daemon on the first connection: the check's connect() starts it, then follows it."""
    base = postfix.queue_dir / "var" / "run" / f"authd-{secrets.token_hex(4)}"
    (base / "pam.d").mkdir(parents=True)
    base.chmod(0o755)
    (base / "pam.d" / smtp_service.name).write_text(
        "".join(line.replace("{module}", str(ph.OUR_MODULE)) + "\n" for line in ah.service_lines(db)))
    mux = base / "mux"
    argv = ["systemd-socket-activate", "-l", str(mux), "--fdname=saslauthd", str(ah.require_authd()),
            "--pam-dir", str(base / "pam.d"), "--log", str(base / "authd.log"), "--control", str(base / "control")]
    out = open(base / "activate.out", "wb")
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True, env=ph.child_env())
    try:
        deadline = time.monotonic() + 10
        while not mux.exists():
            assert proc.poll() is None and time.monotonic() < deadline, (base / "activate.out").read_text()
            time.sleep(0.05)
        mux.chmod(0o666)  # SocketMode=0666, as the unit sets it
        assert Path(f"/proc/{proc.pid}/exe").resolve().name == "systemd-socket-activate"
        (chain.sasl_dir / "smtpd.conf").write_text(f"pwcheck_method: saslauthd\nmech_list: PLAIN LOGIN\nsaslauthd_path: {mux}\n")
        (chain.sasl_dir / "smtpd-chroot.conf").write_text(
            f"pwcheck_method: saslauthd\nmech_list: PLAIN LOGIN\nsaslauthd_path: /{mux.relative_to(postfix.queue_dir)}\n")
        r = chain.check(daemons=[_Listed(proc.pid)])
        bad = [ln for ln in verdicts(r.text) if not ln.startswith("OK")]
        assert r.returncode == 0 and bad == [], r.text
        assert_line(r.text, "OK", "saslauthd socket",
                    f"served by pam-mysql-authd (pid {proc.pid}, started by socket activation on this check's connect())")
        assert_line(r.text, "OK", "saslauthd round trip", 'OK for login "alice" realm "example.org"')
    finally:
        if proc.poll() is None:
            proc.send_signal(15)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait(5)
        out.close()
        shutil.rmtree(base, ignore_errors=True)
    assert proc.returncode == 0, f"rc={proc.returncode}"


@pytest.fixture
def authd_dovecot(chain, postfix, smtp_service, db):
    """Our daemon on a Dovecot-protocol socket in private/ (postfix:postfix 0660, as the
    socket unit makes it); smtpd_sasl_type = dovecot on both services."""
    name = f"authd-{secrets.token_hex(4)}"
    d = _authd_in_queue(postfix, services={smtp_service.name: ah.service_lines(db)}, saslauthd=False,
                        auth=postfix.queue_dir / "private" / name)
    try:
        d.start()
        shutil.chown(d.auth, "postfix", "postfix")
        chain.postconf("smtpd_sasl_type = dovecot", f"smtpd_sasl_path = private/{name}",
                       f"smtpd_sasl_service = {smtp_service.name}")
        master = postfix.config_dir / "master.cf"
        master.write_text(master.read_text().replace("  -o smtpd_sasl_path=smtpd-chroot\n", ""))
        yield d
    finally:
        rc = d.stop()
        shutil.rmtree(d.base, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            d.auth.unlink()
        assert rc == 0, f"pam-mysql-authd did not stop cleanly (rc={rc}):\n{d.describe()}"


def test_dovecot_type_to_authd_is_all_ok_and_swaks_gets_235(chain, authd_dovecot, postfix):
    d = authd_dovecot
    r = chain.check(smtp=True, daemons=[_Listed(d.pid)])
    bad = [ln for ln in verdicts(r.text) if not ln.startswith("OK")]
    assert r.returncode == 0 and bad == [], r.text
    assert_line(r.text, "OK", "Dovecot auth socket", str(d.auth), f"served by pam-mysql-authd (pid {d.pid})")
    assert_line(r.text, "OK", "Dovecot auth handshake", "MECH PLAIN", "DONE")
    assert_line(r.text, "OK", "Dovecot AUTH PLAIN", f"OK user={USER}")
    assert_line(r.text, "OK", "pam-mysql-authd configuration", f"pam-dir {d.pam_dir}")
    assert_line(r.text, "OK", f"pam-mysql-authd service {chain.postfix.pam_service}", f"{d.pam_dir}/")
    assert_line(r.text, "OK", "row for user", USER)
    r = chain.check(password=WRONG, daemons=[_Listed(d.pid)])
    assert r.returncode == 1, r.text
    assert_line(r.text, "FAIL", "Dovecot AUTH PLAIN", "535 5.7.8")
    chain.reload()
    s = postfix.smtp(auth="PLAIN", user=USER, password=PW)
    assert s.auth_code() == "235", s.describe()


def test_dovecot_socket_served_by_dovecot_is_named(chain, dovecot, postfix):
    chain.postconf("smtpd_sasl_type = dovecot", "smtpd_sasl_path = private/auth")
    pid = int((dovecot.dir / "run" / "master.pid").read_text().split()[0])
    # The auth listener belongs to dovecot/auth, a child of the master: show the tool them all.
    children = [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                                text=True).stdout.split()]
    r = chain.check(daemons=[_Listed(p) for p in (pid, *children)])
    line = assert_line(r.text, "OK", "Dovecot auth socket", f"{postfix.queue_dir}/private/auth", "served by ")
    assert "pam-mysql-authd" not in line and "pam-mysql-authd" not in r.text, r.text
