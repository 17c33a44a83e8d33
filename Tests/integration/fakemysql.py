"""A rogue MySQL server for the tests: it speaks just enough of the client/server protocol
to ask a client for a given authentication plugin, and records every byte the client sends.

    with FakeMySQL(greeting_plugin="mysql_clear_password") as fake:
        ... point the module at 127.0.0.1:fake.port ...
        assert secret not in fake.received

Greeting (protocol 10) without CLIENT_SSL unless `tls` (an ssl.SSLContext) is given; then
the client's SSLRequest is answered by a TLS handshake and the rest of the exchange goes
through TLS. `switch_to` sends an AuthSwitchRequest for that plugin after the client's first
answer. The server ends every exchange with an ERR packet, so no login ever succeeds.
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading

CLIENT_LONG_PASSWORD = 0x1
CLIENT_CONNECT_WITH_DB = 0x8
CLIENT_PROTOCOL_41 = 0x200
CLIENT_SSL = 0x800
CLIENT_TRANSACTIONS = 0x2000
CLIENT_SECURE_CONNECTION = 0x8000
CLIENT_PLUGIN_AUTH = 0x80000
CLIENT_PLUGIN_AUTH_LENENC = 0x200000

SCRAMBLE = b"0123456789abcdefghij"  # 20 bytes


def _packet(seq: int, payload: bytes) -> bytes:
    return struct.pack("<I", len(payload))[:3] + bytes([seq & 0xFF]) + payload


def greeting(plugin: str, tls: bool) -> bytes:
    caps = (CLIENT_LONG_PASSWORD | CLIENT_CONNECT_WITH_DB | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS
            | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | CLIENT_PLUGIN_AUTH_LENENC)
    if tls:
        caps |= CLIENT_SSL
    return (bytes([10]) + b"5.5.5-10.11.99-MariaDB-fake\0" + struct.pack("<I", 7) + SCRAMBLE[:8] + b"\0"
            + struct.pack("<H", caps & 0xFFFF) + bytes([45]) + struct.pack("<H", 2)
            + struct.pack("<H", caps >> 16) + bytes([21]) + b"\0" * 10 + SCRAMBLE[8:] + b"\0"
            + plugin.encode() + b"\0")


ERR_ACCESS_DENIED = b"\xff" + struct.pack("<H", 1045) + b"#28000" + b"Access denied (fake server)"


class FakeMySQL:
    def __init__(self, greeting_plugin: str = "mysql_native_password", switch_to: str | None = None,
                 tls: ssl.SSLContext | None = None) -> None:
        self.greeting_plugin = greeting_plugin
        self.switch_to = switch_to
        self.tls = tls
        self.received = b""
        self.connections = 0
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self._listener.settimeout(0.1)  # so __exit__ ends the accept loop at once
        self.port = self._listener.getsockname()[1]
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "FakeMySQL":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop = True
        self._listener.close()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.setblocking(True)
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._exchange, args=(conn,), daemon=True).start()

    def _read_packet(self, conn) -> tuple[int, bytes] | None:
        header = self._read_exact(conn, 4)
        if header is None:
            return None
        length = header[0] | header[1] << 8 | header[2] << 16
        body = self._read_exact(conn, length)
        return (header[3], body or b"") if body is not None else None

    def _read_exact(self, conn, count: int) -> bytes | None:
        data = b""
        while len(data) < count:
            try:
                chunk = conn.recv(count - len(data))
            except (OSError, ssl.SSLError):
                return None
            if not chunk:
                return None
            data += chunk
            with self._lock:
                self.received += chunk
        return data

    def _exchange(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            conn.sendall(_packet(0, greeting(self.greeting_plugin, self.tls is not None)))
            first = self._read_packet(conn)
            if first is None:
                return
            seq, body = first
            if self.tls is not None and len(body) == 32:  # SSLRequest: flags only
                conn = self.tls.wrap_socket(conn, server_side=True)
                first = self._read_packet(conn)
                if first is None:
                    return
                seq, body = first
            if self.switch_to is not None:
                # The dialog plugin reads a prompt: type 2 (password) << 1 | 1 (last question).
                data = b"\x05Password: " if self.switch_to == "dialog" else SCRAMBLE + b"\0"
                conn.sendall(_packet(seq + 1, b"\xfe" + self.switch_to.encode() + b"\0" + data))
                answer = self._read_packet(conn)
                if answer is None:
                    return
                seq = answer[0]
            conn.sendall(_packet(seq + 1, ERR_ACCESS_DENIED))
            # Whatever else the client says (COM_QUIT) is recorded too.
            self._read_packet(conn)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass
