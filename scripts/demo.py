#!/usr/bin/env python3
"""make demo: the real use, end to end, on loopback, in about a minute.

    swaks --auth PLAIN -> Postfix smtpd (chrooted, STARTTLS) -> Cyrus SASL -> saslauthd -a pam -r
          -> PAM service -> build/pam_mysql.so -> a throwaway MariaDB

A right password (235) and a wrong one (535); then one link broken (saslauthd restarted without -r),
what the administrator sees (535, the log lines), `pam-mysql check --postfix` naming the link, the
repair (235 again, the check all OK). Then the daemon's path, without saslauthd and PAM:

    swaks -> Postfix smtpd (smtpd_sasl_type = dovecot) -> private/auth -> build/pam-mysql-authd -> MariaDB

235, 535 and the daemon's log line for it, its counters (`pam-mysql-authd ctl status`), the
database stopped (454, not 535) and started again (235). Built from the test harness
(Tests/integration/pamharness.py, mailchain.py, authdharness.py): every process is private to a
temporary directory and stopped at the end, whatever happens (try/finally); /etc/postfix is not
touched. The only change outside the temporary directories: a /etc/pam.d/pmtest-* file, removed at
the end, and the postfix user in group sasl (what the quick start asks for), undone at the end if
the demo did it.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Tests" / "integration"))
import authdharness as ah  # noqa: E402
import mailchain as mc  # noqa: E402
import pamharness as ph  # noqa: E402

MODULE = REPO / "build" / "pam_mysql.so"
TOOL = REPO / "build" / "pam-mysql"
AUTHD = REPO / "build" / "pam-mysql-authd"

USER, PASSWORD = "alice@example.com", "Secret-Alice-1"
OTHERS = [
    # (user, password, scheme, active)
    ("bob@example.com", "this is a passwd", "bcrypt", 1),
    ("carol@example.com", "Secret-Carol-1", "sha512-crypt", 0),
]


def bold(text: str) -> str:
    return f"\033[1m{text}\033[0m" if sys.stdout.isatty() else text


def heading(n: int, text: str) -> None:
    print()
    print(bold(f"{n}. {text}"))


def show(command: str, lines: list[str] | str, keep=lambda line: True) -> None:
    """The command as an administrator would type it, then the lines of its output worth seeing."""
    print(f"   $ {command}")
    for line in (lines.splitlines() if isinstance(lines, str) else lines):
        if line.strip() and keep(line):
            print(f"     {line}")


def hash_password(password: str, scheme: str) -> str:
    r = subprocess.run([str(TOOL), "hash", "--scheme", scheme, "--password-stdin"], input=password + "\n",
                       capture_output=True, text=True, check=True)
    return r.stdout.strip()


class SyslogFile:
    """What the module logs inside saslauthd (no syslog daemon here: the test harness's
    LD_PRELOAD capture writes each syslog() call to a file)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "syslog"
        self.mark = 0

    @property
    def env(self) -> dict[str, str]:
        return {"LD_PRELOAD": str(ph.SYSLOG_CAPTURE), "PAM_MYSQL_TEST_SYSLOG": str(self.path)}

    def new_lines(self) -> list[str]:
        try:
            text = self.path.read_text(errors="replace")
        except FileNotFoundError:
            return []
        new, self.mark = text[self.mark:], len(text)
        return [f"syslog: {line.split(' ', 1)[1]}" for line in new.splitlines() if "pam_mysql" in line]


def maillog_since(postfix: mc.Postfix, mark: int) -> tuple[list[str], int]:
    text = postfix.log_text()
    lines = [line.split(": ", 1)[-1] for line in text[mark:].splitlines()
             if "SASL" in line or "sasl" in line or "authentication" in line]
    return [f"mail.log: {line}" for line in lines], len(text)


class SaslauthdLog:
    """saslauthd's own "auth success/failure" lines (its -d output)."""

    def __init__(self, saslauthd: mc.Saslauthd) -> None:
        self.saslauthd, self.mark = saslauthd, saslauthd.log_mark()

    def new_lines(self) -> list[str]:
        whole = self.saslauthd.log_text()
        text, self.mark = whole[self.mark:], len(whole)
        return [f"saslauthd: {m[0]}" for m in re.finditer(r"auth (?:success|failure): .*", text)]


class DaemonLog:
    """pam-mysql-authd's outcome lines (its --log file): the stable "auth failure: user=..." shape."""

    def __init__(self, daemon: ah.AuthDaemon) -> None:
        self.daemon, self.mark = daemon, daemon.log_mark()

    def new_lines(self) -> list[str]:
        whole = self.daemon.log_text()
        text, self.mark = whole[self.mark:], len(whole)
        return [f"pam-mysql-authd: {m[0]}" for m in re.finditer(r"auth (?:failure|unavailable): .*", text)]


def swaks(postfix: mc.Postfix, password: str) -> mc.SmtpResult:
    return postfix.smtp(port=postfix.chroot_port, auth="PLAIN", user=USER, password=password, quit_after="AUTH")


def swaks_line(postfix: mc.Postfix, password: str) -> str:
    return (f"swaks --server 127.0.0.1:{postfix.chroot_port} --tls --auth PLAIN --auth-user {USER} "
            f"--auth-password '{password}' --quit-after AUTH")


def smtp_session(n: int, title: str, postfix: mc.Postfix, logs: list, password: str) -> str | None:
    """One swaks session, then what Postfix and each of `logs` (objects with new_lines()) logged for it."""
    heading(n, title)
    mark = len(postfix.log_text())
    for log in logs:
        log.new_lines()
    r = swaks(postfix, password)
    show(swaks_line(postfix, password), r.output, keep=lambda line: "AUTH" in line[:12] or line[4:7] in ("235", "535", "454"))
    time.sleep(0.3)  # postlogd writes the maillog a moment after the session
    logged, _ = maillog_since(postfix, mark)
    for log in logs:
        logged += log.new_lines()
    for line in logged:
        print(f"     {line}")
    return r.auth_code()


class ChainCheck:
    """`pam-mysql check --postfix` as the chain tests run it: the tool sees only the demo's saslauthd
    (PAM_MYSQL_PROC_ROOT: a folder holding a link to its /proc entry; other saslauthd processes may
    run on this machine), a private /etc/default/saslauthd that says how it was started
    (PAM_MYSQL_SASLAUTHD_DEFAULTS) and no stray smtpd.conf copies (PAM_MYSQL_SASL_ELSEWHERE)."""

    def __init__(self, postfix: mc.Postfix, workdir: Path) -> None:
        self.postfix, self.base = postfix, workdir / "check-view"
        self.base.mkdir()
        (self.base / "elsewhere").mkdir()
        self.runs = 0

    def run(self, saslauthd: mc.Saslauthd | None) -> tuple[str, list[str], int]:
        """The command line, the verdict lines, the exit status."""
        self.runs += 1
        proc = self.base / f"proc-{self.runs}"
        proc.mkdir()
        if saslauthd is not None:
            (proc / str(saslauthd.master_pid)).symlink_to(f"/proc/{saslauthd.master_pid}")
            flags = " ".join(a for a in saslauthd.argv[3:] if a not in ("-d", "-n", str(saslauthd.workers)))
            (self.base / "default-saslauthd").write_text(f'MECHANISMS="pam"\nOPTIONS="{flags}"\n')
        else:
            (self.base / "default-saslauthd").write_text('START=no\nMECHANISMS="pam"\nOPTIONS=""\n')
        env = ph.child_env({
            "PAM_MYSQL_PROC_ROOT": str(proc),
            "PAM_MYSQL_SASLAUTHD_DEFAULTS": str(self.base / "default-saslauthd"),
            "PAM_MYSQL_SASL_ELSEWHERE": str(self.base / "elsewhere"),
        })
        r = subprocess.run([str(TOOL), "check", "--postfix", "--postfix-config", str(self.postfix.config_dir), USER,
                            "--password-stdin"], input=PASSWORD + "\n", capture_output=True, text=True, env=env,
                           timeout=120)
        verdicts = [line for line in (r.stdout + r.stderr).splitlines() if line[:4] in ("OK  ", "WARN", "FAIL")]
        command = f"pam-mysql check --postfix --postfix-config {self.postfix.config_dir} {USER} --password-stdin"
        return command, verdicts, r.returncode


def diagnose_with_check_postfix(check: ChainCheck, saslauthd: mc.Saslauthd | None,
                                ok_steps: tuple[str, ...] = ()) -> int:
    """The check's FAIL and WARN lines, and the OK lines of ok_steps (once each: both smtpd services
    are followed, and a link shows under each), wrapped for a terminal; the other OK lines counted."""
    command, verdicts, rc = check.run(saslauthd)
    print(f"   $ {command}")
    shown: list[str] = []
    for line in verdicts:
        if (not line.startswith("OK") or line[6:].startswith(ok_steps)) and line not in shown:
            shown.append(line)
            head, _, fix = line.partition(" -- fix: ")
            print(textwrap.fill(head, width=110, initial_indent="     ", subsequent_indent="           "))
            if fix:
                print(textwrap.fill(f"fix: {fix}", width=110, initial_indent="           ",
                                    subsequent_indent="           "))
    counts = {v: sum(line.startswith(v) for line in verdicts) for v in ("OK", "WARN", "FAIL")}
    print(f"     ({counts['OK']} OK, {counts['WARN']} WARN, {counts['FAIL']} FAIL over both smtpd services; "
          f"exit status {rc})")
    return rc


def switch_postfix_to_daemon(postfix: mc.Postfix) -> None:
    """smtpd_sasl_type = dovecot, smtpd_sasl_path = private/auth (relative to the queue directory,
    which is also the chrooted smtpd's root), on every smtpd: the chrooted one had its own -o."""
    settings = ["smtpd_sasl_type = dovecot", "smtpd_sasl_path = private/auth"]
    subprocess.run([mc.POSTCONF, "-c", str(postfix.config_dir), "-e", *settings], check=True, capture_output=True)
    override = f"127.0.0.1:{postfix.chroot_port}/inet/smtpd_sasl_path=private/auth"
    subprocess.run([mc.POSTCONF, "-c", str(postfix.config_dir), "-P", override], check=True, capture_output=True)
    for line in settings:
        print(f"   $ postconf -e '{line}'")
    print(f"   $ postconf -P '{override}'   (the chrooted smtpd's own -o in master.cf)")
    postfix.reload()
    print(f"   $ postfix -c {postfix.config_dir} reload")


def main() -> int:
    for built in (MODULE, TOOL, AUTHD):
        if not built.exists():
            print(f"{built} is missing: run make first", file=sys.stderr)
            return 1
    ph.ensure_helpers()
    results: dict[str, str | None] = {}
    checks: dict[str, int] = {}
    server = root = service = postfix = saslauthd = daemon = None
    added_to_sasl = False
    workdir = Path(tempfile.mkdtemp(prefix="pmdemo-"))
    try:
        heading(1, "A throwaway MariaDB on loopback, and the users' table")
        server = ph.MariaDB.create()
        print(f"   datadir and socket under {server.basedir}, listening on {server.tcp_host}")
        server.add_user(USER, hash_password(PASSWORD, "yescrypt"))
        for user, password, scheme, active in OTHERS:
            server.add_user(user, hash_password(password, scheme), active=active)
        print("   stored values made with `pam-mysql hash --scheme S` (random salts):")
        for user, stored, active in server.sql("SELECT username, password, active FROM users ORDER BY id"):
            print(f"     {user:<20} {stored[:7]}…  active={active}")

        heading(2, "The PAM service, the database password in a 0640 config file")
        conf = workdir / "pam-mysql.conf"
        conf.write_text(
            f"users.host = {server.socket}\nusers.db_user = {server.db_user}\nusers.db_passwd = {server.db_password}\n"
            "users.database = pamtest\nusers.table = users\nusers.user_column = username\n"
            "users.password_column = password\nusers.password_crypt = 1\nusers.status_column = IF(active=1,0,1)\n")
        conf.chmod(0o640)
        service = mc.FixedPamService()
        pam_lines = [f"auth    required {MODULE} config_file={conf}", f"account required {MODULE} config_file={conf}"]
        service.write(MODULE, pam_lines)
        for line in service.service.path.read_text().splitlines():
            print(f"   {service.service.path}: {line}")
        r = subprocess.run([str(TOOL), "check", service.name, USER, "--password-stdin"], input=PASSWORD + "\n",
                           capture_output=True, text=True)
        show(f"pam-mysql check {service.name} {USER} --password-stdin", r.stdout + r.stderr,
             keep=lambda line: not line.startswith("=="))

        heading(3, "saslauthd -a pam -r, its socket inside Postfix's chroot")
        root = mc.MailRoot()
        syslog = SyslogFile(workdir)
        saslauthd = mc.Saslauthd(root.sasl_run, realm=True, env=syslog.env).start()
        print(f"   $ {' '.join(saslauthd.argv)}")
        r = saslauthd.check(service.name, "alice", PASSWORD, realm="example.com")
        show(f"testsaslauthd -f {saslauthd.mux} -s {service.name} -u alice -r example.com -p '{PASSWORD}'", r.line)

        heading(4, "A private Postfix (postfix -c DIR), smtpd chrooted as on Debian")
        if not mc.user_in_group("postfix", "sasl"):
            subprocess.run(["adduser", "postfix", "sasl"], check=True, capture_output=True)
            added_to_sasl = True
            print("   $ adduser postfix sasl   (undone at the end)")
        postfix = mc.Postfix(root, service.name, saslauthd.mux).start()
        conf_lines = subprocess.run([mc.POSTCONF, "-c", str(postfix.config_dir), "-n"], capture_output=True,
                                    text=True).stdout
        show(f"postconf -c {postfix.config_dir} -n | grep sasl", conf_lines, keep=lambda line: "sasl" in line)
        print("     (the test harness's layout, AUTH on every smtpd; README's quick start enables it on the")
        print("     submission service only, with -o overrides, and leaves port 25 as it was)")
        smtpd_conf = postfix.config_dir / "sasl" / "smtpd-chroot.conf"
        show(f"cat {smtpd_conf}", smtpd_conf.read_text())
        check = ChainCheck(postfix, workdir)

        def sasl_logs() -> list:
            return [SaslauthdLog(saslauthd), syslog]

        results["right"] = smtp_session(5, "SMTP AUTH PLAIN, the right password", postfix, sasl_logs(), PASSWORD)
        results["wrong"] = smtp_session(6, "The wrong password", postfix, sasl_logs(), PASSWORD + "x")

        heading(7, "One link broken: saslauthd restarted without -r")
        saslauthd.stop()
        saslauthd = mc.Saslauthd(root.sasl_run, realm=False, env=syslog.env).start()
        print(f"   $ {' '.join(saslauthd.argv)}")
        results["broken"] = smtp_session(8, "The right password, now refused", postfix, sasl_logs(), PASSWORD)
        print("     -> the administrator sees only \"authentication failed\"")
        heading(9, "What names the broken link: the whole chain checked, link by link")
        print("   (pointed at the demo's saslauthd and at a private copy of /etc/default/saslauthd)")
        checks["broken"] = diagnose_with_check_postfix(check, saslauthd)

        heading(10, "Repaired: saslauthd with -r again")
        saslauthd.stop()
        saslauthd = mc.Saslauthd(root.sasl_run, realm=True, env=syslog.env).start()
        print(f"   $ {' '.join(saslauthd.argv)}")
        results["repaired"] = smtp_session(11, "The right password", postfix, sasl_logs(), PASSWORD)
        heading(12, "The chain checked again")
        checks["repaired"] = diagnose_with_check_postfix(check, saslauthd)

        heading(13, "Without saslauthd and PAM: pam-mysql-authd, Dovecot's protocol, Postfix's private/auth")
        saslauthd.stop()
        saslauthd = None
        print("   saslauthd stopped; the daemon reads the same pam.d lines (a copy in its --pam-dir here)")
        private = root.spool / "private"  # made by Postfix: postfix-owned, 0700
        daemon = ah.AuthDaemon({service.name: pam_lines}, saslauthd=False, auth=private / "auth",
                               base=root.private_run_dir("authd")).start()
        # What the socket unit gives it: SocketUser=postfix, SocketMode=0660.
        shutil.chown(daemon.auth, "postfix", "postfix")
        os.chmod(daemon.auth, 0o660)
        print(f"   $ {' '.join(daemon.argv)} &")
        switch_postfix_to_daemon(postfix)
        conf_lines = subprocess.run([mc.POSTCONF, "-c", str(postfix.config_dir), "-n"], capture_output=True,
                                    text=True).stdout
        show(f"postconf -c {postfix.config_dir} -n | grep sasl", conf_lines,
             keep=lambda line: line.startswith(("smtpd_sasl_type", "smtpd_sasl_path")))
        print("   The chain check follows the new path too (Dovecot's protocol, a round trip to the daemon):")
        checks["authd"] = diagnose_with_check_postfix(check, None, ok_steps=("Dovecot AUTH PLAIN",))

        def daemon_logs() -> list:
            return [DaemonLog(daemon)]

        results["authd right"] = smtp_session(14, "SMTP AUTH PLAIN through the daemon", postfix, daemon_logs(),
                                              PASSWORD)
        results["authd wrong"] = smtp_session(15, "The wrong password: 535, and the daemon's line for fail2ban",
                                              postfix, daemon_logs(), PASSWORD + "x")
        heading(16, "The daemon's counters, over its root-only control socket")
        r = subprocess.run([str(AUTHD), "ctl", "--control", str(daemon.control), "status"], capture_output=True,
                           text=True, timeout=60)
        show(f"pam-mysql-authd ctl --control {daemon.control} status", r.stdout + r.stderr,
             keep=lambda line: line.startswith(("requests", "connections_accepted", "OK", "ERROR")))
        checks["ctl"] = r.returncode

        with server.stopped():
            results["authd database down"] = smtp_session(
                17, "The database stops: 454, a temporary failure (not 535: the password was never checked)",
                postfix, daemon_logs(), PASSWORD)
        results["authd database back"] = smtp_session(18, "The database is back: 235 again", postfix, daemon_logs(),
                                                      PASSWORD)
    finally:
        print()
        print(bold("Stopping everything the demo started"))
        left: list[int] = []
        if postfix is not None:
            left += postfix.stop()
        if saslauthd is not None:
            left += saslauthd.stop()
        if daemon is not None:
            daemon.stop()
            if daemon.running:
                left.append(daemon.pid)
        if service is not None:
            service.remove()
        if server is not None:
            server.destroy()
        if root is not None:
            root.destroy()
        if added_to_sasl:
            subprocess.run(["deluser", "postfix", "sasl"], check=True, capture_output=True)
        subprocess.run(["rm", "-rf", str(workdir)], check=False)
        print("   left running: " + (", ".join(map(str, left)) if left else "nothing"))
    expected = {"right": "235", "wrong": "535", "broken": "535", "repaired": "235", "authd right": "235",
                "authd wrong": "535", "authd database down": "454", "authd database back": "235"}
    expected_checks = {"broken": 1, "repaired": 0, "authd": 0, "ctl": 0}
    print()
    if results == expected and checks == expected_checks and not left:
        print("Done. saslauthd + PAM: 235, 535, 535 with saslauthd's -r missing (check: FAIL naming -r), 235 once")
        print("repaired (check: no FAIL). pam-mysql-authd: 235, 535, 454 with the database down, 235 once it is back.")
        print("Next: README.md (quick start, troubleshooting, \"Postfix without saslauthd\"), man pam-mysql-authd.")
        return 0
    print(f"Unexpected: SMTP replies {results} (expected {expected}); check/ctl exit statuses {checks} "
          f"(expected {expected_checks})", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
