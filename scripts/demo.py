#!/usr/bin/env python3
"""make demo: the real use, end to end, on loopback, in about a minute.

    swaks --auth PLAIN -> Postfix smtpd (chrooted, STARTTLS) -> Cyrus SASL -> saslauthd -a pam -r
          -> PAM service -> build/pam_mysql.so -> a throwaway MariaDB

A right password (235) and a wrong one (535); then one link broken (saslauthd restarted without -r),
what the administrator sees (535, the log lines), the tool naming the link, the repair (235 again);
and the database stopped. Built from the test harness (Tests/integration/pamharness.py and
mailchain.py): every process is private to a temporary directory and stopped at the end, whatever
happens (try/finally); /etc/postfix is not touched. The only change outside the temporary
directories: a /etc/pam.d/pmtest-* file, removed at the end, and the postfix user in group sasl
(what the quick start asks for), undone at the end if the demo did it.
"""
from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Tests" / "integration"))
import mailchain as mc  # noqa: E402
import pamharness as ph  # noqa: E402

MODULE = REPO / "build" / "pam_mysql.so"
TOOL = REPO / "build" / "pam-mysql"

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


def swaks(postfix: mc.Postfix, password: str) -> mc.SmtpResult:
    return postfix.smtp(port=postfix.chroot_port, auth="PLAIN", user=USER, password=password, quit_after="AUTH")


def swaks_line(postfix: mc.Postfix, password: str) -> str:
    return (f"swaks --server 127.0.0.1:{postfix.chroot_port} --tls --auth PLAIN --auth-user {USER} "
            f"--auth-password '{password}' --quit-after AUTH")


def smtp_session(n: int, title: str, postfix: mc.Postfix, saslauthd: mc.Saslauthd, syslog: SyslogFile,
                 password: str) -> str | None:
    heading(n, title)
    mark = len(postfix.log_text())
    sasl_mark = saslauthd.log_mark()
    syslog.new_lines()
    r = swaks(postfix, password)
    show(swaks_line(postfix, password), r.output, keep=lambda line: "AUTH" in line[:12] or line[4:7] in ("235", "535", "454"))
    logged, _ = maillog_since(postfix, mark)
    said = [f"saslauthd: {m[0]}" for m in re.finditer(r"auth (?:success|failure): .*", saslauthd.log_since(sasl_mark))]
    for line in logged + said + syslog.new_lines():
        print(f"     {line}")
    return r.auth_code()


def diagnose_with_check_postfix(postfix: mc.Postfix, service: str) -> None:
    """LEAD: wire this once branch `chain` has landed (`pam-mysql check --postfix`): it should print
    the FAIL line naming saslauthd's missing -r. Until then it says what the command will be and
    shows today's check of the PAM service, which passes: the broken link is before PAM."""
    command = f"pam-mysql check --postfix --postfix-config {postfix.config_dir} {USER} --password-stdin"
    has_postfix = "--postfix" in subprocess.run([str(TOOL), "check", "--help"], capture_output=True, text=True).stdout
    if has_postfix:
        r = subprocess.run([str(TOOL), "check", "--postfix", "--postfix-config", str(postfix.config_dir), USER,
                            "--password-stdin"], input=PASSWORD + "\n", capture_output=True, text=True)
        show(command, r.stdout + r.stderr)
    else:
        print(f"   ({command} comes with the chain check; this build's tool has no --postfix yet)")
    r = subprocess.run([str(TOOL), "check", service, USER, "--password-stdin"], input=PASSWORD + "\n",
                       capture_output=True, text=True)
    show(f"pam-mysql check {service} {USER} --password-stdin", r.stdout + r.stderr,
         keep=lambda line: line.startswith(("OK    row", "OK    password", "FAIL", "WARN")))
    print("     -> PAM, the module and the database accept alice@example.com: the name that reaches PAM is wrong")


def main() -> int:
    for built in (MODULE, TOOL):
        if not built.exists():
            print(f"{built} is missing: run make first", file=sys.stderr)
            return 1
    ph.ensure_helpers()
    results: dict[str, str | None] = {}
    server = root = service = postfix = saslauthd = None
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
        service.write(MODULE, [f"auth    required {{module}} config_file={conf}",
                               f"account required {{module}} config_file={conf}"])
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

        results["right"] = smtp_session(5, "SMTP AUTH PLAIN, the right password", postfix, saslauthd, syslog, PASSWORD)
        results["wrong"] = smtp_session(6, "The wrong password", postfix, saslauthd, syslog, PASSWORD + "x")

        heading(7, "One link broken: saslauthd restarted without -r")
        saslauthd.stop()
        saslauthd = mc.Saslauthd(root.sasl_run, realm=False, env=syslog.env).start()
        print(f"   $ {' '.join(saslauthd.argv)}")
        results["broken"] = smtp_session(8, "The right password, now refused", postfix, saslauthd, syslog, PASSWORD)
        print("     -> PAM was asked for \"alice\": the table holds \"alice@example.com\"")
        heading(9, "What names the broken link")
        diagnose_with_check_postfix(postfix, service.name)

        heading(10, "Repaired: saslauthd with -r again")
        saslauthd.stop()
        saslauthd = mc.Saslauthd(root.sasl_run, realm=True, env=syslog.env).start()
        print(f"   $ {' '.join(saslauthd.argv)}")
        results["repaired"] = smtp_session(11, "The right password", postfix, saslauthd, syslog, PASSWORD)

        heading(12, "The database stops: PAM_AUTHINFO_UNAVAIL at once, no hang")
        with server.stopped():
            result = ph.run_pamtester(service.service, USER, [PASSWORD])
            print(f"   $ pamtester {service.name} {USER} authenticate")
            print(f"     {result.name} ({result.code}) after {result.elapsed:.2f} s")
            for _priority, message in result.module_log:
                print(f"     syslog: {message}")
    finally:
        print()
        print(bold("Stopping everything the demo started"))
        left: list[int] = []
        if postfix is not None:
            left += postfix.stop()
        if saslauthd is not None:
            left += saslauthd.stop()
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
    expected = {"right": "235", "wrong": "535", "broken": "535", "repaired": "235"}
    print()
    if results == expected and not left:
        print("Done: 235, 535, 535 with saslauthd's -r missing, 235 once repaired.")
        print("Next: README.md (quick start, troubleshooting), pam-mysql check --help, man pam_mysql.")
        return 0
    print(f"Unexpected SMTP replies: {results} (expected {expected})", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
