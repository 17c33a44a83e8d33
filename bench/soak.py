#!/usr/bin/env python3
"""Soak of pam-mysql-authd (issue 15 item 7, `make soak`): LOGINS logins mixed right (60%),
wrong (25%) and unknown users (15%), plain-scheme users so that the daemon, not hashing, is
what runs; through the Dovecot protocol on persistent connections with pipelined requests
(as Postfix's smtpd processes hold theirs), plus saslauthd-protocol requests (one connection
each, as saslauthd's clients do) for about 2% of them.

Figures of the daemon (VmRSS from /proc/PID/status, open descriptors from /proc/PID/fd)
are taken after CHECKPOINT logins and at the end, each time with nothing in flight. The
run passes when resident memory at the end is within 5% of its value at the checkpoint,
the descriptors are equal up to the database pool's connections (opened on demand, one
per database thread), and no answer was wrong (a false success or a refusal of a right
password). A short table goes to stdout, the figures to build/soak.json (--json), which
the benchmark reads.

The daemon is build/pam-mysql-authd ($AUTHD), with a private MariaDB on loopback, both
started and stopped here (the integration tests' harness). Standard library only.

    bench/soak.py [--logins 1000000] [--checkpoint 100000] [--json build/soak.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Tests" / "integration"))

import authdharness as ah  # noqa: E402
import pamharness as ph  # noqa: E402
from authdload import DovecotConnection, Outcome, process_figures, sasl_request  # noqa: E402

USERS = 200
DOVECOT_CONNECTIONS = 12
PIPELINE = 8  # requests in flight per connection (the daemon allows 16)
SASL_SHARE = 0.02
SASL_CONCURRENCY = 2
# Database threads ([daemon] database_threads, default 8): each holds one database connection, opened
# when first needed; the descriptors may differ by these between the two figures.
POOL_CONNECTIONS = 8
RSS_TOLERANCE = 0.05
# AUTHD_MEMORY_CHECKS=0 (make asan-authd): AddressSanitizer's quarantine keeps freed blocks (up
# to 256 MB), so resident memory grows by design; it is reported, not judged.
MEMORY_CHECKS = os.environ.get("AUTHD_MEMORY_CHECKS", "1") != "0"


def password(i: int) -> str:
    return f"soak-pw-{i}"


class Mix:
    """The next login: (user, password, right?), 60% right, 25% wrong, 15% unknown."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)

    def next(self) -> tuple[str, str, bool]:
        pick = self.rng.random()
        n = self.rng.randrange(USERS)
        if pick < 0.60:
            return f"soak{n}@example.org", password(n), True
        if pick < 0.85:
            return f"soak{n}@example.org", password(n) + "-wrong", False
        return f"ghost{n}@example.org", password(n), False


class Tally:
    def __init__(self) -> None:
        self.answers: dict[str, int] = {}
        self.wrong: list[Outcome] = []
        self.slowest = 0.0

    def add(self, o: Outcome) -> None:
        self.answers[o.answer] = self.answers.get(o.answer, 0) + 1
        self.slowest = max(self.slowest, o.elapsed)
        if o.wrong and len(self.wrong) < 20:
            self.wrong.append(o)
        if o.wrong:
            self.answers["WRONG"] = self.answers.get("WRONG", 0) + 1

    @property
    def count(self) -> int:
        return sum(v for k, v in self.answers.items() if k != "WRONG")


async def drive(daemon: ah.AuthDaemon, count: int, mix: Mix, tally: Tally) -> None:
    """`count` logins; returns when every one is answered."""
    sasl_left = round(count * SASL_SHARE)
    budget = {"dovecot": count - sasl_left, "saslauthd": sasl_left}

    def take(protocol: str) -> tuple[str, str, bool] | None:
        if budget[protocol] <= 0:
            return None
        budget[protocol] -= 1
        return mix.next()

    async def dovecot_lane() -> None:
        conn = await DovecotConnection.open(daemon.auth)
        try:
            while True:
                batch = []
                for _ in range(PIPELINE):
                    item = take("dovecot")
                    if item is None:
                        break
                    batch.append((item, time.monotonic(), conn.send_auth(item[0], item[1])))
                if not batch:
                    return
                for (user, _, right), t0, fut in batch:
                    answer = await asyncio.wait_for(fut, 30)
                    tally.add(Outcome(right, answer, time.monotonic() - t0))
                if conn.closed:
                    conn = await DovecotConnection.open(daemon.auth)
        finally:
            await conn.close()

    async def sasl_lane() -> None:
        # One connection per request, as libsasl's saslauthd client does.
        while (item := take("saslauthd")) is not None:
            user, pw, right = item
            login, _, realm = user.partition("@")
            t0 = time.monotonic()
            answer = await sasl_request(daemon.mux, login, pw, "smtp", realm)
            tally.add(Outcome(right, answer, time.monotonic() - t0, protocol="saslauthd"))

    await asyncio.gather(*(dovecot_lane() for _ in range(DOVECOT_CONNECTIONS)),
                         *(sasl_lane() for _ in range(SASL_CONCURRENCY)))


def figures(daemon: ah.AuthDaemon) -> dict:
    time.sleep(0.5)  # nothing in flight: connections closed after their linger
    rss, fds = process_figures(daemon.pid)
    return {"vmrss_kb": rss, "fds": fds}


def start(db: ph.MariaDB) -> ah.AuthDaemon:
    values = ",".join(f"({ph.sql_literal(f'soak{i}@example.org')},{ph.sql_literal(password(i))},0)"
                      for i in range(USERS))
    db.sql(f"DELETE FROM users; INSERT INTO users (username, password, status) VALUES {values}")
    return ah.AuthDaemon({"smtp": ah.service_lines(db, crypt=0, **ah.fast_timeouts())}).start()


def soak(db: ph.MariaDB, logins: int, checkpoint: int, log=print) -> dict:
    """Runs the soak against a daemon it starts (and stops) on `db`; the result as a dict."""
    daemon = start(db)
    try:
        mix, tally = Mix(), Tally()
        t0 = time.monotonic()
        asyncio.run(drive(daemon, checkpoint, mix, tally))
        t1 = time.monotonic()
        first = figures(daemon)
        log(f"{checkpoint:>9} logins in {t1 - t0:6.1f} s: VmRSS {first['vmrss_kb']} kB, {first['fds']} descriptors")
        t2 = time.monotonic()
        asyncio.run(drive(daemon, logins - checkpoint, mix, tally))
        t3 = time.monotonic()
        last = figures(daemon)
        log(f"{logins:>9} logins in {t3 - t0 - (t2 - t1):6.1f} s: VmRSS {last['vmrss_kb']} kB, {last['fds']} descriptors")
        running = daemon.running
    finally:
        rc = daemon.stop()
        log_text = daemon.log_text()
        daemon.destroy()
    seconds = (t1 - t0) + (t3 - t2)
    rss_growth = (last["vmrss_kb"] - first["vmrss_kb"]) / max(1, first["vmrss_kb"])
    fd_growth = last["fds"] - first["fds"]
    problems = []
    if tally.count != logins:
        problems.append(f"{tally.count} answers for {logins} logins")
    if tally.answers.get("WRONG"):
        problems.append(f"{tally.answers['WRONG']} wrong answers, e.g. {tally.wrong[:3]}")
    temporary = sum(tally.answers.get(k, 0) for k in ("CLOSED", "EMPTY", "TIMEOUT"))
    if temporary > logins // 1000:
        problems.append(f"{temporary} temporary failures or timeouts")
    if rss_growth > RSS_TOLERANCE and MEMORY_CHECKS:
        problems.append(f"VmRSS grew {rss_growth:.1%} between {checkpoint} and {logins} logins")
    if abs(fd_growth) > POOL_CONNECTIONS:
        problems.append(f"descriptors changed by {fd_growth} between {checkpoint} and {logins} logins")
    if not running or rc != 0:
        problems.append(f"daemon exit status {rc} (running at the end: {running}): {log_text[-2000:]}")
    return {
        "logins": logins, "checkpoint": checkpoint, "seconds": round(seconds, 1),
        "logins_per_second": round(logins / seconds, 1),
        "vmrss_kb": {str(checkpoint): first["vmrss_kb"], str(logins): last["vmrss_kb"]},
        "fds": {str(checkpoint): first["fds"], str(logins): last["fds"]},
        "vmrss_growth": round(rss_growth, 4), "fd_growth": fd_growth,
        "answers": dict(sorted(tally.answers.items())), "slowest_answer_seconds": round(tally.slowest, 3),
        "passed": not problems, "problems": problems,
    }


def table(result: dict) -> str:
    c, n = str(result["checkpoint"]), str(result["logins"])
    rows = [f"{'':>22} {'after ' + c:>16} {'after ' + n:>16} {'change':>9}",
            f"{'VmRSS (kB)':>22} {result['vmrss_kb'][c]:>16} {result['vmrss_kb'][n]:>16} {result['vmrss_growth']:>+9.1%}",
            f"{'open descriptors':>22} {result['fds'][c]:>16} {result['fds'][n]:>16} {result['fd_growth']:>+9}",
            f"{result['logins']} logins in {result['seconds']} s ({result['logins_per_second']}/s); answers "
            f"{result['answers']}; slowest {result['slowest_answer_seconds']} s",
            "PASS" if result["passed"] else "FAIL: " + "; ".join(result["problems"])]
    return "\n".join(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--logins", type=int, default=1_000_000)
    ap.add_argument("--checkpoint", type=int, default=100_000)
    ap.add_argument("--json", type=Path, default=REPO / "build" / "soak.json")
    args = ap.parse_args()
    if not 0 < args.checkpoint < args.logins:
        ap.error("--checkpoint must be between 0 and --logins")
    ah.require_authd = _require_authd  # a missing binary: a message, not a pytest failure
    db = ph.MariaDB.create()
    try:
        result = soak(db, args.logins, args.checkpoint)
    finally:
        db.destroy()
    result["daemon"] = str(ah.AUTHD)
    print(table(result))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"figures written to {args.json}")
    return 0 if result["passed"] else 1


def _require_authd() -> Path:
    if not ah.AUTHD.is_file():
        raise SystemExit(f"pam-mysql-authd not found at {ah.AUTHD}: run `make authd` or set AUTHD")
    return ah.AUTHD


if __name__ == "__main__":
    sys.exit(main())
