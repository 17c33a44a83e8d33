"""Harness for pam-mysql-authd (issue 14): the daemon started by the test, and
byte-level clients for its two protocols.

    AuthDaemon        `pam-mysql-authd --pam-dir DIR --saslauthd MUX --dovecot AUTH
                      --log FILE [--config FILE]` in the foreground, in its own
                      session, everything under one temporary directory; stopped
                      with SIGTERM, SIGKILL after a bound.
    SaslauthdClient   counted strings (saslauthd's mux protocol): raw writes,
                      half requests, the reply as OK / NO / EMPTY / CLOSED.
    DovecotClient     Dovecot's auth protocol as Postfix's xsasl_dovecot_server.c
                      speaks it: VERSION + CPID, the handshake up to DONE, AUTH
                      PLAIN/LOGIN with or without resp=, CONT, OK/FAIL/CONT replies.
    testsaslauthd(), doveadm_auth_test()   the real clients.

The binary comes from $AUTHD (default <repo>/build/pam-mysql-authd); a missing
binary fails the test (require_authd), it never skips.

Python 3.11 standard library only.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import dataclasses
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pamharness as ph

AUTHD = Path(os.environ.get("AUTHD", str(ph.BUILD_DIR / "pam-mysql-authd")))
TESTSASLAUTHD = "testsaslauthd"
DOVEADM = "doveadm"


def require_authd() -> Path:
    """The daemon binary, or a test failure that says how to get it."""
    import pytest

    if not (AUTHD.is_file() and os.access(AUTHD, os.X_OK)):
        pytest.fail(f"pam-mysql-authd not found at {AUTHD}: run `make` (builds build/pam-mysql-authd) "
                    "or set AUTHD=/path/to/pam-mysql-authd")
    return AUTHD


def service_lines(db: ph.MariaDB, module: str | os.PathLike = ph.OUR_MODULE, **options) -> list[str]:
    """auth + account lines of pam_mysql.so for a service file, as for saslauthd -a pam."""
    options.setdefault("crypt", 0)
    args = db.pam_args(**options)
    return [f"auth required {module} {args}", f"account required {module} {args}"]


def fast_timeouts(**options) -> dict:
    """Module options that make a stopped or frozen database answer within a few seconds."""
    return {"connect_timeout": 2, "read_timeout": 2, "write_timeout": 2, "login_timeout": 3, **options}


# --------------------------------------------------------------------------
# The daemon
# --------------------------------------------------------------------------


class AuthDaemon:
    """One pam-mysql-authd from a private directory:

        base/pam.d/<service>   the service files (write_service)
        base/mux               the saslauthd-protocol socket
        base/auth              the Dovecot-protocol socket
        base/authd.conf        the daemon's own file (0600), when config is given
        base/control           its control socket (--control)
        base/authd.log         --log FILE
        base/authd.out         its stdout and stderr
    """

    def __init__(self, services: Mapping[str, Sequence[str]] | None = None, *,
                 config: str | None = None, saslauthd: bool = True, dovecot: bool = True,
                 extra_args: Sequence[str] = (), base: Path | None = None,
                 mux: Path | None = None, auth: Path | None = None) -> None:
        self.binary = require_authd()  # before anything is created
        self.base = Path(base) if base else Path(tempfile.mkdtemp(prefix="pmtest-authd-"))
        self.base.chmod(0o755)
        self.pam_dir = self.base / "pam.d"
        self.pam_dir.mkdir(exist_ok=True)
        self.mux = Path(mux) if mux else (self.base / "mux" if saslauthd else None)
        self.auth = Path(auth) if auth else (self.base / "auth" if dovecot else None)
        self.log_path = self.base / "authd.log"
        self.out_path = self.base / "authd.out"
        self.control = self.base / "control"
        self.config_path = self.base / "authd.conf" if config is not None else None
        if config is not None:
            # 0600 root, as the daemon wants a file that may hold database passwords.
            fd = os.open(self.config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(config)
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen | None = None
        for name, lines in (services or {}).items():
            self.write_service(name, lines)

    def _before_exec(self) -> None:
        if not self.inherit_core_limit:
            ph._no_core_dumps()
        if self.run_as_group is not None:
            os.setgid(self.run_as_group)

    @property
    def argv(self) -> list[str]:
        # Its own control socket: the default (/run/pam-mysql-authd/control) is one per machine.
        argv = [str(self.binary), "--pam-dir", str(self.pam_dir), "--log", str(self.log_path),
                "--control", str(self.control)]
        if self.config_path is not None:
            argv += ["--config", str(self.config_path)]
        if self.mux is not None:
            argv += ["--saslauthd", str(self.mux)]
        if self.auth is not None:
            argv += ["--dovecot", str(self.auth)]
        return argv + self.extra_args

    def write_service(self, name: str, lines: Sequence[str | bytes]) -> Path:
        """<pam-dir>/<name>, replaced atomically ({module} -> our pam_mysql.so)."""
        data = b"".join(ph._as_bytes(line).replace(b"{module}", os.fsencode(str(ph.OUR_MODULE)))
                        .rstrip(b"\n") + b"\n" for line in lines)
        path = self.pam_dir / name
        tmp = path.with_name(f".{name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return path

    # -- lifecycle ------------------------------------------------------------

    def start(self, timeout: float = 20) -> "AuthDaemon":
        """Start and wait until every socket accepts connections.  On failure the process
        is stopped and the directory removed (destroy), the log kept in the error."""
        self.launch()
        deadline = time.monotonic() + timeout
        sockets = [p for p in (self.mux, self.auth) if p is not None]
        while True:
            if self.proc.poll() is not None:
                why = f"exited at start-up (rc={self.proc.returncode})"
                break
            if all(listening(p) for p in sockets):
                return self
            if time.monotonic() > deadline:
                why = f"not listening after {timeout}s"
                break
            time.sleep(0.05)
        text = self.describe()
        self.destroy()
        raise RuntimeError(f"pam-mysql-authd {why}:\n{text}")

    def run_until_exit(self, timeout: float = 10) -> int | None:
        """Start and wait for the process to end by itself (a start-up that must fail);
        None if it was still running after timeout (then it is stopped)."""
        self.launch()
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            return None

    # True: the daemon starts with this process's core limit instead of the harness's 0 (the
    # test that the daemon sets its own limit to 0).
    inherit_core_limit = False
    # A group to run the daemon under (uid stays 0): /proc/PID's files then show that group
    # while the process is dumpable and root's once it is not (the test of PR_SET_DUMPABLE).
    run_as_group: int | None = None

    def launch(self) -> None:
        out = open(self.out_path, "ab")
        try:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         env=ph.child_env(),
                                         preexec_fn=self._before_exec)
        finally:
            out.close()
        _live.add(self)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10) -> int | None:
        """SIGTERM, then SIGKILL after timeout; the exit status (negative: the signal).
        Safe to call twice."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGCONT)
                os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        _live.discard(self)
        return self.proc.returncode

    def reload(self, settle: float = 1.0) -> None:
        """SIGHUP (re-read everything), then wait until the daemon logged something
        new or settle seconds passed, and check it still serves."""
        mark = self.log_mark()
        os.kill(self.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline and len(self.log_text()) == mark:
            time.sleep(0.05)
        time.sleep(0.1)
        assert self.running, self.describe()

    def destroy(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    # -- its log ----------------------------------------------------------------

    def log_text(self) -> str:
        """What the daemon logged to --log FILE."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def output_text(self) -> str:
        """Its stdout and stderr (start-up errors before the log is open)."""
        try:
            return self.out_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_mark(self) -> int:
        return len(self.log_text())

    def log_since(self, mark: int) -> str:
        return self.log_text()[mark:]

    def wait_log(self, pattern: str, mark: int = 0, timeout: float = 5) -> re.Match | None:
        """The first match of the regex in the log after mark, waiting up to timeout."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.log_since(mark))
            if m or time.monotonic() > deadline:
                return m
            time.sleep(0.05)

    def describe(self) -> str:
        rc = None if self.proc is None else self.proc.poll()
        return (f"argv: {' '.join(self.argv)}\nrc={rc}\nlog:\n{self.log_text()[-6000:]}\n"
                f"output:\n{self.output_text()[-3000:]}")

    # -- clients ----------------------------------------------------------------

    def sasl(self, login, password, service="smtp", realm="", *extra, timeout: float = 15) -> "SaslReply":
        return SaslauthdClient(self.mux).request([login, password, service, realm, *extra], timeout=timeout)

    def testsaslauthd(self, user, password, service="smtp", realm=None, timeout: float = 30) -> "TestSaslauthd":
        return testsaslauthd(self.mux, user, password, service, realm, timeout)

    def dovecot(self, timeout: float = 10) -> "DovecotClient":
        return DovecotClient(self.auth, timeout=timeout)

    def doveadm(self, user, password, *fields: str, timeout: float = 30) -> "DoveadmResult":
        return doveadm_auth_test(self.auth, user, password, *fields, base=self.base, timeout=timeout)


_live: set[AuthDaemon] = set()


@atexit.register
def _stop_leftovers() -> None:
    for d in list(_live):
        d.stop()


@contextlib.contextmanager
def frozen(db: ph.MariaDB, timeout: float = 5):
    """db.frozen(), returning only once every thread of the server is stopped (SIGSTOP is
    delivered asynchronously: a query on a warm connection could still be answered)."""
    with db.frozen():
        deadline = time.monotonic() + timeout
        tasks = Path(f"/proc/{db.pid}/task")
        while time.monotonic() < deadline:
            states = []
            for t in tasks.iterdir():
                with contextlib.suppress(OSError):
                    stat = (t / "stat").read_bytes()
                    states.append(stat[stat.rindex(b")") + 2:stat.rindex(b")") + 3])
            if states and all(s in (b"T", b"t") for s in states):
                break
            time.sleep(0.01)
        yield db


def listening(path: Path | None) -> bool:
    """True when something accepts connections on the UNIX socket path."""
    if path is None:
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(2)
        try:
            s.connect(str(path))
        except OSError:
            return False
        return True


# The failure line (issue 14, Logs): `auth failure: user="..." service=S protocol=P rip=IP reason="..."`,
# keys in any order, values bare or double-quoted with backslash escapes.
_FAILURE_RE = re.compile(r"auth failure: (.*)$", re.M)
_KV_RE = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


def failure_lines(text: str) -> list[dict[str, str]]:
    """The daemon's `auth failure:` lines as dicts (quoted values unquoted, escapes kept)."""
    out = []
    for m in _FAILURE_RE.finditer(text):
        fields = {}
        for k, v in _KV_RE.findall(m[1]):
            fields[k] = v[1:-1] if v.startswith('"') and v.endswith('"') and len(v) >= 2 else v
        fields["_line"] = m[0]
        out.append(fields)
    return out


# --------------------------------------------------------------------------
# saslauthd protocol
# --------------------------------------------------------------------------


def counted(*fields: str | bytes) -> bytes:
    """Counted strings: 16-bit big-endian length, then the bytes."""
    out = b""
    for f in fields:
        b = ph._as_bytes(f)
        out += struct.pack(">H", len(b)) + b
    return out


@dataclasses.dataclass
class SaslReply:
    """kind: "OK", "NO" (text after it in .text), "EMPTY" (a 00 00 reply: temporary failure),
    "CLOSED" (connection closed before a whole reply), "TIMEOUT" (nothing within the bound),
    "BAD" (a reply that is neither); raw: the reply's bytes, count included."""

    kind: str
    text: str
    raw: bytes
    elapsed: float

    @property
    def ok(self) -> bool:
        return self.kind == "OK"


class SaslauthdClient:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def connect(self, timeout: float = 15) -> socket.socket:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(str(self.path))
        return s

    def request(self, fields: Sequence[str | bytes], timeout: float = 15) -> SaslReply:
        """One request, the whole query in one write as libsasl's writev does."""
        return self.exchange(counted(*fields), timeout=timeout)

    def exchange(self, data: bytes, timeout: float = 15, shut_wr: bool = False) -> SaslReply:
        t0 = time.monotonic()
        with self.connect(timeout) as s:
            s.sendall(data)
            if shut_wr:
                s.shutdown(socket.SHUT_WR)
            return read_sasl_reply(s, timeout, t0)


def _recv_exact(s: socket.socket, n: int, deadline: float) -> bytes:
    buf = b""
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        s.settimeout(left)
        chunk = s.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def read_sasl_reply(s: socket.socket, timeout: float, t0: float | None = None) -> SaslReply:
    t0 = time.monotonic() if t0 is None else t0
    deadline = t0 + timeout
    try:
        head = _recv_exact(s, 2, deadline)
        if len(head) < 2:
            return SaslReply("CLOSED", "", head, time.monotonic() - t0)
        (n,) = struct.unpack(">H", head)
        body = _recv_exact(s, n, deadline)
    except TimeoutError:
        return SaslReply("TIMEOUT", "", b"", time.monotonic() - t0)
    except ConnectionResetError:
        return SaslReply("CLOSED", "", b"", time.monotonic() - t0)
    raw = head + body
    elapsed = time.monotonic() - t0
    if len(body) < n:
        return SaslReply("CLOSED", body.decode(errors="replace"), raw, elapsed)
    if n == 0:
        return SaslReply("EMPTY", "", raw, elapsed)
    text = body.decode(errors="replace")
    if text == "OK" or text.startswith("OK "):
        return SaslReply("OK", text[3:], raw, elapsed)
    if text == "NO" or text.startswith("NO "):
        return SaslReply("NO", text[3:], raw, elapsed)
    return SaslReply("BAD", text, raw, elapsed)


@dataclasses.dataclass
class TestSaslauthd:
    """testsaslauthd's answer: ok True for `0: OK`, False for `0: NO`, None otherwise
    (e.g. a temporary failure, which testsaslauthd reports as an error)."""

    ok: bool | None
    line: str
    rc: int
    stderr: str

    __test__ = False  # not a pytest class

    def describe(self) -> str:
        return f"testsaslauthd rc={self.rc} stdout={self.line!r} stderr={self.stderr!r}"


def testsaslauthd(mux: Path, user, password, service="smtp", realm=None, timeout: float = 30) -> TestSaslauthd:
    """testsaslauthd -f MUX -u USER -p PASSWORD -s SERVICE [-r REALM]."""
    argv: list = [TESTSASLAUTHD, "-f", str(mux), "-u", user, "-p", password, "-s", service]
    if realm is not None:
        argv += ["-r", realm]
    proc = subprocess.run(argv, capture_output=True, timeout=timeout, env=ph.child_env())
    out = proc.stdout.decode(errors="replace").strip()
    ok = True if out.startswith("0: OK") else False if out.startswith("0: NO") else None
    return TestSaslauthd(ok, out, proc.returncode, proc.stderr.decode(errors="replace"))


testsaslauthd.__test__ = False


# --------------------------------------------------------------------------
# Dovecot auth protocol (client side)
# --------------------------------------------------------------------------


def b64(data: str | bytes) -> str:
    return base64.b64encode(ph._as_bytes(data)).decode()


def plain_response(user: str | bytes, password: str | bytes, authzid: str | bytes = "") -> str:
    """PLAIN's initial response: authzid NUL authcid NUL password, base64."""
    return b64(ph._as_bytes(authzid) + b"\0" + ph._as_bytes(user) + b"\0" + ph._as_bytes(password))


@dataclasses.dataclass
class Reply:
    """One server line: command (OK, FAIL, CONT, ...), id, the other fields
    (name=value pairs in .params, bare flags and data in .args)."""

    command: str
    id: str
    args: list[str]
    params: dict[str, str]
    line: bytes

    @classmethod
    def parse(cls, line: bytes) -> "Reply":
        parts = line.decode(errors="surrogateescape").split("\t")
        params, args = {}, []
        for p in parts[2:]:
            if "=" in p:
                k, _, v = p.partition("=")
                params[k] = v
            else:
                args.append(p)
        return cls(parts[0], parts[1] if len(parts) > 1 else "", args, params, line)


class DovecotClient:
    """A client connection as Postfix opens it: sends VERSION 1 0 and CPID at once,
    then reads the server's handshake up to DONE (handshake())."""

    def __init__(self, path: Path, timeout: float = 10, send_version: bool = True) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self.timeout = timeout
        self.buf = b""
        self.handshake_lines: list[bytes] = []
        self.closed = False
        if send_version:
            self.send(f"VERSION\t1\t0\nCPID\t{os.getpid()}\n".encode())

    def __enter__(self) -> "DovecotClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def send(self, data: bytes | str) -> None:
        """Send; a server that already closed the connection is noted (closed), not raised:
        reply() then returns None."""
        try:
            self.sock.sendall(ph._as_bytes(data))
        except (BrokenPipeError, ConnectionResetError):
            self.closed = True

    def readline(self, timeout: float | None = None) -> bytes | None:
        """One line without its LF; None when the server closed the connection
        (TimeoutError when nothing came within timeout)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no line from the server")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.closed = True
                return None
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line

    def handshake(self) -> list[bytes]:
        """The server's lines up to and including DONE."""
        while True:
            line = self.readline()
            if line is None:
                raise ConnectionError(f"closed during the handshake after {self.handshake_lines}")
            self.handshake_lines.append(line)
            if line == b"DONE":
                return self.handshake_lines

    @property
    def mechanisms(self) -> dict[str, list[str]]:
        mechs = {}
        for line in self.handshake_lines:
            parts = line.decode().split("\t")
            if parts[0] == "MECH":
                mechs[parts[1]] = parts[2:]
        return mechs

    def auth(self, rid: int | str, mech: str, *fields: str, service: str | None = "smtp",
             resp: str | None = None) -> None:
        """AUTH <id> <mech> [service=S] [fields...] [resp=R] (resp last, as Postfix sends it)."""
        parts = ["AUTH", str(rid), mech]
        if service is not None:
            parts.append(f"service={service}")
        parts += list(fields)
        if resp is not None:
            parts.append(f"resp={resp}")
        self.send("\t".join(parts) + "\n")

    def cont(self, rid: int | str, data: str) -> None:
        self.send(f"CONT\t{rid}\t{data}\n")

    def reply(self, timeout: float | None = None) -> Reply | None:
        line = self.readline(timeout)
        return None if line is None else Reply.parse(line)

    def plain(self, rid, user, password, *fields: str, authzid="", service: str | None = "smtp",
              initial: bool = True, timeout: float | None = None) -> Reply | None:
        """AUTH PLAIN, with the initial response (resp=) or after an empty CONT."""
        resp = plain_response(user, password, authzid)
        if initial:
            self.auth(rid, "PLAIN", *fields, service=service, resp=resp)
            return self.reply(timeout)
        self.auth(rid, "PLAIN", *fields, service=service)
        r = self.reply(timeout)
        if r is None or r.command != "CONT":
            return r
        self.cont(rid, resp)
        return self.reply(timeout)

    def login(self, rid, user, password, *fields: str, service: str | None = "smtp",
              timeout: float | None = None) -> tuple[list[Reply], Reply | None]:
        """AUTH LOGIN: the server's CONT prompts (Username:, Password:) and the final reply."""
        self.auth(rid, "LOGIN", *fields, service=service)
        conts = []
        for answer in (user, password):
            r = self.reply(timeout)
            if r is None or r.command != "CONT":
                return conts, r
            conts.append(r)
            self.cont(rid, b64(answer))
        return conts, self.reply(timeout)


def cont_prompt(reply: Reply) -> bytes:
    """The decoded challenge of a CONT line (its data field)."""
    data = reply.args[0] if reply.args else ""
    return base64.b64decode(data) if data else b""


# --------------------------------------------------------------------------
# doveadm auth test -a SOCKET
# --------------------------------------------------------------------------


@dataclasses.dataclass
class DoveadmResult:
    rc: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool | None:
        """True: "auth succeeded" (rc 0); False: "auth failed" (rc 77); None otherwise."""
        if self.rc == 0 and "auth succeeded" in self.stdout:
            return True
        if self.rc == 77 and "auth failed" in self.stdout + self.stderr:
            return False
        return None

    @property
    def temporary(self) -> bool:
        """doveadm's exit status 75 ("temp"): the connection was lost before an answer."""
        return self.rc == 75

    @property
    def extra_fields(self) -> dict[str, str]:
        out = {}
        for line in self.stdout.splitlines():
            line = line.strip()
            if "=" in line and not line.startswith("passdb"):
                k, _, v = line.partition("=")
                out[k] = v
        return out

    def describe(self) -> str:
        return f"doveadm rc={self.rc}\nstdout: {self.stdout}\nstderr: {self.stderr}"


def doveadm_auth_test(auth: Path, user: str, password: str, *fields: str, base: Path,
                      timeout: float = 30) -> DoveadmResult:
    """`doveadm -c EMPTY auth test -a SOCKET [-x field]... USER PASSWORD`.

    -c names an empty configuration in the daemon's directory: doveadm needs no
    /etc/dovecot and no running Dovecot for `auth test -a` (it only connects to the
    socket); fields go as `-x name=value` (e.g. service=smtp, rip=192.0.2.1)."""
    conf = base / "doveadm.conf"
    if not conf.exists():
        conf.write_text(f"base_dir = {base}/dovecot-run\n")
        (base / "dovecot-run").mkdir(exist_ok=True)
    argv = [DOVEADM, "-c", str(conf), "auth", "test", "-a", str(auth)]
    for f in fields:
        argv += ["-x", f]
    argv += [user, password]
    proc = subprocess.run(argv, capture_output=True, timeout=timeout, env=ph.child_env(),
                          stdin=subprocess.DEVNULL)
    return DoveadmResult(proc.returncode, proc.stdout.decode(errors="replace"),
                         proc.stderr.decode(errors="replace"))


# --------------------------------------------------------------------------
# Many idle connections
# --------------------------------------------------------------------------


def open_idle(path: Path, count: int, timeout: float = 60) -> tuple[list[socket.socket], int]:
    """Open count connections that send nothing; (sockets, how many failed).  A UNIX
    socket's connect fails with EAGAIN while the listen backlog is full: that one is
    retried (the server accepts at its own pace) until timeout."""
    socks, failed = [], 0
    deadline = time.monotonic() + timeout
    for _ in range(count):
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect(str(path))
            except BlockingIOError:
                s.close()
                if time.monotonic() < deadline:
                    time.sleep(0.005)
                    continue
                failed += 1
                break
            except OSError:
                s.close()
                failed += 1
                break
            socks.append(s)
            break
    return socks, failed


def raise_nofile(n: int) -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))


def close_all(socks: Iterable[socket.socket]) -> None:
    for s in socks:
        with contextlib.suppress(OSError):
            s.close()
