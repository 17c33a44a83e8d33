"""README "Quick start: Postfix SMTP AUTH": every command of it, run as written, in a sandbox.

The quick start's commands are the fenced blocks marked ```sh quickstart in README.md, in order.
They are split into commands (a trailing backslash continues a line, a here-document runs to its
delimiter) and each command is run with bash on a terminal of its own (a pty), so that the tool's
password prompts are answered as an administrator would answer them: the test waits for a prompt
and for echo to be off, then types README's example password.

The sandbox stands in for the Debian 12 host the quick start assumes:

    MariaDB   a private mariadbd (pamharness.MariaDB) in place of the system's server
    Postfix   a private instance run by `postfix -c DIR` (mailchain.Postfix), set up the way Debian
              installs it ("Internet Site": Debian's master.cf.dist, its main.cf settings, smtpd
              chrooted), on loopback ports, and started before the quick start: the running server
              that the quick start must not break
    saslauthd mailchain.Saslauthd, started with the flags of the sandbox's /etc/default/saslauthd
    PAM       a private service /etc/pam.d/pmtest-<random> in place of `smtp` (Postfix names it in
              smtpd_sasl_service, the one line the sandbox's main.cf adds to Debian's)

Nothing else changes in the commands than what REWRITES lists (paths, ports, the service name, the
instance a client talks to) and what ACTIONS lists (service management, done by the test for the
sandbox's daemons).  A command that still names a system path after rewriting is refused before
anything runs (SYSTEM_PATHS), so no command of the quick start can touch /etc/postfix, /etc/pam.d/smtp,
/etc/default/saslauthd, /etc/pam-mysql.conf, the spool or the system's MariaDB.  `adduser postfix sasl`
runs for real (the chrooted smtpd runs as postfix), and is undone at the end if the test did it.
"""

from __future__ import annotations

import dataclasses
import errno
import fcntl
import hashlib
import os
import re
import select
import shlex
import shutil
import socket
import subprocess
import termios
import time
from pathlib import Path
from typing import Callable

import pytest

import mailchain as mc
import pamharness as ph

README = ph.REPO / "README.md"
TOOL = ph.BUILD_DIR / "pam-mysql"

# README's example account.
USER = "alice@example.com"
PASSWORD = "Secret-Alice-1"

# The quick start must not write these (checked before and after the run).
POSTFIX_SYSTEM_DIR = Path("/etc/postfix")

# After rewriting, no command may still name one of these (as a whole path or word: the
# sandbox's own /tmp/…/etc/pam-mysql.conf is fine).
SYSTEM_PATHS = ("/etc/postfix", "/etc/pam.d/smtp", "/etc/default/saslauthd", "/etc/pam-mysql.conf",
                "/var/spool/postfix", "/run/mysqld", "systemctl", "service")


def system_paths_in(command: str) -> list[str]:
    return [p for p in SYSTEM_PATHS if re.search(r"(?<![\w./-])" + re.escape(p) + r"(?![\w-])", command)]


def quickstart_blocks(text: str) -> list[str]:
    """The bodies of the ```sh quickstart blocks, in order."""
    return re.findall(r"^```sh quickstart\n(.*?)^```$", text, re.M | re.S)


def split_commands(block: str) -> list[str]:
    """Shell commands of a block: backslash continuations and here-documents kept whole."""
    commands: list[str] = []
    lines = block.splitlines()
    i = 0
    while i < len(lines):
        cmd = [lines[i]]
        while cmd[-1].endswith("\\") and i + 1 < len(lines):
            i += 1
            cmd.append(lines[i])
        heredoc = re.search(r"<<-?'?(\w+)'?", "\n".join(cmd))
        if heredoc:
            while i + 1 < len(lines):
                i += 1
                cmd.append(lines[i])
                if lines[i] == heredoc[1]:
                    break
        if "\n".join(cmd).strip():
            commands.append("\n".join(cmd))
        i += 1
    return commands


@dataclasses.dataclass
class Sandbox:
    root: mc.MailRoot
    db: ph.MariaDB
    service: str
    postfix: "DebianPostfix"
    etc: Path
    saslauthd: mc.Saslauthd | None = None


# (pattern, replacement, why).  Applied in order to every command; {…} filled from the sandbox.
REWRITES: list[tuple[str, str, str]] = [
    (r"/etc/pam\.d/smtp\b", "/etc/pam.d/{service}", "the private PAM service's file"),
    (r"/etc/pam-mysql\.conf\b", "{etc}/pam-mysql.conf", "the config file"),
    (r"/etc/default/saslauthd\b", "{etc}/default/saslauthd", "saslauthd's settings"),
    (r"/etc/postfix\b", "{postfix_dir}", "Postfix's config_directory (postfix -c DIR)"),
    (r"/var/spool/postfix\b", "{spool}", "Postfix's queue_directory, smtpd's chroot"),
    (r"/run/mysqld/mysqld\.sock\b", "{db_socket}", "the MariaDB server's socket"),
    (r"(?<=required )pam_mysql\.so\b", "{module}", "the module as built (not installed)"),
    (r"(?<=pam-mysql check --postfix)(?= )", " --postfix-config {postfix_dir}", "postfix -c DIR"),
    (r"(?m)(^|(?<=\$\())pam-mysql(?= )", r"\g<1>{tool}", "the tool as built"),
    (r"(?m)^mysql(?= )", "mysql --socket={db_socket}", "the private server's root login"),
    (r"(?m)^postconf(?= )", "postconf -c {postfix_dir}", "postfix -c DIR"),
    (r"(?m)^postfix(?= )", "postfix -c {postfix_dir}", "postfix -c DIR"),
    (r"(?<= check )smtp(?= )|(?<= auth )smtp(?= )|(?<=-s )smtp(?= )", "{service}", "the PAM service"),
    (r"\bsubmission(?=/inet| inet)", "127.0.0.1:{submission_port}", "submission on a loopback port"),
    (r"--port 587\b", "--port {submission_port}", "submission on a loopback port"),
    (r"--port 25\b", "--port {smtp_port}", "smtp on a loopback port"),
]


def rewrite(command: str, box: Sandbox) -> str:
    values = {
        "service": box.service, "etc": box.etc, "postfix_dir": box.postfix.config_dir,
        "spool": box.root.spool, "db_socket": box.db.socket, "module": ph.OUR_MODULE, "tool": TOOL,
        "submission_port": box.postfix.chroot_port, "smtp_port": box.postfix.port,
    }
    for pattern, replacement, _why in REWRITES:
        command = re.sub(pattern, replacement.format(**values), command)
    return command


# --------------------------------------------------------------------------
# Service management, done for the sandbox's daemons
# --------------------------------------------------------------------------


def restart_saslauthd(box: Sandbox) -> str:
    """What Debian's init script does with /etc/default/saslauthd, for mailchain.Saslauthd:
    MECHANISMS must be pam, OPTIONS gives -c, -m DIR and -r."""
    settings = subprocess.run(
        ["bash", "-c", '. "$1"; printf "%s\\n%s\\n" "$MECHANISMS" "$OPTIONS"', "sh", str(box.etc / "default" / "saslauthd")],
        capture_output=True, text=True, check=True)
    mechanisms, options = settings.stdout.splitlines()
    assert mechanisms == "pam", f"MECHANISMS={mechanisms!r}: the quick start needs pam"
    argv = shlex.split(options)
    assert "-m" in argv, f"OPTIONS={options!r} has no -m"
    run_dir = Path(argv[argv.index("-m") + 1])
    assert run_dir == box.root.sasl_run, f"saslauthd's socket directory {run_dir} is not inside Postfix's chroot"
    if box.saslauthd is not None:
        assert box.saslauthd.stop() == []
    box.saslauthd = mc.Saslauthd(run_dir, realm="-r" in argv, cache="-c" in argv).start()
    return f"started {' '.join(box.saslauthd.argv)}"


def reload_postfix(box: Sandbox) -> str:
    r = box.postfix.postfix("reload")
    assert r.returncode == 0, r.stdout + r.stderr
    # The master opens the new listener at once; wait until it accepts.
    deadline = time.monotonic() + 20
    while not box.postfix.accepts(box.postfix.chroot_port):
        assert time.monotonic() < deadline, f"submission not listening after reload:\n{box.postfix.log_text()}"
        time.sleep(0.1)
    return "postfix -c DIR reload"


ACTIONS: dict[str, Callable[[Sandbox], str]] = {
    "systemctl enable saslauthd": lambda box: "boot-time only: nothing to do in the sandbox",
    "systemctl restart saslauthd": restart_saslauthd,
    "systemctl reload postfix": reload_postfix,
}


# --------------------------------------------------------------------------
# The sandbox's Postfix, as Debian installs it
# --------------------------------------------------------------------------


class DebianPostfix(mc.Postfix):
    """Debian's master.cf.dist and "Internet Site" main.cf, in the sandbox: `port` is its smtp
    (25) listener, `chroot_port` the port the quick start's submission service gets."""

    def write_config(self) -> None:
        cd = self.config_dir
        cd.mkdir(parents=True)
        self.data_dir.mkdir()
        shutil.chown(self.data_dir, "postfix", "postfix")
        self.data_dir.chmod(0o700)
        subprocess.run(
            [mc.OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=mail.pmtest.invalid",
             "-keyout", str(cd / "snakeoil.key"), "-out", str(cd / "snakeoil.pem")],
            check=True, capture_output=True, timeout=60)
        (cd / "snakeoil.key").chmod(0o600)
        # Debian's postinst for "Internet Site", with the sandbox's directories, loopback only,
        # and smtpd_sasl_service naming the private PAM service in place of the default smtp.
        (cd / "main.cf").write_text(f"""\
smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)
biff = no
append_dot_mydomain = no
readme_directory = no
compatibility_level = 3.6
smtpd_tls_cert_file = {cd / "snakeoil.pem"}
smtpd_tls_key_file = {cd / "snakeoil.key"}
smtpd_tls_security_level = may
smtp_tls_CApath = /etc/ssl/certs
smtp_tls_security_level = may
smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination
myhostname = mail.pmtest.invalid
alias_maps =
alias_database =
myorigin = $myhostname
mydestination = $myhostname, localhost
relayhost =
mynetworks = 127.0.0.0/8
mailbox_size_limit = 0
recipient_delimiter = +
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
queue_directory = {self.queue_dir}
data_directory = {self.data_dir}
mail_owner = postfix
setgid_group = postdrop
maillog_file = {self.maillog}
maillog_file_prefixes = {self.root.base}
smtpd_peername_lookup = no
smtpd_sasl_service = {self.pam_service}
""")
        dist = Path("/usr/share/postfix/master.cf.dist")
        master = dist.read_text()
        smtp_line = re.compile(r"^smtp +inet +n +- +y +- +- +smtpd$", re.M)
        assert smtp_line.search(master), f"{dist}: no chrooted smtp inet line"
        (cd / "master.cf").write_text(smtp_line.sub(f"127.0.0.1:{self.port} inet n - y - - smtpd", master))

    def accepts(self, port: int) -> bool:
        with socket.socket() as s:
            s.settimeout(1)
            return s.connect_ex(("127.0.0.1", port)) == 0

    def _listening(self) -> bool:
        return self.accepts(self.port)


def tree_digest(path: Path) -> str:
    """Names, modes, owners and contents of everything under path."""
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        st = p.lstat()
        h.update(f"{p}\0{st.st_mode}\0{st.st_uid}\0{st.st_gid}\0".encode())
        if p.is_file() and not p.is_symlink():
            h.update(p.read_bytes())
    return h.hexdigest()


# --------------------------------------------------------------------------
# Running a command on a terminal
# --------------------------------------------------------------------------

_PROMPT = re.compile(rb"[Pp]assword[^\n]*: $")


def run_on_terminal(command: str, env: dict[str, str], timeout: float = 120) -> tuple[int, str]:
    """bash -euo pipefail -c COMMAND with a pty as its controlling terminal; every password prompt
    is answered with PASSWORD once echo is off.  Returns (exit status, what the terminal showed)."""
    master, slave = os.openpty()

    def controlling_tty() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(["bash", "-euo", "pipefail", "-c", command], stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True, preexec_fn=controlling_tty, env=env, close_fds=True)
    os.close(slave)
    shown = b""
    answered_at = -1
    deadline = time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError as e:
                    if e.errno != errno.EIO:
                        raise
                    data = b""
                if not data:
                    break
                shown += data
            if _PROMPT.search(shown) and answered_at != len(shown):
                # The tool turns echo off after writing its prompt (TCSAFLUSH drops earlier input).
                echo_off = time.monotonic() + 5
                while termios.tcgetattr(master)[3] & termios.ECHO and time.monotonic() < echo_off:
                    time.sleep(0.01)
                os.write(master, PASSWORD.encode() + b"\n")
                answered_at = len(shown)
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"timed out: {command}\n{shown.decode(errors='replace')}")
            if not ready and proc.poll() is not None:
                # Drain what is left.
                while select.select([master], [], [], 0.2)[0]:
                    try:
                        data = os.read(master, 65536)
                    except OSError:
                        break
                    if not data:
                        break
                    shown += data
                break
        rc = proc.wait(30)
    finally:
        # Closed only after bash has exited: closing the terminal first would hang it up (SIGHUP).
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        os.close(master)
    return rc, shown.decode(errors="replace").replace("\r\n", "\n")


# --------------------------------------------------------------------------
# What each proving command must show (pattern on the README command, check on its output)
# --------------------------------------------------------------------------


def tool_has_postfix_check() -> bool:
    out = subprocess.run([str(TOOL), "check", "--help"], capture_output=True, text=True)
    return "--postfix" in out.stdout


def expect_check_ok(rc: int, out: str) -> None:
    assert rc == 0, out
    assert re.search(r"^\s*OK\b", out, re.M), out
    assert not re.search(r"^\s*FAIL\b", out, re.M), out


def expect_auth_ok(rc: int, out: str) -> None:
    assert rc == 0, out
    assert re.search(r"pam_authenticate: .*PAM_SUCCESS|pam_authenticate: .*\b0\b", out), out
    assert re.search(r"pam_acct_mgmt: .*PAM_SUCCESS|pam_acct_mgmt: .*\b0\b", out), out


def expect_saslauthd_ok(rc: int, out: str) -> None:
    assert rc == 0 and '0: OK "Success."' in out, out


def expect_postfix_check(rc: int, out: str) -> None:
    assert rc == 0, out
    assert "fatal" not in out, out


def expect_chain_check(rc: int, out: str) -> None:
    if tool_has_postfix_check():
        expect_check_ok(rc, out)
    else:
        # Until branch `chain` lands: the step is written, the tool refuses the option as unknown.
        assert rc != 0 and "--postfix" in out, out


def expect_submission_login(rc: int, out: str) -> None:
    result = mc.SmtpResult([], rc, out)
    assert result.auth_code() == "235", out
    reply = result.reply_after("RCPT TO")
    assert reply is not None and reply.startswith("250"), out


def expect_port_25_as_before(rc: int, out: str) -> None:
    result = mc.SmtpResult([], rc, out)
    assert not any(k.startswith("AUTH") for k in result.ehlo_keywords(after_tls=False)), out
    reply = result.reply_after("RCPT TO")
    assert reply is not None and reply.startswith("250"), out


# Commands that may exit non-zero (their expectation decides).
MAY_FAIL = {"pam-mysql check --postfix"}

EXPECTATIONS: list[tuple[str, Callable[[int, str], None]]] = [
    (r"^pam-mysql check smtp alice@example\.com --password$", expect_check_ok),
    (r"^pam-mysql auth smtp alice@example\.com$", expect_auth_ok),
    (r"^testsaslauthd ", expect_saslauthd_ok),
    (r"^postfix check$", expect_postfix_check),
    (r"^pam-mysql check --postfix ", expect_chain_check),
    (r"^swaks .*--port 587 .*--auth PLAIN", expect_submission_login),
    (r"^swaks .*--port 25 ", expect_port_25_as_before),
]


# --------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------


@pytest.fixture
def sandbox():
    before = tree_digest(POSTFIX_SYSTEM_DIR)
    was_in_sasl = mc.user_in_group("postfix", "sasl")
    root = mc.MailRoot()
    db = ph.MariaDB.create()
    service = mc.FixedPamService()
    etc = root.base / "etc"
    (etc / "default").mkdir(parents=True)
    etc.chmod(0o755)
    # Debian 12's /etc/default/saslauthd (sasl2-bin), whose OPTIONS line the quick start edits.
    (etc / "default" / "saslauthd").write_text(
        '#\n# Settings for saslauthd daemon\n#\nDESC="SASL Authentication Daemon"\nNAME="saslauthd"\n'
        'MECHANISMS="pam"\nMECH_OPTIONS=""\nTHREADS=5\nOPTIONS="-c -m /var/run/saslauthd"\n')
    postfix = DebianPostfix(root, service.name, root.sasl_run / "mux")
    box = Sandbox(root, db, service.name, postfix, etc)
    try:
        postfix.start()
        yield box
    finally:
        left = postfix.stop()
        if box.saslauthd is not None:
            left += box.saslauthd.stop()
        service.remove()
        db.destroy()
        root.destroy()
        if not was_in_sasl and mc.user_in_group("postfix", "sasl"):
            subprocess.run(["deluser", "postfix", "sasl"], check=True, capture_output=True)
        assert left == [], f"processes left: {left}"
        assert tree_digest(POSTFIX_SYSTEM_DIR) == before, "/etc/postfix changed"


def test_the_quick_start_runs_as_written(sandbox):
    box = sandbox
    blocks = quickstart_blocks(README.read_text())
    assert len(blocks) >= 6, "README's quick start has lost its ```sh quickstart blocks"
    commands = [c for b in blocks for c in split_commands(b)]

    # The server as Debian left it works before the quick start: mail from mynetworks, no AUTH.
    expect_port_25_as_before(0, box.postfix.smtp(tls=False, quit_after="RCPT", to="postmaster@localhost").output)

    env = ph.child_env({"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")})
    matched: set[str] = set()
    transcript = []
    for command in commands:
        if command in ACTIONS:
            transcript.append(f"$ {command}\n{ACTIONS[command](box)}")
            continue
        sandboxed = rewrite(command, box)
        leaked = system_paths_in(sandboxed)
        assert not leaked, f"refusing to run a command that names {leaked} after rewriting:\n{sandboxed}"
        rc, out = run_on_terminal(sandboxed, env)
        assert PASSWORD not in out, f"the password was echoed or printed by: {command}"
        transcript.append(f"$ {command}\n{out}")
        checks = [(p, f) for p, f in EXPECTATIONS if re.search(p, command)]
        if not any(command.startswith(m) for m in MAY_FAIL):
            assert rc == 0, f"{command}\n(run as)\n{sandboxed}\nexit {rc}:\n{out}"
        for pattern, check in checks:
            check(rc, out)
            matched.add(pattern)
    print("\n".join(transcript))  # shown with pytest -s: what an administrator would see
    missing = [p for p, _ in EXPECTATIONS if p not in matched]
    assert not missing, f"README's quick start lost its proving commands: {missing}"

    # The same chain refuses a wrong password (535), and port 25 still offers no AUTH.
    wrong = box.postfix.smtp(port=box.postfix.chroot_port, auth="PLAIN", user=USER, password=PASSWORD + "x")
    assert wrong.auth_code() == "535", wrong.describe()
    plain = box.postfix.smtp(port=box.postfix.chroot_port, tls=False, auth="PLAIN", user=USER, password=PASSWORD)
    assert plain.auth_code() != "235", plain.describe()
    # The stored value is the tool's yescrypt, the config file 0640 root.
    stored = box.db.sql("SELECT password FROM mailbox WHERE username = 'alice@example.com'", database="mail")
    assert stored and stored[0][0].startswith("$y$"), "pam-mysql hash did not store a yescrypt value"
    st = (box.etc / "pam-mysql.conf").stat()
    assert (st.st_mode & 0o777, st.st_uid, st.st_gid) == (0o640, 0, 0)


def test_the_rewrites_leave_no_system_path():
    """Each quick-start command, rewritten for a sandbox, names no system path (the guard above,
    checked on its own so a README edit that adds one fails even before anything starts)."""

    class Fake:
        config_dir, port, chroot_port = Path("/tmp/box/postfix"), 2525, 2587

    box = Sandbox(root=dataclasses.make_dataclass("R", [("spool", Path), ("sasl_run", Path)])(
        Path("/tmp/box/spool"), Path("/tmp/box/spool/var/run/saslauthd")),
        db=dataclasses.make_dataclass("D", [("socket", str)])("/tmp/box/mysqld.sock"),
        service="pmtest-x", postfix=Fake(), etc=Path("/tmp/box/etc"))
    commands = [c for b in quickstart_blocks(README.read_text()) for c in split_commands(b)]
    assert commands
    for command in commands:
        if command in ACTIONS:
            continue
        sandboxed = rewrite(command, box)
        assert not system_paths_in(sandboxed), sandboxed
        assert command.split()[0] in {"mysql", "pam-mysql", "install", "cat", "sed", "testsaslauthd", "mkdir",
                                      "adduser", "postconf", "postfix", "swaks"}, \
            f"a new kind of command in the quick start: list it here once REWRITES keep it in the sandbox:\n{command}"
