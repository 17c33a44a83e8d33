"""Issue 15 item 4: pam-mysql-authd under overload and under a flood of idle connections.

Overload: the daemon's capacity is measured here, on this machine, at the time of the
test (SHA-512-crypt users with 100,000 rounds, so that one login costs the daemon ~20 ms of
a hashing thread and a Python client easily sends twice what it can do on 2 cores):
CAPACITY_CLIENTS Postfix-like connections, each with one request at a time, right
passwords, for CAPACITY_SECONDS; capacity = answers OK per second. Then requests are sent
at twice that rate, open loop (on schedule, whatever the answers), for OVERLOAD_SECONDS,
each on an idle connection or a new one as an smtpd process would (one request at a time
per connection, a connection the daemon closes is replaced), mixed right (70%), wrong (20%)
and unknown users (10%), one in four on the saslauthd protocol (a connection each, as Cyrus
SASL opens them; its temporary failure is the empty reply). Every request must be answered within 8 s (Postfix waits 10);
shedding only as temporary failures (the connection closed: Postfix's 454); never a false
success, never a refusal of a right password; the daemon keeps serving (goodput at least
half the capacity) and its resident memory stays under RSS_LIMIT_KB (README, "Limits of
pam-mysql-authd"); right after the overload a right password is accepted again.

10,000 connections: opened and held with the handshake done and idle, with the default
max_connections (1024): the daemon closes the oldest idle ones first and a new client is
served within 1 s; its descriptors stay within the limit raised for max_connections.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import warnings

import pytest

import authdharness as ah
from authdharness import AuthDaemon
from authdload import DovecotConnection, Outcome, process_figures, sasl_request

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # SHA-512-crypt with a chosen number of rounds (openssl passwd -6 has no rounds)

ROUNDS = 100_000
USERS = 20
PW = "Right-pw-1"
CAPACITY_CLIENTS = 8
CAPACITY_SECONDS = 4.0
OVERLOAD_SECONDS = 12.0
ANSWER_WITHIN = 8.0
# The limit README states ("Limits of pam-mysql-authd"); measured here: 24 MB under this
# overload, 25 MB through the soak, 25 MB holding max_connections (1024) connections.
RSS_LIMIT_KB = 128 * 1024
# make asan-authd sets AUTHD_MEMORY_CHECKS=0: AddressSanitizer's shadow memory and its quarantine
# of freed blocks (up to 256 MB) make resident memory no figure of the daemon's own.
MEMORY_CHECKS = os.environ.get("AUTHD_MEMORY_CHECKS", "1") != "0"


def _user(i: int) -> str:
    return f"load{i}@example.org"


@pytest.fixture
def slow_users(db):
    stored = crypt.crypt(PW, f"$6$rounds={ROUNDS}$pmtestLoadSalt$")
    values = ",".join(f"({ah.ph.sql_literal(_user(i))},{ah.ph.sql_literal(stored)},0)" for i in range(USERS))
    db.sql(f"INSERT INTO users (username, password, status) VALUES {values}")
    return db


@pytest.fixture
def daemon(slow_users):
    d = AuthDaemon({"smtp": ah.service_lines(slow_users, crypt=1, **ah.fast_timeouts())}).start()
    try:
        yield d
    finally:
        rc = d.stop()
        text = d.log_text()
        d.destroy()
        assert rc == 0, f"pam-mysql-authd exited {rc} on SIGTERM:\n{text[-4000:]}"


async def _measure_capacity(d: AuthDaemon) -> tuple[float, list[str]]:
    conns = [await DovecotConnection.open(d.auth) for _ in range(CAPACITY_CLIENTS)]
    answers: list[str] = []
    # One second of warm-up first (the database threads connect on first use), not counted.
    t0 = time.monotonic() + 1.0
    stop = t0 + CAPACITY_SECONDS

    async def client(c: DovecotConnection, n: int) -> None:
        while time.monotonic() < stop:
            answer = await c.authenticate(_user(n % USERS), PW, timeout=15)
            if time.monotonic() >= t0:
                answers.append(answer)

    await asyncio.gather(*(client(c, n) for n, c in enumerate(conns)))
    elapsed = time.monotonic() - t0
    for c in conns:
        await c.close()
    return answers.count("OK") / elapsed, answers


async def _overload(d: AuthDaemon, rate: float) -> tuple[list[Outcome], int, int]:
    """Requests at `rate` per second for OVERLOAD_SECONDS; (outcomes, the highest VmRSS in kB
    seen, the most connections open at once)."""
    rng = random.Random(15)
    idle: list[DovecotConnection] = []
    outcomes: list[Outcome] = []
    open_now = 0
    most_open = 0
    peak_rss = 0
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak_rss
        while not done.is_set():
            peak_rss = max(peak_rss, process_figures(d.pid)[0])
            await asyncio.sleep(0.2)

    async def one(user: str, password: str, expected_ok: bool, saslauthd: bool) -> None:
        nonlocal open_now, most_open
        t0 = time.monotonic()
        if saslauthd:  # Cyrus SASL's path: one connection per request, the empty reply for a temporary failure
            login, _, realm = user.partition("@")
            answer = await sasl_request(d.mux, login, password, "smtp", realm, timeout=ANSWER_WITHIN + 5)
            outcomes.append(Outcome(expected_ok, answer, time.monotonic() - t0, protocol="saslauthd"))
            return
        conn = idle.pop() if idle else None
        if conn is None:
            try:
                conn = await DovecotConnection.open(d.auth, timeout=ANSWER_WITHIN + 2)
            except (ConnectionError, OSError, asyncio.TimeoutError):
                outcomes.append(Outcome(expected_ok, "CLOSED", time.monotonic() - t0))
                return
            open_now += 1
            most_open = max(most_open, open_now)
        answer = await conn.authenticate(user, password, timeout=ANSWER_WITHIN + 5)
        outcomes.append(Outcome(expected_ok, answer, time.monotonic() - t0))
        if conn.closed or answer == "TIMEOUT":
            open_now -= 1
            await conn.close()
        else:
            idle.append(conn)

    sampler = asyncio.get_running_loop().create_task(sample())
    tasks = []
    t0 = time.monotonic()
    total = int(rate * OVERLOAD_SECONDS)
    for i in range(total):
        due = t0 + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        pick = rng.random()
        n = rng.randrange(USERS)
        if pick < 0.7:
            args = (_user(n), PW, True)
        elif pick < 0.9:
            args = (_user(n), PW + "x", False)
        else:
            args = (f"nobody{n}@example.org", PW, False)
        tasks.append(asyncio.get_running_loop().create_task(one(*args, saslauthd=i % 4 == 3)))
    await asyncio.gather(*tasks)
    done.set()
    await sampler
    for c in idle:
        await c.close()
    return outcomes, peak_rss, most_open


def test_twice_the_measured_capacity_sheds_only_with_temporary_failures_within_8s(daemon):
    capacity, answers = asyncio.run(_measure_capacity(daemon))
    assert set(answers) == {"OK"}, f"unloaded answers: {sorted(set(answers))}\n{daemon.describe()}"
    assert capacity > 5, f"capacity {capacity:.1f}/s: the daemon hardly answers"
    rate = 2 * capacity
    # The cores are shared (other work on the machine changes the capacity from one second to
    # the next): a run that shed nothing was not an overload, and is repeated at twice the rate
    # it was served at. Every run must keep every promise.
    for attempt in range(3):
        outcomes, peak_rss, most_open = asyncio.run(_overload(daemon, rate))
        sent = int(rate * OVERLOAD_SECONDS)
        kinds = {k: sum(1 for o in outcomes if o.answer == k) for k in {o.answer for o in outcomes}}
        summary = (f"capacity {capacity:.1f}/s, driven at {rate:.1f}/s for {OVERLOAD_SECONDS:.0f} s: {sent} requests, "
                   f"answers {kinds}, slowest {max(o.elapsed for o in outcomes):.2f} s, peak VmRSS {peak_rss} kB, "
                   f"{most_open} connections at most")
        print(summary)
        assert len(outcomes) == sent, summary
        wrong = [o for o in outcomes if o.wrong]
        assert not wrong, f"{len(wrong)} wrong answers (first {wrong[:5]}); {summary}"
        late = [o for o in outcomes if o.elapsed > ANSWER_WITHIN or o.answer == "TIMEOUT"]
        assert not late, f"{len(late)} answers later than {ANSWER_WITHIN} s (first {late[:5]}); {summary}"
        assert set(kinds) <= {"OK", "FAIL", "CLOSED", "NO", "EMPTY"}, summary
        assert peak_rss < RSS_LIMIT_KB or not MEMORY_CHECKS, summary
        served = sum(kinds.get(k, 0) for k in ("OK", "FAIL", "NO")) / OVERLOAD_SECONDS
        if kinds.get("CLOSED", 0) > 0 and kinds.get("EMPTY", 0) > 0:
            break
        rate = max(2 * rate, 2 * served)
    # Shedding happened on both protocols (twice the capacity cannot all be served) and the
    # daemon kept working at about its capacity (served: answered OK or FAIL, hashed).
    assert kinds.get("CLOSED", 0) > 0 and kinds.get("EMPTY", 0) > 0, summary
    assert served >= 0.25 * rate, f"served {served:.1f}/s; {summary}"
    # Right after the overload: served again.
    deadline = time.monotonic() + 10
    while True:
        with ah.DovecotClient(daemon.auth, timeout=10) as c:
            c.handshake()
            r = c.plain(1, _user(0), PW)
        if r is not None and r.command == "OK" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert r is not None and r.command == "OK", (r, daemon.describe())
    assert daemon.running


# --------------------------------------------------------------------------
# 10,000 connections
# --------------------------------------------------------------------------

HELD = 10_000


@pytest.fixture
def plain_daemon(db):
    db.add_user("held@example.org", "held-pw")
    # The default max_connections (1024): the descriptor limit is raised to fit it.
    d = AuthDaemon({"smtp": ah.service_lines(db, crypt=0, **ah.fast_timeouts())}, saslauthd=False).start()
    try:
        yield d
    finally:
        rc = d.stop()
        text = d.log_text()
        d.destroy()
        assert rc == 0, f"pam-mysql-authd exited {rc} on SIGTERM:\n{text[-4000:]}"


async def _hold(d: AuthDaemon, count: int) -> list[DovecotConnection]:
    conns: list[DovecotConnection] = []
    gate = asyncio.Semaphore(64)

    async def opener(_: int) -> None:
        async with gate:
            conns.append(await DovecotConnection.open(d.auth, timeout=30))

    await asyncio.gather(*(opener(i) for i in range(count)))
    return conns


def _soft_nofile(pid: int) -> int:
    for line in open(f"/proc/{pid}/limits"):
        if line.startswith("Max open files"):
            return int(line.split()[3])
    raise AssertionError("no Max open files line")


def test_10000_held_connections_close_the_oldest_idle_and_a_new_client_is_served_within_1s(plain_daemon):
    d = plain_daemon
    ah.raise_nofile(HELD + 2000)
    limit = _soft_nofile(d.pid)
    assert limit >= 1024 + 256, f"descriptor limit {limit} below max_connections + 256"

    async def scenario() -> dict:
        conns = await _hold(d, HELD)  # every handshake done: each was admitted
        await asyncio.sleep(0.5)
        rss_held, fds_held = process_figures(d.pid)
        t0 = time.monotonic()
        fresh = await DovecotConnection.open(d.auth, timeout=5)
        answer = await fresh.authenticate("held@example.org", "held-pw", timeout=5)
        served_in = time.monotonic() - t0
        await asyncio.sleep(0.5)
        closed = sum(1 for c in conns if c.closed)
        newest = [c for c in conns[-200:] if not c.closed]
        newest_answer = await newest[-1].authenticate("held@example.org", "held-pw", timeout=5) if newest else None
        wrong = await fresh.authenticate("held@example.org", "wrong-pw", timeout=5)
        figures = dict(answer=answer, served_in=served_in, closed=closed, fds=fds_held, rss_kb=rss_held,
                       newest_open=len(newest), newest_answer=newest_answer, wrong=wrong)
        for c in conns + [fresh]:
            c.writer.close()
        await asyncio.sleep(0.2)
        return figures

    f = asyncio.run(scenario())
    print(f)
    assert f["answer"] == "OK" and f["served_in"] < 1.0, f
    assert f["wrong"] == "FAIL", f
    # The oldest idle ones made room: at most max_connections (plus the few of a race) stay.
    assert f["closed"] >= HELD - 1024 - 16, f
    assert f["fds"] <= limit, f
    assert f["rss_kb"] < RSS_LIMIT_KB or not MEMORY_CHECKS, f
    # The newest held connections are still served.
    assert f["newest_open"] > 100 and f["newest_answer"] == "OK", f
    assert d.wait_log(r"max_connections 1024 reached: closing the oldest idle connections"), d.log_text()[-2000:]
    assert d.running, d.describe()
