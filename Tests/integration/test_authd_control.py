"""pam-mysql-authd's control socket (--control PATH): root only (mode 0600 in a 0700 directory,
and SO_PEERCRED), one command per line, every reply ending in one OK/ERROR line, bounded lines,
never a live socket taken over, the file removed at stop."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import pamharness as ph

AUTHD = Path(os.environ.get("AUTHD", str(ph.BUILD_DIR / "pam-mysql-authd")))

# A client of the control protocol: one command, the reply's lines up to OK/ERROR (or EOF).
CLIENT = r"""
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(15)
try:
    s.connect(sys.argv[1])
    s.sendall(sys.argv[2].encode() + b"\n")
    data = b""
    while not any(l.startswith((b"OK", b"ERROR")) for l in data.split(b"\n")[:-1]):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except OSError as e:
    print("client error:", e.__class__.__name__, e.errno)
    sys.exit(2)
sys.stdout.write(data.decode())
"""


class Daemon:
    def __init__(self, base: Path, control: Path) -> None:
        if not (AUTHD.is_file() and os.access(AUTHD, os.X_OK)):
            pytest.fail(f"pam-mysql-authd not found at {AUTHD}: run `make`")
        (base / "pam.d").mkdir(exist_ok=True)
        stamp = time.monotonic_ns()
        self.base, self.control, self.log = base, control, base / f"authd-{stamp}.log"
        self.proc = subprocess.Popen(
            [str(AUTHD), "--pam-dir", str(base / "pam.d"), "--saslauthd", str(base / f"mux-{stamp}"),
             "--control", str(control), "--log", str(self.log)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, env=ph.child_env())

    def wait_log(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log_text():
            assert time.monotonic() < deadline, f"no {text!r} in:\n{self.log_text()}"
            time.sleep(0.05)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        return self.proc.returncode


@pytest.fixture
def daemon():
    # Under /tmp with mode 0755 all the way (pytest's tmp_path is in a 0700 folder), so that only
    # the socket's own mode and the peer check keep another user out.
    base = Path(tempfile.mkdtemp(prefix="authd-control-"))
    os.chmod(base, 0o755)
    d = Daemon(base, base / "run" / "control")
    d.wait_log("control: listening on")
    yield d
    d.stop()
    shutil.rmtree(base, ignore_errors=True)


def control(daemon: Daemon, command: str, *wrap: str) -> subprocess.CompletedProcess:
    return subprocess.run([*wrap, sys.executable, "-c", CLIENT, str(daemon.control), command],
                          capture_output=True, text=True, timeout=60)


def test_socket_is_root_only_and_status_ends_with_ok(daemon):
    info, folder = daemon.control.lstat(), daemon.control.parent.stat()
    assert stat.S_ISSOCK(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600, oct(info.st_mode)
    assert stat.S_IMODE(folder.st_mode) == 0o700, oct(folder.st_mode)
    r = control(daemon, "status")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[-1] == "OK", lines
    assert [line.split()[0] for line in lines[:3]] == ["uptime_seconds", "connections_open", "connections_accepted"]
    assert all(line.startswith(("requests ", "defence ")) for line in lines[3:-1]), lines
    # The brute-force defences' counters (issue 15), after the requests.
    assert [line.split()[1] for line in lines if line.startswith("defence ")] == [
        "address_limit_refusals", "penalty_delay_milliseconds", "penalty_delays", "user_locks"], lines
    daemon.wait_log("control: status")


@pytest.mark.parametrize(
    "command, reply",
    [
        ("reload", "OK configuration reloaded"),
        ("flush", "OK flushed 0 result cache entries and 0 verification cache entries (all services; the result cache is off)"),
        ("flush smtp alice",
         "OK flushed 0 result cache entries and 0 verification cache entries (user alice of service smtp; the result cache is off)"),
        ("unlock alice", "ERROR the user lock is off (user_lock_failures = 0)"),
        ("unlock", "ERROR wrong arguments for unlock; usage: unlock USER"),
        ("flush ../x", "ERROR invalid service name '../x' (no '/', no '..', not empty)"),
        ("shutdown", "ERROR unknown command 'shutdown'; commands: status, reload, flush [SERVICE [USER]], unlock USER"),
    ],
)
def test_commands_and_their_replies(daemon, command, reply):
    r = control(daemon, command)
    assert r.stdout.splitlines() == [reply], r.stdout + r.stderr


def test_a_peer_that_is_not_root_is_refused_even_when_the_mode_lets_it_in(daemon):
    os.chmod(daemon.control.parent, 0o755)
    os.chmod(daemon.control, 0o666)
    r = control(daemon, "status", "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
    assert "OK" not in r.stdout and "uptime_seconds" not in r.stdout, r.stdout
    daemon.wait_log("control: refused a connection from uid 65534", timeout=5)
    assert control(daemon, "status").stdout.splitlines()[-1] == "OK"  # root still is served


def test_several_commands_on_one_connection_and_an_overlong_line_closes_it(daemon):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(str(daemon.control))
        s.sendall(b"unlock a\r\nbogus\x00\n")
        data = b""
        while data.count(b"\n") < 2:
            chunk = s.recv(4096)
            assert chunk, data
            data += chunk
        s.sendall(b"x" * 5000)
        # The daemon answers and closes with bytes of ours unread: the kernel may turn that into a
        # reset that swallows the answer, but never into a connection left open.
        try:
            while chunk := s.recv(4096):
                data += chunk
        except ConnectionResetError:
            pass
    replies = data.split(b"\n")
    assert replies[:2] == [b"ERROR the user lock is off (user_lock_failures = 0)", b"ERROR the command is not printable text"], data
    assert replies[2:] in ([b"ERROR line longer than 1024 bytes", b""], [b""]), data
    daemon.wait_log("control: line longer than 1024 bytes; connection closed", timeout=5)


def test_a_live_control_socket_is_never_taken_over_and_the_file_goes_at_stop(daemon):
    second = Daemon(daemon.base, daemon.control)
    try:
        second.wait_log("another process listens on it")
        assert second.proc.wait(15) == 1, second.log_text()
    finally:
        second.stop()
    assert daemon.control.is_socket()  # the second daemon left the first one's socket alone
    assert control(daemon, "status").stdout.splitlines()[-1] == "OK"
    assert daemon.stop() == 0
    assert not daemon.control.exists()


# --------------------------------------------------------------------------
# pam-mysql-authd ctl [--control PATH] COMMAND [ARG...]: the client of this socket
# --------------------------------------------------------------------------


def ctl(*args: str, wrap: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([*wrap, str(AUTHD), "ctl", *args], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def test_ctl_status_prints_the_counters_and_exits_0(daemon):
    r = ctl("--control", str(daemon.control), "status")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert [line.split()[0] for line in lines[:3]] == ["uptime_seconds", "connections_open", "connections_accepted"]
    assert all(re.fullmatch(r"\w+ \d+", line) for line in lines[:3]), lines
    assert lines[-1] == "OK" and r.stderr == "", r.stdout + r.stderr
    # The same reply a raw client of the socket reads.
    raw = control(daemon, "status").stdout.splitlines()
    assert [line.split()[0] for line in raw] == [line.split()[0] for line in lines]


def test_ctl_joins_its_words_into_one_command_line(daemon):
    r = ctl("--control", str(daemon.control), "reload")
    assert (r.returncode, r.stdout) == (0, "OK configuration reloaded\n"), r.stdout + r.stderr
    daemon.wait_log("control: reload")
    # Two words, one line: the daemon's own error for the second argument proves both arrived.
    r = ctl("--control", str(daemon.control), "flush", "../x")
    assert (r.returncode, r.stdout) == (1, "ERROR invalid service name '../x' (no '/', no '..', not empty)\n"), r


def test_ctl_unknown_command_prints_the_error_and_exits_1(daemon):
    r = ctl("--control", str(daemon.control), "shutdown", "now")
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout.splitlines() == [
        "ERROR unknown command 'shutdown'; commands: status, reload, flush [SERVICE [USER]], unlock USER"], r.stdout
    assert daemon.proc.poll() is None  # still serving
    assert ctl("--control", str(daemon.control), "status").returncode == 0


def test_ctl_missing_socket_exits_69_and_says_why(tmp_path):
    missing = tmp_path / "no-daemon" / "control"
    r = ctl("--control", str(missing), "status")
    assert r.returncode == 69, r.stdout + r.stderr
    assert r.stdout == ""
    assert r.stderr.strip() == f"pam-mysql-authd ctl: {missing}: connect: No such file or directory", r.stderr


def test_ctl_socket_nobody_listens_on_exits_69(tmp_path):
    # A socket file left behind by a daemon that died: it exists, nothing accepts.
    stale = tmp_path / "control"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(stale))
    s.close()
    r = ctl("--control", str(stale), "status")
    assert r.returncode == 69, r.stdout + r.stderr
    assert r.stderr.strip() == f"pam-mysql-authd ctl: {stale}: connect: Connection refused", r.stderr


def test_ctl_refused_peer_exits_69(daemon):
    os.chmod(daemon.control.parent, 0o755)
    os.chmod(daemon.control, 0o666)
    nobody = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
    r = ctl("--control", str(daemon.control), "status", wrap=nobody)
    assert r.returncode == 69, r.stdout + r.stderr
    assert "uptime_seconds" not in r.stdout and "OK" not in r.stdout, r.stdout
    assert "closed the connection before it answered" in r.stderr, r.stderr


def test_ctl_without_a_command_is_a_usage_error_and_the_daemon_form_is_unchanged(tmp_path):
    r = ctl("--control", str(tmp_path / "control"))
    assert r.returncode == 64, r.stdout + r.stderr
    assert "a command is needed" in r.stderr, r.stderr
    # No subcommand: the daemon itself, with its options (here: nothing to listen on, exit 1).
    helped = subprocess.run([str(AUTHD), "--help"], capture_output=True, text=True, timeout=30)
    assert helped.returncode == 0 and "--dovecot" in helped.stdout and "ctl" in helped.stdout, helped.stdout
    started = subprocess.run([str(AUTHD), "--pam-dir", str(tmp_path), "--log", "stderr"], capture_output=True,
                             text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert started.returncode == 1 and "nothing to listen on" in started.stderr, started.stderr
