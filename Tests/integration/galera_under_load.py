"""`make galera` (not part of `make test`): logins under load through a real 3-node MariaDB
Galera cluster while one node is killed, rejoins, and is cut off the primary component.

The cluster (galeraharness: galera-4, nodes on loopback, rsync SST) holds the users; every
client names `host=node1,node2,node3`. Four kinds of client run at once, without pause, each
a mix of right passwords, wrong passwords and unknown users:

    dovecot    pam-mysql-authd, Dovecot's protocol, persistent connections (as Postfix)
    sasl       pam-mysql-authd, saslauthd's protocol, one connection per request
    module     the module in long-lived PAM hosts (helpers/pam_driver.py): exact PAM codes
    saslauthd  the module inside a real `saslauthd -a pam -r` (OK or NO only)

The timeline: all nodes up; node 1 SIGKILLed; node 1 restarted (it rejoins by IST or SST); the
clients come back to node 1 after failover_retry; node 1 isolated (gmcast.isolate=1: it keeps
accepting connections and answers ER 1047 to every SELECT); node 1 rejoined. While it is
isolated, a client whose host list holds only node 1 gets a temporary failure (the module's
PAM_AUTHINFO_UNAVAIL, the daemon's temporary failure), never a refusal.

Asserted: no wrong answer on any path (a right password refused, a wrong one or an unknown
user accepted), every answer within 8 s, right passwords accepted in every phase, node 1
serves again after it rejoined. The figures (answers by kind and phase, worst latency) are
printed and written to build/galera-results.txt.
"""
from __future__ import annotations

import collections
import dataclasses
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import authdharness as ah
import mailchain as mc
import pamharness as ph
from galeraharness import GaleraCluster

USERS = [(f"user{i}@example.org", f"Pw-{i}-galera") for i in range(40)]
RETRY = 5  # failover_retry: node 1 is tried again this long after it failed
LIMIT = 8.0  # every answer within this (Postfix waits 10 s)
DRIVER = Path(__file__).parent / "helpers" / "pam_driver.py"
RESULTS = ph.BUILD_DIR / "galera-results.txt"


# --------------------------------------------------------------------------
# Answers
# --------------------------------------------------------------------------


@dataclasses.dataclass
class Answer:
    path: str
    phase: str
    expected: str  # "ok" or "refused"
    got: str  # "ok", "refused", "temporary" or "other"
    latency: float
    detail: str = ""

    @property
    def wrong(self) -> bool:
        return self.got == "other" or {self.expected, self.got} == {"ok", "refused"}


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.answers: list[Answer] = []
        self.phase = "all up"
        self.phases: list[str] = [self.phase]

    def enter(self, phase: str) -> None:
        with self.lock:
            self.phase = phase
            self.phases.append(phase)
        print(f"[{time.strftime('%H:%M:%S')}] phase: {phase}", flush=True)

    def add(self, path: str, expected: str, got: str, latency: float, phase: str, detail: str = "") -> None:
        with self.lock:
            self.answers.append(Answer(path, phase, expected, got, latency, detail))

    def current(self) -> str:
        with self.lock:
            return self.phase


def cases(seed: int):
    """An endless mix: 2 right passwords, 1 wrong, 1 unknown user out of 4."""
    rng = random.Random(seed)
    while True:
        user, password = rng.choice(USERS)
        kind = rng.randrange(4)
        if kind < 2:
            yield user, password, "ok"
        elif kind == 2:
            yield user, password + "x", "refused"
        else:
            yield f"ghost{rng.randrange(1000)}@example.org", password, "refused"


def dovecot_client(authd: ah.AuthDaemon, service: str, tally: Tally, stop: threading.Event, seed: int) -> None:
    client = None
    rid = 0
    for user, password, expected in cases(seed):
        if stop.is_set():
            break
        if client is None:
            client = authd.dovecot(timeout=15)
            client.handshake()
        rid += 1
        phase = tally.current()
        t0 = time.monotonic()
        reply = client.plain(rid, user, password, service=service, timeout=15)
        latency = time.monotonic() - t0
        if reply is None:  # the daemon's temporary failure closes the connection (Postfix: 454)
            got = "temporary"
            client.close()
            client = None
        else:
            got = {"OK": "ok", "FAIL": "refused"}.get(reply.command, "other")
        tally.add("dovecot", expected, got, latency, phase, "" if reply is None else reply.command)
    if client is not None:
        client.close()


def sasl_client(authd: ah.AuthDaemon, service: str, tally: Tally, stop: threading.Event, seed: int) -> None:
    sasl = ah.SaslauthdClient(authd.mux)
    for user, password, expected in cases(seed):
        if stop.is_set():
            break
        phase = tally.current()
        reply = sasl.request([user, password, service, ""], timeout=15)
        got = {"OK": "ok", "NO": "refused", "EMPTY": "temporary"}.get(reply.kind, "other")
        tally.add("sasl", expected, got, reply.elapsed, phase, reply.kind)


def saslauthd_client(mux: Path, service: str, tally: Tally, stop: threading.Event, seed: int) -> None:
    """Through the real saslauthd: its NO does not tell a temporary failure from a refusal, so a
    right password answered NO counts as wrong."""
    sasl = ah.SaslauthdClient(mux)
    for user, password, expected in cases(seed):
        if stop.is_set():
            break
        phase = tally.current()
        reply = sasl.request([user, password, service, ""], timeout=15)
        got = {"OK": "ok", "NO": "refused"}.get(reply.kind, "other")
        tally.add("saslauthd", expected, got, reply.elapsed, phase, reply.kind)


PAM_KINDS = {ph.PAM_SUCCESS: "ok", ph.PAM_AUTH_ERR: "refused", ph.PAM_USER_UNKNOWN: "refused",
             ph.PAM_AUTHINFO_UNAVAIL: "temporary"}


def module_client(service, tally: Tally, stop: threading.Event, seed: int) -> None:
    proc = subprocess.Popen([sys.executable, str(DRIVER), str(service), "x", "x"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=ph.child_env())
    try:
        for user, password, expected in cases(seed):
            if stop.is_set():
                break
            phase = tally.current()
            proc.stdin.write(f"login {user} {password}\n")
            proc.stdin.flush()
            words = proc.stdout.readline().split()
            if len(words) != 3:
                tally.add("module", expected, "other", 0.0, phase, f"driver said {words}")
                break
            auth, acct, seconds = int(words[0]), int(words[1]), float(words[2])
            got = PAM_KINDS.get(auth, "other")
            if got == "ok" and acct != ph.PAM_SUCCESS:
                got = "other"
            tally.add("module", expected, got, seconds, phase, f"auth={auth} acct={acct}")
    finally:
        proc.stdin.close()
        proc.wait(30)


# --------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    cluster = GaleraCluster.create(3)
    try:
        rows = ", ".join(f"({ph.sql_literal(u)}, {ph.sql_literal(p)})" for u, p in USERS)
        cluster.nodes[0].sql(f"INSERT INTO users (username, password) VALUES {rows}")
        for node in cluster.nodes[1:]:
            node.wait_status("last_committed", cluster.nodes[0].wsrep("last_committed"))
        yield cluster
    finally:
        cluster.destroy()


def options(cluster, nodes=None) -> dict:
    return ah.fast_timeouts(host=cluster.host_option(nodes), crypt=0, failover_retry=RETRY)


def module_lines(cluster, nodes=None) -> list[str]:
    args = cluster.nodes[0].pam_args(**options(cluster, nodes))
    return [f"auth required {{module}} {args}", f"account required {{module}} {args}"]


def wait_phase(seconds: float) -> None:
    time.sleep(seconds)


def guarded(target, errors: list[str]):
    """A client thread's body that records what it raised (a dead client would only show as
    missing answers)."""
    def run(*args):
        try:
            target(*args)
        except Exception as e:  # noqa: BLE001 - reported by the test
            errors.append(f"{target.__name__}: {type(e).__name__}: {e}")
    return run


def summary(tally: Tally, extra: list[str]) -> str:
    lines = [f"make galera, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}: 3-node Galera cluster, host=node1,node2,node3, "
             f"failover_retry={RETRY}"]
    by_path = collections.defaultdict(list)
    for a in tally.answers:
        by_path[a.path].append(a)
    lines.append(f"{'path':<10} {'answers':>8} {'ok':>7} {'refused':>8} {'temporary':>10} {'wrong':>6} "
                 f"{'worst s':>8} {'median s':>9}")
    for path in ("dovecot", "sasl", "module", "saslauthd"):
        answers = by_path.get(path, [])
        if not answers:
            continue
        kinds = collections.Counter(a.got for a in answers)
        latencies = sorted(a.latency for a in answers)
        lines.append(f"{path:<10} {len(answers):>8} {kinds['ok']:>7} {kinds['refused']:>8} {kinds['temporary']:>10} "
                     f"{sum(a.wrong for a in answers):>6} {latencies[-1]:>8.3f} {latencies[len(latencies) // 2]:>9.3f}")
    lines.append("by phase (all paths): answers / ok / refused / temporary / wrong / worst s")
    for phase in dict.fromkeys(tally.phases):
        answers = [a for a in tally.answers if a.phase == phase]
        if not answers:
            continue
        kinds = collections.Counter(a.got for a in answers)
        lines.append(f"  {phase:<44} {len(answers):>6} {kinds['ok']:>6} {kinds['refused']:>6} {kinds['temporary']:>5} "
                     f"{sum(a.wrong for a in answers):>3} {max(a.latency for a in answers):>7.3f}")
    lines += extra
    return "\n".join(lines) + "\n"


def test_logins_ride_through_a_node_killed_rejoined_and_cut_off(cluster, pam_service_factory, our_module):
    node1 = cluster.nodes[0]
    all_nodes = pam_service_factory(our_module, module_lines(cluster))
    only_node1 = pam_service_factory(our_module, module_lines(cluster, [node1]))
    authd = ah.AuthDaemon({"smtp": ah.service_lines(node1, **options(cluster)),
                           "alone": ah.service_lines(node1, **options(cluster, [node1]))}).start()
    root = mc.MailRoot()
    saslauthd = mc.Saslauthd(root.private_run_dir("saslauthd"), realm=False, workers=3).start()
    tally = Tally()
    stop = threading.Event()
    extra: list[str] = []
    errors: list[str] = []
    workers = (
        [threading.Thread(target=guarded(dovecot_client, errors), args=(authd, "smtp", tally, stop, i)) for i in range(4)]
        + [threading.Thread(target=guarded(sasl_client, errors), args=(authd, "smtp", tally, stop, 10 + i)) for i in range(2)]
        + [threading.Thread(target=guarded(module_client, errors), args=(all_nodes, tally, stop, 20 + i)) for i in range(2)]
        + [threading.Thread(target=guarded(saslauthd_client, errors), args=(saslauthd.mux, str(all_nodes), tally, stop, 30 + i))
           for i in range(2)]
    )
    try:
        for w in workers:
            w.start()
        wait_phase(6)

        tally.enter("node 1 killed (SIGKILL)")
        node1.kill()
        wait_phase(10)

        tally.enter("node 1 restarting and rejoining")
        t0 = time.monotonic()
        node1.start()
        extra.append(f"node 1 rejoined (Synced) {time.monotonic() - t0:.1f} s after its restart")
        tally.enter("node 1 back (after failover_retry)")
        wait_phase(RETRY + 2)
        before = node1.status("Com_stmt_execute")
        wait_phase(4)
        served = node1.status("Com_stmt_execute") - before
        extra.append(f"statements node 1 executed in 4 s once back: {served}")

        tally.enter("node 1 outside the primary component (1047)")
        cluster.isolate(node1)
        wait_phase(3)
        # A host list with node 1 alone: a temporary failure, never a refusal.
        alone = []
        for user, password in (USERS[0], (USERS[0][0], "wrong"), ("ghost@example.org", "x")):
            r = ph.run_pam_loop(only_node1, user, answers=[password])
            alone.append(("module", r.code, r.elapsed))
            s = authd.sasl(user, password, "alone")
            alone.append(("sasl", s.kind, s.elapsed))
        extra.append("node 1 alone while cut off: " + ", ".join(f"{p} {c} in {t:.2f} s" for p, c, t in alone))
        wait_phase(6)

        tally.enter("node 1 rejoined after isolation")
        cluster.rejoin(node1)
        wait_phase(RETRY + 4)
    finally:
        stop.set()
        for w in workers:
            w.join(60)
        left = saslauthd.stop()
        rc = authd.stop()
        authd_log = authd.log_text()
        authd.destroy()
        root.destroy()

    text = summary(tally, extra)
    print("\n" + text, flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)

    assert not errors, errors
    assert not left, f"saslauthd processes left: {left}"
    assert rc == 0, authd_log[-4000:]
    wrong = [a for a in tally.answers if a.wrong]
    assert not wrong, f"{len(wrong)} wrong answers, first: {wrong[:10]}"
    slow = [a for a in tally.answers if a.latency >= LIMIT]
    assert not slow, f"{len(slow)} answers took {LIMIT} s or more: {slow[:10]}"
    for path in ("dovecot", "sasl", "module", "saslauthd"):
        for phase in dict.fromkeys(tally.phases):
            ok = [a for a in tally.answers if a.path == path and a.phase == phase and a.got == "ok"]
            assert ok, f"{path}: no right password accepted during '{phase}'"
    assert [c for p, c, _ in alone if p == "module"] == [ph.PAM_AUTHINFO_UNAVAIL] * 3, alone
    assert [c for p, c, _ in alone if p == "sasl"] == ["EMPTY"] * 3, alone
    assert all(t < LIMIT for _, _, t in alone), alone
    assert served > 0, "node 1 was not used again after it rejoined"
    assert "WSREP has not yet prepared node for application use" in authd_log, "the daemon never met ER 1047"
