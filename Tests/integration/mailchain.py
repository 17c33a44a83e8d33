"""Harness for the mail chain: client -> Postfix smtpd -> Cyrus SASL ->
saslauthd -a pam -> PAM service -> module -> MariaDB.

Used by test_mail_chain.py (issue 3).  Everything here is private to one
temporary directory and stopped by PID:

    Saslauthd   `saslauthd -a pam [-r] [-c] -m DIR -n 2 -d`, in the foreground
                in its own session; check() runs testsaslauthd against it.
    Postfix     `postfix -c DIR start` with its own main.cf / master.cf,
                queue and data directories and maillog_file, smtpd on a free
                loopback port (chroot = n) plus a second, chrooted smtpd that
                reaches saslauthd at the Debian path /var/run/saslauthd/mux
                inside its chroot (the queue directory); smtp() runs swaks.
    MailRoot    the shared temporary directory: Postfix's queue directory
                holds var/run/saslauthd (root:sasl 0710), the run directory
                saslauthd -m uses, as on a Debian system with a chrooted smtpd.

Processes are found by session: saslauthd is started with setsid (the
master kills its whole process group on SIGTERM), and Postfix's master
daemonizes with setsid(), so every process of an instance has the master's
PID as its session ID.  PID 1 of these machines reaps orphans late, so a
zombie counts as gone.

Python 3.11 standard library only.
"""

from __future__ import annotations

import atexit
import dataclasses
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterable, Sequence

import pamharness as ph

SASLAUTHD = "saslauthd"
TESTSASLAUTHD = "testsaslauthd"
POSTFIX = "postfix"
POSTCONF = "postconf"
SWAKS = "swaks"
OPENSSL = "openssl"


# --------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------


def _proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, session id) of a live process, None if it is gone."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # comm (field 2) may contain spaces and parentheses: split after the last ')'.
    rest = data[data.rindex(b")") + 2:].split()
    return rest[0].decode(), int(rest[1]), int(rest[3])


def alive(pid: int) -> bool:
    """True if the process exists and is not a zombie."""
    st = _proc_stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def session_members(sid: int) -> list[int]:
    """Live (non-zombie) processes whose session ID is sid."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        st = _proc_stat(int(entry))
        if st is not None and st[2] == sid and st[0] not in ("Z", "X"):
            pids.append(int(entry))
    return sorted(pids)


def children_of(pid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _proc_stat(int(entry))
            if st is not None and st[1] == pid and st[0] not in ("Z", "X"):
                pids.append(int(entry))
    return sorted(pids)


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def processes_mentioning(text: str) -> list[int]:
    """Live processes with text in their command line or environment (a
    Postfix daemon's environment holds MAIL_CONFIG=<config dir>)."""
    needle = text.encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid() or not alive(int(entry)):
            continue
        for part in ("cmdline", "environ"):
            try:
                if needle in Path(f"/proc/{entry}/{part}").read_bytes():
                    found.append(int(entry))
                    break
            except OSError:
                pass
    return sorted(found)


def wait_gone(pids: Iterable[int], timeout: float) -> list[int]:
    """Wait until none of pids is alive; the ones still alive after timeout."""
    pids = list(pids)
    deadline = time.monotonic() + timeout
    while True:
        left = [p for p in pids if alive(p)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.02)


def socket_listening(path: Path) -> bool:
    """True when a process accepts connections on the Unix socket PATH."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(2)
        try:
            s.connect(str(path))
        except OSError:
            return False
        return True


def kill_all(pids: Iterable[int], sig: int) -> None:
    for p in pids:
        try:
            os.kill(p, sig)
        except ProcessLookupError:
            pass


def user_in_group(user: str, group: str) -> bool:
    g = grp.getgrnam(group)
    return user in g.gr_mem or pwd.getpwnam(user).pw_gid == g.gr_gid


# --------------------------------------------------------------------------
# The shared directory
# --------------------------------------------------------------------------


class MailRoot:
    """One temporary directory for saslauthd and Postfix.

    base/                    0755 (Postfix's users must traverse it)
      spool/                 Postfix queue_directory (and chroot)
        var/run/saslauthd/   saslauthd -m DIR: root:sasl 0710, as Debian's
                             init script creates /var/spool/postfix/var/run/saslauthd
      postfix/               Postfix config_directory: main.cf, master.cf,
        sasl/smtpd.conf      cert.pem, key.pem, sasl/ (Cyrus SASL app config)
      data/                  Postfix data_directory (postfix:, 0700)
      saslauthd-*/           run directories of saslauthd instances that
                             Postfix does not use
    """

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="pmtest-mail-"))
        self.base.chmod(0o755)
        self.spool = self.base / "spool"
        self.sasl_run = self.spool / "var" / "run" / "saslauthd"
        self.sasl_run.mkdir(parents=True)
        for d in (self.spool, self.spool / "var", self.spool / "var" / "run"):
            d.chmod(0o755)
        shutil.chown(self.sasl_run, "root", "sasl")
        self.sasl_run.chmod(0o710)

    def private_run_dir(self, name: str) -> Path:
        d = self.base / name
        d.mkdir(mode=0o700)
        return d

    def destroy(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


# --------------------------------------------------------------------------
# saslauthd
# --------------------------------------------------------------------------


@dataclasses.dataclass
class SaslResult:
    """One testsaslauthd answer: ok is True for "0: OK", False for "0: NO",
    None if the output was neither (crash, socket missing)."""

    ok: bool | None
    line: str
    rc: int
    stderr: str

    @property
    def answer(self) -> str:
        return {True: "OK", False: "NO", None: "ERROR"}[self.ok]

    def describe(self) -> str:
        return f"testsaslauthd rc={self.rc} stdout={self.line!r} stderr={self.stderr!r}"


class Saslauthd:
    """`saslauthd -a pam [-r] [-c] -m RUN_DIR -n 2 -d` in the foreground.

    The PAM service is whatever the client names (testsaslauthd -s, or
    Postfix's smtpd_sasl_service): one daemon serves every test's service,
    and libpam re-reads the service file on every request.
    """

    def __init__(self, run_dir: Path, *, realm: bool = True, cache: bool = False,
                 workers: int = 2, env: dict[str, str] | None = None) -> None:
        self.run_dir = Path(run_dir)
        # Extra environment (scripts/demo.py preloads the syslog capture to show the module's lines).
        self.extra_env = dict(env or {})
        self.mux = self.run_dir / "mux"
        self.log_path = self.run_dir.parent / f"{self.run_dir.name}.log"
        self.argv = [SASLAUTHD, "-a", "pam"]
        if cache:
            self.argv.append("-c")
        self.argv += ["-m", str(self.run_dir)]
        if realm:
            self.argv.append("-r")
        self.argv += ["-n", str(workers), "-d"]
        self.workers = workers
        self.proc: subprocess.Popen | None = None
        self.master_pid: int | None = None
        self.worker_pids: list[int] = []

    def start(self, timeout: float = 15) -> "Saslauthd":
        log = open(self.log_path, "ab")
        try:
            # setsid: the master signals its whole process group when it
            # stops, which must not be pytest's.
            self.proc = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, env=ph.child_env(self.extra_env),
            )
        finally:
            log.close()
        self.master_pid = self.proc.pid
        _live.add(self)
        # Ready when the socket exists and the workers are forked: with -n N
        # the master forks N-1 children and accepts itself too.
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"saslauthd exited at start-up ({self.proc.returncode}):\n"
                                   f"{self.log_text()}")
            text = self.log_text()
            text = text[:text.rfind("\n") + 1]  # complete lines only
            forked = {int(m) for m in re.findall(r"forked child: (\d+)\n", text)}
            workers = sorted(forked & set(children_of(self.master_pid)))
            if self.mux.exists() and len(workers) >= self.workers - 1:
                self.worker_pids = workers
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"saslauthd not ready after {timeout}s:\n{self.log_text()}")
            time.sleep(0.02)

    @property
    def pids(self) -> list[int]:
        return [p for p in [self.master_pid, *self.worker_pids] if p is not None]

    def running_pids(self) -> list[int]:
        """Live processes of this instance: the recorded ones and anything
        else in the master's session (workers forked to replace dead ones)."""
        if self.master_pid is None:
            return []
        return sorted(set(p for p in self.pids if alive(p)) | set(session_members(self.master_pid)))

    def stop(self, timeout: float = 10) -> list[int]:
        """SIGTERM to the master, SIGKILL to whatever is left after timeout.
        Returns the PIDs still alive afterwards (should be [])."""
        if self.master_pid is None:
            return []
        pids = self.running_pids()
        kill_all([self.master_pid], signal.SIGTERM)
        left = wait_gone(pids, timeout)
        if left:
            kill_all(left, signal.SIGKILL)
            left = wait_gone(left, 5)
        if self.proc is not None:
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        left = sorted(set(left) | set(session_members(self.master_pid)))
        if not left and not socket_listening(self.mux):
            # saslauthd does not always unlink its socket on SIGTERM (the
            # master and its children race on exit); a stale file would make
            # the next start on this directory look half-alive.
            try:
                self.mux.unlink()
            except FileNotFoundError:
                pass
        _live.discard(self)
        return left

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_mark(self) -> int:
        return len(self.log_text())

    def log_since(self, mark: int) -> str:
        return self.log_text()[mark:]

    def check(self, service: str, user: str | bytes, password: str | bytes,
              realm: str | bytes | None = None, timeout: float = 30) -> SaslResult:
        """testsaslauthd -f MUX -s SERVICE -u USER [-r REALM] -p PASSWORD."""
        argv: list[str | bytes] = [TESTSASLAUTHD, "-f", str(self.mux), "-s", str(service),
                                   "-u", user]
        if realm is not None:
            argv += ["-r", realm]
        argv += ["-p", password]
        proc = subprocess.run(argv, capture_output=True, timeout=timeout, env=ph.child_env())
        out = proc.stdout.decode(errors="replace").strip()
        ok = True if out.startswith("0: OK") else False if out.startswith("0: NO") else None
        return SaslResult(ok, out, proc.returncode, proc.stderr.decode(errors="replace"))


_live: set[Saslauthd] = set()


# --------------------------------------------------------------------------
# Postfix
# --------------------------------------------------------------------------

# main.cf lines of DEVELOPING.md "The mail chain tests" ({service}: the PAM service;
# the guide leaves smtpd_sasl_service at its default, smtp).
SMTP_AUTH_SETTINGS = [
    "smtpd_sasl_auth_enable = yes",
    "smtpd_sasl_type = cyrus",
    "smtpd_sasl_path = smtpd",
    "smtpd_sasl_service = {service}",
    "smtpd_tls_chain_files = {key}, {cert}",
    "smtpd_tls_security_level = may",
    "smtpd_tls_auth_only = yes",
    "smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination",
]

_MASTER_CF_SERVICES = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


# A server reply line in swaks' transcript: "<-" plain, "<~" over TLS,
# "<**" / "<~*" for an error reply (4xx/5xx).
_REPLY_RE = re.compile(r"^<(?:-|~|\*\*|~\*)\s+(\d{3}[ -].*)$", re.M)


@dataclasses.dataclass
class SmtpResult:
    """One swaks session: the transcript and the server's reply codes."""

    argv: list[str]
    rc: int
    output: str

    def replies(self) -> list[str]:
        """Server reply lines (swaks marks them '<-', '<~' over TLS, '<**'/'<~*' on error)."""
        return [m[1] for m in _REPLY_RE.finditer(self.output)]

    def reply_after(self, command: str) -> str | None:
        """The first server reply after the client line starting with command
        (e.g. 'AUTH', 'RCPT TO'), or None if the client never sent it."""
        lines = self.output.splitlines()
        for i, line in enumerate(lines):
            if re.match(r"^ [-~]> " + re.escape(command), line):
                for nxt in lines[i + 1:]:
                    m = _REPLY_RE.match(nxt)
                    if m:
                        return m[1]
                return None
        return None

    def auth_code(self) -> str | None:
        """The final reply code of the AUTH exchange (235, 535, ...)."""
        lines = self.output.splitlines()
        started = False
        code = None
        for line in lines:
            if re.match(r"^ [-~]> AUTH ", line):
                started = True
                continue
            if started:
                m = _REPLY_RE.match(line)
                if m:
                    code = m[1][:3]
                    if code != "334":
                        return code
        return code

    def ehlo_keywords(self, after_tls: bool) -> list[str]:
        """EHLO keywords of the plain (after_tls=False) or TLS session."""
        marker = "<~" if after_tls else "<-"
        kws = []
        for m in re.finditer(r"^" + re.escape(marker) + r"\s+250[ -](.*)$", self.output, re.M):
            kws.append(m[1].strip())
        return kws[1:]  # the first 250 line is the greeting to the EHLO name

    def describe(self) -> str:
        return f"{' '.join(self.argv)}\nrc={self.rc}\n{self.output}"


class Postfix:
    """A private Postfix instance run by `postfix -c CONFIG_DIR start`.

    Two smtpd listeners on loopback:
      port         chroot = n; Cyrus SASL app `smtpd` (sasl/smtpd.conf) with
                   saslauthd_path = the absolute socket path
      chroot_port  chroot = y (into the queue directory); SASL app
                   `smtpd-chroot` whose saslauthd_path is /var/run/saslauthd/mux,
                   the Debian layout (socket in /var/spool/postfix/var/run/saslauthd)
    Both use smtpd_sasl_service = pam_service, the PAM service saslauthd
    opens; the test writes that /etc/pam.d file.
    """

    def __init__(self, root: MailRoot, pam_service: str, mux: Path | None,
                 sasl_type: str = "cyrus", dovecot_path: str = "private/auth") -> None:
        """sasl_type "cyrus": Cyrus SASL with pwcheck_method saslauthd at mux (and the
        chroot listener at mux's path inside the queue directory); "dovecot":
        smtpd_sasl_type = dovecot, both listeners at smtpd_sasl_path = dovecot_path
        (relative to the queue directory, as Postfix's own docs write private/auth)."""
        if sasl_type not in ("cyrus", "dovecot"):
            raise ValueError(sasl_type)
        self.sasl_type = sasl_type
        self.dovecot_path = dovecot_path
        self.root = root
        self.config_dir = root.base / "postfix"
        self.queue_dir = root.spool
        self.data_dir = root.base / "data"
        self.maillog = root.base / "maillog"
        self.pam_service = pam_service
        self.mux = Path(mux) if mux is not None else None
        self.port = ph.free_port()
        self.chroot_port = ph.free_port()
        while self.chroot_port == self.port:
            self.chroot_port = ph.free_port()
        self.master_pid: int | None = None
        self.pids_seen: set[int] = set()

    # -- configuration ------------------------------------------------------

    def write_config(self) -> None:
        cd = self.config_dir
        (cd / "sasl").mkdir(parents=True)
        self.data_dir.mkdir()
        shutil.chown(self.data_dir, "postfix", "postfix")
        self.data_dir.chmod(0o700)
        # A throw-away self-signed certificate for STARTTLS.
        subprocess.run(
            [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=mail.pmtest.invalid",
             "-keyout", str(cd / "key.pem"), "-out", str(cd / "cert.pem")],
            check=True, capture_output=True, timeout=60,
        )
        (cd / "key.pem").chmod(0o600)
        chroot_mux = "/" + str(self.mux.relative_to(self.queue_dir)) if self.mux else None
        main_cf = f"""\
compatibility_level = 3.6
queue_directory = {self.queue_dir}
data_directory = {self.data_dir}
mail_owner = postfix
setgid_group = postdrop
maillog_file = {self.maillog}
maillog_file_prefixes = {self.root.base}
myhostname = mail.pmtest.invalid
mydomain = pmtest.invalid
myorigin = $myhostname
mydestination = $myhostname, localhost
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
alias_maps =
alias_database =
biff = no
smtpd_peername_lookup = no

# Debian's Postfix reads the Cyrus SASL application file from
# $config_directory/sasl whatever cyrus_sasl_config_path says (tried: a
# smtpd.conf only in cyrus_sasl_config_path is not read); set to the same.
cyrus_sasl_config_path = {cd / "sasl"}
"""
        (cd / "main.cf").write_text(main_cf)
        # The SMTP AUTH settings, applied with postconf -e exactly as the
        # layout of DEVELOPING.md "The mail chain tests" says.
        settings = [s.format(service=self.pam_service, key=cd / "key.pem", cert=cd / "cert.pem")
                    for s in SMTP_AUTH_SETTINGS]
        if self.sasl_type == "dovecot":
            settings = [s.replace("smtpd_sasl_type = cyrus", "smtpd_sasl_type = dovecot")
                        .replace("smtpd_sasl_path = smtpd", f"smtpd_sasl_path = {self.dovecot_path}")
                        for s in settings]
        r = subprocess.run([POSTCONF, "-c", str(cd), "-e", *settings],
                           capture_output=True, text=True, timeout=60, env=ph.child_env())
        if r.returncode != 0 or r.stderr:
            raise RuntimeError(f"postconf -e failed: {r.stderr}")
        chroot_sasl_path = "smtpd-chroot" if self.sasl_type == "cyrus" else self.dovecot_path
        master_cf = (
            f"127.0.0.1:{self.port} inet n - n - - smtpd\n"
            f"127.0.0.1:{self.chroot_port} inet n - y - - smtpd\n"
            f"  -o smtpd_sasl_path={chroot_sasl_path}\n"
            + _MASTER_CF_SERVICES
        )
        (cd / "master.cf").write_text(master_cf)
        if self.sasl_type == "cyrus":
            (cd / "sasl" / "smtpd.conf").write_text(
                f"pwcheck_method: saslauthd\nmech_list: PLAIN LOGIN\nsaslauthd_path: {self.mux}\n"
            )
            (cd / "sasl" / "smtpd-chroot.conf").write_text(
                f"pwcheck_method: saslauthd\nmech_list: PLAIN LOGIN\nsaslauthd_path: {chroot_mux}\n"
            )

    # -- lifecycle ------------------------------------------------------------

    def postfix(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([POSTFIX, "-c", str(self.config_dir), *args],
                              capture_output=True, text=True, timeout=timeout,
                              env=ph.child_env())

    def start(self, timeout: float = 20) -> "Postfix":
        self.write_config()
        # `postfix start` creates the queue directories itself; `check`
        # (about 2 s) is run anyway because the guide says to, and its output
        # (warnings) is kept for test_postfix_config_is_clean.
        chk = self.postfix("check")
        self.check_output = chk.stdout + chk.stderr
        if chk.returncode != 0:
            raise RuntimeError(f"postfix check failed:\n{self.check_output}\n{self.log_text()}")
        r = self.postfix("start")
        if r.returncode != 0:
            raise RuntimeError(f"postfix start failed:\n{r.stdout}{r.stderr}\n{self.log_text()}")
        _live_postfix.add(self)
        pid_file = self.queue_dir / "pid" / "master.pid"
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.master_pid = int(pid_file.read_text().strip())
            except (FileNotFoundError, ValueError):
                self.master_pid = None
            if self.master_pid and alive(self.master_pid) and self._listening():
                break
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"postfix not listening after {timeout}s:\n{self.log_text()}")
            time.sleep(0.05)
        self.pids_seen.update(session_members(self.master_pid))
        return self

    def reload(self, timeout: float = 20) -> None:
        """`postfix -c DIR reload` after a change to main.cf, master.cf or the SASL
        files: the master re-reads its configuration and replaces its children, so
        the next SMTP session sees the change.  Waits until both ports listen again."""
        r = self.postfix("reload")
        if r.returncode != 0:
            raise RuntimeError(f"postfix reload failed:\n{r.stdout}{r.stderr}\n{self.log_text()}")
        deadline = time.monotonic() + timeout
        # The old smtpd processes exit after the session they serve; wait for the
        # listeners of the (possibly changed) master.cf.
        time.sleep(0.3)
        while not self._listening():
            if time.monotonic() > deadline:
                raise RuntimeError(f"postfix not listening after reload:\n{self.log_text()}")
            time.sleep(0.05)
        self.pids_seen.update(session_members(self.master_pid))

    def _listening(self) -> bool:
        for port in (self.port, self.chroot_port):
            with socket.socket() as s:
                s.settimeout(1)
                if s.connect_ex(("127.0.0.1", port)) != 0:
                    return False
        return True

    def running_pids(self) -> list[int]:
        if self.master_pid is None:
            return []
        self.pids_seen.update(session_members(self.master_pid))
        return sorted(p for p in self.pids_seen if alive(p))

    def stop(self, timeout: float = 15) -> list[int]:
        """`postfix -c DIR stop`, wait for the master and its children;
        SIGKILL fallback.  Returns the PIDs still alive (should be [])."""
        if self.master_pid is None:
            try:  # started, but start() did not get to read the pid file
                self.master_pid = int((self.queue_dir / "pid" / "master.pid").read_text())
            except (OSError, ValueError):
                return []
        pids = self.running_pids()
        if pids:
            self.postfix("stop")
        left = wait_gone(pids, timeout)
        if left:
            kill_all(left, signal.SIGKILL)
            left = wait_gone(left, 5)
        left = sorted(set(left) | set(session_members(self.master_pid)))
        _live_postfix.discard(self)
        return left

    def log_text(self) -> str:
        try:
            return self.maillog.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- clients ---------------------------------------------------------------

    def smtp(self, *, tls: bool = True, auth: str | None = None, user: str | None = None,
             password: str | None = None, quit_after: str = "AUTH",
             to: str = "rcpt@example.net", port: int | None = None,
             timeout: float = 60) -> SmtpResult:
        """swaks --server 127.0.0.1:PORT [--tls] [--auth MECH --auth-user U
        --auth-password P] --to TO --quit-after STEP."""
        argv = [SWAKS, "--server", f"127.0.0.1:{port or self.port}", "--helo", "client.pmtest.invalid",
                "--from", "sender@pmtest.invalid", "--to", to]
        if tls:
            argv.append("--tls")
        if auth is not None:
            argv += ["--auth", auth, "--auth-user", user or "", "--auth-password", password or ""]
        argv += ["--quit-after", quit_after, "--timeout", "30"]
        proc = subprocess.run(argv, capture_output=True, timeout=timeout, env=ph.child_env(),
                              stdin=subprocess.DEVNULL)
        out = proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace")
        return SmtpResult(argv, proc.returncode, out)


_live_postfix: set[Postfix] = set()


@atexit.register
def stop_leftovers() -> None:
    """Safety net for a run whose fixture finalizers did not get to run."""
    for pf in list(_live_postfix):
        pf.stop()
    for d in list(_live):
        d.stop()


# --------------------------------------------------------------------------
# A PAM service file whose name is fixed (Postfix's smtpd_sasl_service) and
# whose content each test rewrites.
# --------------------------------------------------------------------------


class FixedPamService:
    def __init__(self) -> None:
        # pamharness writes /etc/pam.d/pmtest-<random>; take its name and
        # path, and keep it registered for its leftover cleanup.
        self.service = ph.write_pam_service("pam_deny.so", ["auth required {module}",
                                                            "account required {module}"])

    @property
    def name(self) -> str:
        return str(self.service)

    def write(self, module_path: str | os.PathLike, lines: Sequence[str]) -> None:
        """Replace the file's content atomically ({module} -> module_path)."""
        data = "".join(line.replace("{module}", str(module_path)) + "\n" for line in lines)
        tmp = self.service.path.with_name(f".{self.service.path.name}.tmp")
        tmp.write_text(data)
        os.replace(tmp, self.service.path)

    def remove(self) -> None:
        ph.remove_pam_service(self.service)
