"""Fast clients for load on pam-mysql-authd (issue 15: overload, 10,000 connections,
soak, valgrind): asyncio, standard library only.

    DovecotConnection   one Dovecot-protocol connection, handshake done, AUTH PLAIN
                        requests pipelined (each answer matched by its id); a connection
                        the daemon closes answers every request in flight "CLOSED"
                        (what Postfix turns into 454: a temporary failure).
    sasl_request()      one saslauthd-protocol request on its own connection.
    Outcome             the answer, its kind, and how long it took.
    process_figures()   VmRSS (kB) and open descriptors of a process, from /proc.

Answers are "OK", "FAIL", "CLOSED" (Dovecot), "NO", "EMPTY" (saslauthd's temporary
failure), "TIMEOUT" (nothing within the bound).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import os
import struct
import time
from pathlib import Path

TEMPORARY = {"CLOSED", "EMPTY"}
ACCEPTED = {"OK"}
REFUSED = {"FAIL", "NO"}


@dataclasses.dataclass
class Outcome:
    expected_ok: bool
    answer: str
    elapsed: float
    protocol: str = "dovecot"

    @property
    def wrong(self) -> bool:
        """A false success, or a refusal of a right password (a temporary failure is neither)."""
        if self.answer in ACCEPTED:
            return not self.expected_ok
        if self.answer in REFUSED:
            return self.expected_ok
        return False


def plain(user: str, password: str) -> str:
    return base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()


class DovecotConnection:
    """A connection as Postfix holds one: VERSION + CPID, the handshake up to DONE, then
    AUTH PLAIN lines; `authenticate` returns the reply's command."""

    def __init__(self) -> None:
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.pending: dict[int, asyncio.Future] = {}
        self.next_id = 0
        self.closed = False
        self._task: asyncio.Task | None = None

    @classmethod
    async def open(cls, path: Path | str, timeout: float = 10) -> "DovecotConnection":
        c = cls()
        c.reader, c.writer = await asyncio.wait_for(asyncio.open_unix_connection(str(path), limit=1 << 20), timeout)
        c.writer.write(f"VERSION\t1\t0\nCPID\t{os.getpid()}\n".encode())
        while True:
            line = await asyncio.wait_for(c.reader.readline(), timeout)
            if not line:
                raise ConnectionError("closed during the handshake")
            if line == b"DONE\n":
                break
        c._task = asyncio.get_running_loop().create_task(c._read())
        return c

    @property
    def in_flight(self) -> int:
        return len(self.pending)

    async def _read(self) -> None:
        try:
            while True:
                line = await self.reader.readline()
                if not line:
                    break
                parts = line.rstrip(b"\n").split(b"\t")
                if len(parts) < 2 or not parts[1].isdigit():
                    continue
                fut = self.pending.pop(int(parts[1]), None)
                if fut is not None and not fut.done():
                    fut.set_result(parts[0].decode(errors="replace"))
        except (ConnectionError, OSError):
            pass
        finally:
            self._closed()

    def _closed(self) -> None:
        self.closed = True
        for fut in self.pending.values():
            if not fut.done():
                fut.set_result("CLOSED")
        self.pending.clear()

    def send_auth(self, user: str, password: str, service: str = "smtp", rip: str | None = None) -> asyncio.Future:
        """Writes one AUTH PLAIN line; the future gets the reply's command or "CLOSED"."""
        fut = asyncio.get_running_loop().create_future()
        if self.closed:
            fut.set_result("CLOSED")
            return fut
        self.next_id += 1
        rid = self.next_id
        self.pending[rid] = fut
        fields = f"\tservice={service}" + (f"\trip={rip}" if rip else "")
        try:
            self.writer.write(f"AUTH\t{rid}\tPLAIN{fields}\tresp={plain(user, password)}\n".encode())
        except (ConnectionError, OSError, RuntimeError):
            self._closed()
        return fut

    async def authenticate(self, user: str, password: str, service: str = "smtp", timeout: float = 30) -> str:
        try:
            return await asyncio.wait_for(self.send_auth(user, password, service), timeout)
        except asyncio.TimeoutError:
            return "TIMEOUT"

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (ConnectionError, OSError):
                pass
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)


def counted(*fields: str) -> bytes:
    return b"".join(struct.pack(">H", len(f.encode())) + f.encode() for f in fields)


async def sasl_request(path: Path | str, user: str, password: str, service: str = "smtp", realm: str = "",
                       timeout: float = 30) -> str:
    """One saslauthd request (login, password, service, realm) on its own connection."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(path)), timeout)
    except (ConnectionError, OSError, asyncio.TimeoutError):
        return "CLOSED"
    try:
        writer.write(counted(user, password, service, realm))
        head = await asyncio.wait_for(reader.readexactly(2), timeout)
        (n,) = struct.unpack(">H", head)
        if n == 0:
            return "EMPTY"
        body = await asyncio.wait_for(reader.readexactly(n), timeout)
        return body[:2].decode(errors="replace")
    except asyncio.TimeoutError:
        return "TIMEOUT"
    except (asyncio.IncompleteReadError, ConnectionError, OSError):
        return "CLOSED"
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass


def process_figures(pid: int) -> tuple[int, int]:
    """(VmRSS in kB, open descriptors) of a running process."""
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


class Clock:
    """Monotonic seconds since the start."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()

    def __call__(self) -> float:
        return time.monotonic() - self.t0
