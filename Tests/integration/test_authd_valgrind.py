"""Issue 15 item 7: pam-mysql-authd under valgrind memcheck.

The daemon runs under `valgrind --tool=memcheck` (its gdbserver on, for leak checks while it
runs) and serves ROUNDS logins, then 2 x ROUNDS more: both protocols, right, wrong and unknown
users, a reload (SIGHUP) in the first round. Passes when valgrind reports no invalid read or
write, no use of an uninitialised value (no error at all: --error-exitcode), and the bytes
"definitely lost" do not grow with the number of logins: valgrind's leak check is asked
through vgdb after the first round and after the second, and the figure must be the same
(the Swift runtime's and SwiftNIO's one-time allocations are the same at both points; no
suppression is needed for them, see valgrind.supp). About a minute on this machine.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

import authdharness as ah
from authdharness import AuthDaemon
from authdload import DovecotConnection, Outcome, sasl_request

ROUNDS = 600
SUPPRESSIONS = Path(__file__).with_name("valgrind-authd.supp")
ERROR_KINDS = re.compile(r"Invalid (read|write|free)|uninitialised|Mismatched free|overlap|Syscall param", re.I)


class ValgrindDaemon(AuthDaemon):
    @property
    def argv(self) -> list[str]:
        return ["valgrind", "--tool=memcheck", "--leak-check=full", "--track-origins=no", "--expensive-definedness-checks=yes", "--vgdb=yes",
                "--error-exitcode=99", "--errors-for-leak-kinds=definite", f"--suppressions={SUPPRESSIONS}", "--num-callers=30",
                f"--log-file={self.base}/valgrind.log"] + super().argv

    def valgrind_log(self) -> str:
        try:
            return (self.base / "valgrind.log").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def definitely_lost(self) -> tuple[int, int]:
        """(bytes, blocks) definitely lost now, by `vgdb leak_check summary`."""
        r = subprocess.run(["vgdb", f"--pid={self.pid}", "leak_check", "summary"], capture_output=True, text=True,
                           timeout=60)
        m = re.search(r"definitely lost: ([\d,]+) (?:\(\S+\) )?bytes in ([\d,]+) (?:\(\S+\) )?blocks", r.stdout + r.stderr)
        assert m, f"no leak summary from vgdb (rc={r.returncode}):\n{r.stdout}\n{r.stderr}"
        return int(m[1].replace(",", "")), int(m[2].replace(",", ""))


def _binary_with_symbols(base: Path) -> Path:
    """build/pam-mysql-authd is stripped, and valgrind 3.19 cannot read the DWARF 5 of the
    unstripped one (swift build's): without $AUTHD, the unstripped binary with its debug
    information removed and its symbol table kept, so the reports name functions."""
    if "AUTHD" in os.environ:
        return ah.AUTHD
    r = subprocess.run(["swift", "build", "-c", "release", "--disable-local-rpath", "--show-bin-path"],
                       cwd=ah.ph.REPO, capture_output=True, text=True, timeout=120)
    unstripped = Path(r.stdout.strip()) / "pam-mysql-authd"
    if r.returncode != 0 or not unstripped.is_file() or unstripped.stat().st_mtime < ah.AUTHD.stat().st_mtime - 600:
        return ah.AUTHD
    out = base / "pam-mysql-authd"
    subprocess.run(["objcopy", "--strip-debug", str(unstripped), str(out)], check=True, timeout=120)
    return out


@pytest.fixture
def daemon(db):
    db.add_user("vg@example.org", "vg-pw")
    db.add_user("vg2@example.org", "vg2-pw")
    d = ValgrindDaemon({"smtp": ah.service_lines(db, crypt=0, **ah.fast_timeouts())})
    d.binary = _binary_with_symbols(d.base)
    try:
        d.start(timeout=90)
        yield d
    finally:
        d.destroy()


LOGINS = [("vg@example.org", "vg-pw", True), ("vg2@example.org", "vg2-pw", True),
          ("vg@example.org", "nope", False), ("ghost@example.org", "vg-pw", False)]


async def _round(d: AuthDaemon, count: int) -> list[Outcome]:
    out: list[Outcome] = []

    async def lane(offset: int) -> None:
        conn = await DovecotConnection.open(d.auth, timeout=30)
        for i in range(offset, count, 4):
            user, pw, right = LOGINS[i % len(LOGINS)]
            t0 = time.monotonic()
            if i % 10 == 0:  # every tenth on the saslauthd protocol
                login, _, realm = user.partition("@")
                answer = await sasl_request(d.mux, login, pw, "smtp", realm, timeout=30)
            else:
                answer = await conn.authenticate(user, pw, timeout=30)
            out.append(Outcome(right, answer, time.monotonic() - t0))
        await conn.close()

    await asyncio.gather(*(lane(k) for k in range(4)))
    return out


def test_memcheck_finds_no_invalid_access_and_no_leak_growing_with_logins(daemon):
    first = asyncio.run(_round(daemon, ROUNDS // 2))
    daemon.reload(settle=5)
    first += asyncio.run(_round(daemon, ROUNDS // 2))
    time.sleep(3)  # saslauthd connections closed after their linger
    lost_first = daemon.definitely_lost()
    second = asyncio.run(_round(daemon, 2 * ROUNDS))
    time.sleep(3)
    lost_second = daemon.definitely_lost()
    rc = daemon.stop(timeout=60)
    text = daemon.valgrind_log()
    answers = sorted({o.answer for o in first + second})
    assert answers == ["FAIL", "NO", "OK"], (answers, daemon.describe())
    assert not [o for o in first + second if o.wrong], daemon.describe()
    errors = [line for line in text.splitlines() if ERROR_KINDS.search(line)]
    assert not errors, "\n".join(errors[:20]) + "\n" + text[-6000:]
    assert re.search(r"ERROR SUMMARY: 0 errors", text), text[-6000:]
    assert rc == 0, f"exit status {rc}\n{text[-6000:]}"
    print(f"definitely lost after {ROUNDS} logins: {lost_first}, after {3 * ROUNDS}: {lost_second}")
    assert lost_second == lost_first, (
        f"definitely lost grew from {lost_first} to {lost_second} (bytes, blocks) with {2 * ROUNDS} more logins")
