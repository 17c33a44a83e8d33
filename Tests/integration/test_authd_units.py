"""pam-mysql-authd's systemd units (packaging/systemd/) and the daemon under them.

These machines run no systemd as PID 1, so each part is checked with what exists:
  * the unit files with `systemd-analyze verify` (ExecStart pointed at the built binary,
    Documentation= resolved against man/), and their settings read back as data;
  * socket activation with `systemd-socket-activate`, which listens, execs the daemon on the
    first connection and passes LISTEN_FDS/LISTEN_FDNAMES as systemd does: the daemon must
    serve each socket with the protocol its FileDescriptorName names, whatever the order;
  * Type=notify with a NOTIFY_SOCKET datagram listener of the test's own: READY=1 once it
    serves, STOPPING=1 at SIGTERM, then a clean exit.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

import pamharness as ph

UNITS = ph.REPO / "packaging" / "systemd"
AUTHD = Path(os.environ.get("AUTHD", str(ph.BUILD_DIR / "pam-mysql-authd")))
SERVICE = "pam-mysql-authd.service"
DOVECOT_SOCKET = "pam-mysql-authd-dovecot.socket"
SASLAUTHD_SOCKET = "pam-mysql-authd-saslauthd.socket"
PASSWORD = "Units-pw-71q"


def require_authd() -> Path:
    if not (AUTHD.is_file() and os.access(AUTHD, os.X_OK)):
        pytest.fail(f"pam-mysql-authd not found at {AUTHD}: run `make` (builds build/pam-mysql-authd)")
    return AUTHD


def unit_entries(path: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) in file order; systemd allows a key more than once."""
    entries, section = [], ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        entries.append((section, key.strip(), value.strip()))
    return entries


def unit_values(path: Path, section: str, key: str) -> list[str]:
    return [v for s, k, v in unit_entries(path) if s == section and k == key]


def unit_value(path: Path, section: str, key: str) -> str:
    values = unit_values(path, section, key)
    assert len(values) == 1, f"{path.name} [{section}] {key}: {values}"
    return values[0]


@pytest.fixture
def verify_dir(tmp_path) -> Path:
    """The units with ExecStart on the built binary, and a man tree with pam-mysql-authd.8."""
    authd = require_authd()
    units = tmp_path / "units"
    units.mkdir()
    for unit in UNITS.iterdir():
        text = unit.read_text()
        if unit.name == SERVICE:
            assert "ExecStart=/usr/sbin/pam-mysql-authd " in text
            text = text.replace("ExecStart=/usr/sbin/pam-mysql-authd ", f"ExecStart={authd} ")
        (units / unit.name).write_text(text)
    man8 = tmp_path / "man" / "man8"
    man8.mkdir(parents=True)
    shutil.copy(ph.REPO / "man" / "pam-mysql-authd.8", man8 / "pam-mysql-authd.8")
    return units


def analyze_verify(units: Path, *names: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MANPATH": str(units.parent / "man"), "SYSTEMD_LOG_LEVEL": "notice"}
    return subprocess.run(["systemd-analyze", "verify", *[f"./{n}" for n in names]], cwd=units,
                          capture_output=True, text=True, timeout=120, env=env)


def test_units_are_exactly_the_three_shipped():
    assert sorted(p.name for p in UNITS.iterdir()) == sorted([SERVICE, DOVECOT_SOCKET, SASLAUTHD_SOCKET])


def test_systemd_analyze_verify_finds_nothing(verify_dir):
    r = analyze_verify(verify_dir, SERVICE, DOVECOT_SOCKET, SASLAUTHD_SOCKET)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stderr.strip() == "", r.stderr


def test_systemd_analyze_verify_reports_a_broken_unit(verify_dir):
    # The check above can fail: a typo and a missing binary are both reported.
    broken = verify_dir / DOVECOT_SOCKET
    broken.write_text(broken.read_text().replace("SocketMode=", "SocketMod="))
    service = verify_dir / SERVICE
    service.write_text(service.read_text().replace(f"ExecStart={AUTHD} ", "ExecStart=/nonexistent/pam-mysql-authd "))
    r = analyze_verify(verify_dir, SERVICE, DOVECOT_SOCKET)
    assert "SocketMod" in r.stderr, r.stderr
    assert "/nonexistent/pam-mysql-authd" in r.stderr, r.stderr


def test_service_settings():
    unit = UNITS / SERVICE
    expected = {
        "Type": "notify",
        "ExecStart": "/usr/sbin/pam-mysql-authd --config /etc/pam-mysql-authd.conf",
        "ExecReload": "/bin/kill -HUP $MAINPID",
        "Restart": "on-failure",
        "User": "pam-mysql-authd",
        "Group": "pam-mysql-authd",
        "RuntimeDirectory": "pam-mysql-authd",
        "RuntimeDirectoryMode": "0700",
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "PrivateTmp": "yes",
        "ProtectHome": "yes",
        "CapabilityBoundingSet": "",
    }
    assert {k: unit_value(unit, "Service", k) for k in expected} == expected
    # Both protocols need AF_UNIX; MariaDB may be on TCP.
    assert set(unit_value(unit, "Service", "RestrictAddressFamilies").split()) == {"AF_UNIX", "AF_INET", "AF_INET6"}
    # Ordering only: a Wants= would start a socket the administrator did not enable.
    assert unit_values(unit, "Unit", "Wants") == [] and unit_values(unit, "Unit", "Requires") == []
    assert int(unit_value(unit, "Service", "LimitNOFILE")) >= 4096


@pytest.mark.parametrize(
    "unit, expected",
    [
        (DOVECOT_SOCKET, {"ListenStream": "/var/spool/postfix/private/auth", "FileDescriptorName": "dovecot",
                          "SocketUser": "postfix", "SocketGroup": "postfix", "SocketMode": "0660",
                          "Service": SERVICE}),
        (SASLAUTHD_SOCKET, {"ListenStream": "/var/spool/postfix/var/run/saslauthd/mux",
                            "FileDescriptorName": "saslauthd", "SocketGroup": "sasl", "SocketMode": "0660",
                            "DirectoryMode": "0710", "Service": SERVICE}),
    ],
)
def test_socket_settings(unit, expected):
    path = UNITS / unit
    assert {k: unit_value(path, "Socket", k) for k in expected} == expected
    assert unit_value(path, "Install", "WantedBy") == "sockets.target"


def test_every_file_descriptor_name_is_one_the_daemon_serves():
    # ActivatedSocketRole (Sources/AuthDaemonCore/Systemd/ActivatedSocketRole.swift).
    role_file = ph.REPO / "Sources" / "AuthDaemonCore" / "Systemd" / "ActivatedSocketRole.swift"
    roles = set(re.findall(r"^\s*case (\w+)$", role_file.read_text(), re.M))
    assert roles == {"saslauthd", "dovecot", "control"}, roles
    names = {unit_value(UNITS / u, "Socket", "FileDescriptorName") for u in (DOVECOT_SOCKET, SASLAUTHD_SOCKET)}
    assert names <= roles


# --------------------------------------------------------------------------
# Socket activation and readiness, with the real daemon
# --------------------------------------------------------------------------


class NotifyListener:
    """The test's NOTIFY_SOCKET: a datagram socket collecting sd_notify messages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.messages: list[dict[str, str]] = []

    def wait_for(self, key: str, timeout: float = 20) -> dict[str, str] | None:
        deadline = time.monotonic() + timeout
        while True:
            for message in self.messages:
                if key in message:
                    return message
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                return None
            fields = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
            self.messages.append(fields)

    def close(self) -> None:
        self.sock.close()


class ActivatedDaemon:
    """systemd-socket-activate -l PATH... --fdname=NAME:... pam-mysql-authd, in its own session."""

    def __init__(self, base: Path, sockets: list[tuple[str, Path]], extra_args: list[str] | None = None) -> None:
        self.base = base
        self.log = base / "authd.log"
        self.notify = NotifyListener(base / "notify")
        argv = ["systemd-socket-activate"]
        for _, path in sockets:
            argv += ["-l", str(path)]
        argv += [f"--fdname={':'.join(name for name, _ in sockets)}", "-E", f"NOTIFY_SOCKET={self.notify.path}"]
        if "ASAN_OPTIONS" in os.environ:  # make asan-authd: systemd-socket-activate passes only -E variables
            argv += ["-E", f"ASAN_OPTIONS={os.environ['ASAN_OPTIONS']}"]
        argv += [str(require_authd()), "--pam-dir", str(base / "pam.d"), "--log", str(self.log), *(extra_args or [])]
        self.output = open(base / "activate.out", "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.output, stderr=subprocess.STDOUT,
                                     start_new_session=True, env=ph.child_env())
        deadline = time.monotonic() + 10
        while not all(p.exists() for _, p in sockets):
            assert self.proc.poll() is None, self.describe()
            assert time.monotonic() < deadline, "systemd-socket-activate did not listen\n" + self.describe()
            time.sleep(0.05)

    def describe(self) -> str:
        out = (self.base / "activate.out").read_bytes().decode(errors="replace")
        log = self.log.read_text(errors="replace") if self.log.exists() else "(no log)"
        return f"--- systemd-socket-activate\n{out}\n--- daemon log\n{log}\n--- notify\n{self.notify.messages}"

    def stop(self, timeout: float = 15) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
                return None
        return self.proc.returncode

    def close(self) -> None:
        self.stop()
        self.notify.close()
        self.output.close()


@pytest.fixture
def activation_base(tmp_path, db):
    base = tmp_path / "authd"
    (base / "pam.d").mkdir(parents=True)
    db.add_user("ursula", PASSWORD)
    args = db.pam_args(crypt=0)
    (base / "pam.d" / "smtp").write_text(
        f"auth required {ph.OUR_MODULE} {args}\naccount required {ph.OUR_MODULE} {args}\n")
    daemons: list[ActivatedDaemon] = []
    yield base, daemons
    for d in daemons:
        d.close()


def run_testsaslauthd(mux: Path, user: str, password: str) -> str:
    r = subprocess.run(["testsaslauthd", "-f", str(mux), "-s", "smtp", "-u", user, "-p", password],
                       capture_output=True, text=True, timeout=30)
    return (r.stdout + r.stderr).strip()


def dovecot_handshake_and_plain(path: Path, user: str, password: str) -> tuple[list[str], str]:
    """Postfix's side of Dovecot's protocol: the server's handshake lines, then one AUTH PLAIN."""
    import base64

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(15)
        s.connect(str(path))
        s.sendall(b"VERSION\t1\t2\nCPID\t4242\n")
        buf, lines = b"", []
        while "DONE" not in lines:
            chunk = s.recv(4096)
            assert chunk, f"connection closed during the handshake: {lines}"
            buf += chunk
            *complete, buf = buf.split(b"\n")
            lines += [c.decode() for c in complete]
        resp = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
        s.sendall(f"AUTH\t1\tPLAIN\tservice=smtp\tnologin\tresp={resp}\n".encode())
        while b"\n" not in buf:
            chunk = s.recv(4096)
            assert chunk, "connection closed before the AUTH reply"
            buf += chunk
        return lines, buf.split(b"\n")[0].decode()


@pytest.mark.parametrize("order", [("dovecot", "saslauthd"), ("saslauthd", "dovecot")])
def test_activated_sockets_serve_the_protocol_their_name_says(activation_base, order):
    base, daemons = activation_base
    paths = {"dovecot": base / "auth", "saslauthd": base / "mux"}
    daemon = ActivatedDaemon(base, [(name, paths[name]) for name in order])
    daemons.append(daemon)

    # The first connection makes systemd-socket-activate exec the daemon, which takes it over.
    assert run_testsaslauthd(paths["saslauthd"], "ursula", PASSWORD).startswith("0: OK"), daemon.describe()
    ready = daemon.notify.wait_for("READY")
    assert ready is not None and ready["READY"] == "1", daemon.describe()
    if "MAINPID" in ready:
        assert int(ready["MAINPID"]) == daemon.proc.pid  # exec'd in place: the same process
    assert run_testsaslauthd(paths["saslauthd"], "ursula", "wrong-" + PASSWORD).startswith("0: NO"), daemon.describe()

    lines, reply = dovecot_handshake_and_plain(paths["dovecot"], "ursula", PASSWORD)
    assert lines[0].startswith("VERSION\t1\t"), lines
    assert "MECH\tPLAIN\tplaintext" in lines, lines
    assert reply.startswith("OK\t1\t") and "user=ursula" in reply.split("\t"), reply
    _, reply = dovecot_handshake_and_plain(paths["dovecot"], "ursula", "wrong-" + PASSWORD)
    assert reply.startswith("FAIL\t1\t"), reply
    # Nothing was passed by path: the daemon made no socket of its own.
    assert sorted(p.name for p in base.iterdir() if p.is_socket()) == ["auth", "mux", "notify"]

    assert daemon.stop() == 0, daemon.describe()
    stopping = daemon.notify.wait_for("STOPPING", timeout=1)
    assert stopping is not None and stopping["STOPPING"] == "1", daemon.describe()


def test_a_socket_with_an_unknown_name_is_not_served(activation_base):
    base, daemons = activation_base
    daemon = ActivatedDaemon(base, [("imap", base / "imap")])
    daemons.append(daemon)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(15)
        s.connect(str(base / "imap"))  # triggers the exec
        try:
            data = s.recv(16)
        except (ConnectionResetError, socket.timeout):
            data = b""
    try:
        code = daemon.proc.wait(15)
    except subprocess.TimeoutExpired:
        pytest.fail("the daemon kept running with only an unknown socket\n" + daemon.describe())
    assert data == b"", data
    assert code == 1, daemon.describe()
    assert daemon.notify.wait_for("READY", timeout=0.5) is None, daemon.describe()
    # The reason names the socket, in the log or (before the log is open) on standard error.
    said = (daemon.log.read_text() if daemon.log.exists() else "") + (base / "activate.out").read_text()
    assert re.search(r"\bimap\b.*(ignored|known names|not saslauthd)", said), daemon.describe()


def test_man_page_renders_without_warnings():
    r = subprocess.run(["man", "--warnings", "-l", str(ph.REPO / "man" / "pam-mysql-authd.8")], capture_output=True,
                       timeout=60, env={**os.environ, "MANWIDTH": "80"})
    assert r.returncode == 0, r.stderr
    assert r.stderr.decode().strip() == "", r.stderr.decode()
    text = r.stdout.decode()
    for section in ("OPTIONS", "SOCKETS AND SYSTEMD", "SIGNALS", "CONTROL SOCKET", "LOGS", "EXIT STATUS"):
        assert f"\n{section}\n" in text, section
