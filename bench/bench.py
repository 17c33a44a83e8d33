#!/usr/bin/env python3
"""make bench: the C pam_mysql and ours, side by side, in one run.

Same MariaDB, same users, same PAM lines; the modules alternate within every round, and each
figure is the median of the rounds. Ratios are ours / C (higher is better for rates).

  (a) process per login: pamtester in a loop (authenticate + acct_mgmt)
  (b) one long-lived process: pam_loop, pam_start/authenticate/acct_mgmt/pam_end in a loop
  (c) saslauthd -a pam with 2 workers, driven over its socket by concurrent clients
for a plain-text and a SHA-512-crypt user, with the pam_permit.so floor, the server's
Connections and Com_select per 1000 logins, a C client's SELECT round trip, and resident
memory of the long-lived process over 10,000 logins.

--smoke runs every part with tiny counts (used by make test to keep this script working).
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Tests" / "integration"))
import pamharness as ph  # noqa: E402

import peers  # noqa: E402  (bench/peers.py: the daemon against Dovecot, saslauthd and the limits)

OURS = REPO / "build" / "pam_mysql.so"
ORACLE = Path("/lib/x86_64-linux-gnu/security/pam_mysql.so")
PERMIT = Path("/lib/x86_64-linux-gnu/security/pam_permit.so")
SELECT_LOOP = REPO / "build" / "bench" / "select_loop"
DLOPEN_COST = REPO / "build" / "bench" / "dlopen_cost"


def load_instructions(module: Path) -> int:
    """Instructions to dlopen `module` (with its libraries) in a fresh process, counted by
    callgrind: exact and repeatable, unlike a timing."""
    with tempfile.NamedTemporaryFile(suffix=".callgrind") as out:
        run = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}",
                              str(DLOPEN_COST), str(module)], capture_output=True, text=True)
        for line in run.stderr.splitlines():
            if "Collected :" in line:
                return int(line.rsplit(":", 1)[1].strip())
    raise RuntimeError(f"callgrind gave no count: {run.stderr[-2000:]}")

USERS = {
    "plain": ("bench-plain", "secret", "secret", 0),
    "sha512crypt": (
        "bench-sha512",
        "secret",
        "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1",
        1,
    ),
}


def service_for(module: str, server: ph.MariaDB, crypt: int) -> ph.PamService:
    if module == "permit":
        lines = [f"auth required {PERMIT}", f"account required {PERMIT}"]
    else:
        path = OURS if module == "ours" else ORACLE
        args = server.pam_args(crypt=crypt)
        lines = [f"auth required {path} {args}", f"account required {path} {args}"]
    return ph.write_pam_service("/dev/null", lines)


def rate_pamtester(service: str, user: str, password: str, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        r = subprocess.run(
            ["pamtester", service, user, "authenticate", "acct_mgmt"],
            input=(password + "\n").encode(), capture_output=True)
        if r.returncode != 0:
            raise RuntimeError(f"pamtester failed: {r.stderr.decode(errors='replace')}")
    return count / (time.perf_counter() - start)


def run_loop(service: str, user: str, password: str, count: int) -> tuple[float, dict[str, str]]:
    argv = [str(ph.PAM_LOOP), "-s", service, "-u", user, "-o", "auth,acct", "-n", str(count), "-q", "-p", password]
    start = time.perf_counter()
    r = subprocess.run(argv, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        raise RuntimeError(f"pam_loop failed: {r.stdout}{r.stderr}")
    summary = dict(kv.split("=", 1) for kv in r.stdout.split()[1:] if "=" in kv)
    return count / elapsed, summary


class Saslauthd:
    """saslauthd -a pam -n 2 in the foreground, in its own session, stopped by PID."""

    def __init__(self, workers: int = 2) -> None:
        self.dir = tempfile.mkdtemp(prefix="pmbench-sasl-")
        self.socket = os.path.join(self.dir, "mux")
        self.log = open(os.path.join(self.dir, "saslauthd.log"), "wb")
        self.proc = subprocess.Popen(
            ["saslauthd", "-a", "pam", "-n", str(workers), "-m", self.dir, "-d"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.socket):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("saslauthd did not start")
            time.sleep(0.05)

    def request(self, user: str, password: str, service: str) -> bytes:
        fields = [user.encode(), password.encode(), service.encode(), b""]
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(self.socket)
            s.sendall(b"".join(struct.pack(">H", len(f)) + f for f in fields))
            header = s.recv(2, socket.MSG_WAITALL)
            (length,) = struct.unpack(">H", header)
            return s.recv(length, socket.MSG_WAITALL)

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()
        subprocess.run(["rm", "-rf", self.dir])


def rate_saslauthd(sasl: Saslauthd, service: str, user: str, password: str, count: int, clients: int) -> float:
    failures: list[bytes] = []

    def client(n: int) -> None:
        for _ in range(n):
            answer = sasl.request(user, password, service)
            if not answer.startswith(b"OK"):
                failures.append(answer)

    per_client = max(count // clients, 1)
    threads = [threading.Thread(target=client, args=(per_client,)) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise RuntimeError(f"saslauthd answered {failures[0]!r}")
    return per_client * clients / elapsed


def counters(server: ph.MariaDB) -> dict[str, int]:
    return {name: server.status(name) for name in ("Connections", "Com_select")}


def per_thousand(before: dict[str, int], after: dict[str, int], logins: int) -> dict[str, float]:
    # Each server.status() call is one mariadb client connection: subtract the two reads of
    # the `before` snapshot (they happen after `before` was taken... only the after-side counts).
    own = len(before)
    return {
        "Connections": (after["Connections"] - before["Connections"] - own) * 1000 / logins,
        "Com_select": (after["Com_select"] - before["Com_select"]) * 1000 / logins,
    }


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true", help="tiny counts, to check the script works")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=None, help="seconds per service per round (peers)")
    parser.add_argument("--only-peers", action="store_true", help="skip the module-against-module part")
    parser.add_argument("--output", default=str(REPO / "BENCHMARKS.md"))
    args = parser.parse_args()
    smoke = args.smoke
    rounds = 1 if smoke else args.rounds
    n_pamtester = 5 if smoke else 150
    n_loop = 20 if smoke else 2000
    n_sasl = 20 if smoke else 2000
    n_memory = 100 if smoke else 10000
    modules = ["oracle", "ours", "permit"]

    ph.ensure_helpers()
    SELECT_LOOP.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cc", "-O2", "-o", str(SELECT_LOOP), str(REPO / "bench" / "select_loop.c"), "-lmariadb"], check=True)
    subprocess.run(["cc", "-O2", "-o", str(DLOPEN_COST), str(REPO / "bench" / "dlopen_cost.c"), "-ldl"], check=True)

    server = ph.MariaDB.create()
    services: list[ph.PamService] = []
    sasl: Saslauthd | None = None
    results: dict[tuple[str, str, str], list[float]] = {}
    extra: dict[str, object] = {}
    try:
        peer_lines = peers.run(server, rounds, smoke, args.seconds)
        if not args.only_peers:
            for name, (user, _, stored, _) in USERS.items():
                server.add_user(user, stored)
            svc = {(m, scheme): service_for(m, server, USERS[scheme][3]) for m in modules for scheme in USERS}
            services.extend(svc.values())
            sasl = Saslauthd(workers=2)

            for round_number in range(rounds):
                for scheme, (user, password, _, _) in USERS.items():
                    for m in modules:  # alternate the modules inside every round
                        results.setdefault(("a", scheme, m), []).append(rate_pamtester(svc[m, scheme], user, password, n_pamtester))
                        rate, _ = run_loop(svc[m, scheme], user, password, n_loop)
                        results.setdefault(("b", scheme, m), []).append(rate)
                        results.setdefault(("c", scheme, m), []).append(
                            rate_saslauthd(sasl, svc[m, scheme], user, password, n_sasl, clients=4))
                print(f"round {round_number + 1}/{rounds} done", file=sys.stderr)

            # Exact server-side counters, one measured run per mode and module (plain scheme).
            user, password, _, _ = USERS["plain"]
            for m in ("oracle", "ours"):
                before = counters(server)
                run_loop(svc[m, "plain"], user, password, n_loop)
                extra[f"b-counters-{m}"] = per_thousand(before, counters(server), n_loop)
                before = counters(server)
                rate_saslauthd(sasl, svc[m, "plain"], user, password, n_sasl, clients=4)
                extra[f"c-counters-{m}"] = per_thousand(before, counters(server), n_sasl)
            # Memory of the long-lived process.
            for m in ("oracle", "ours"):
                _, summary = run_loop(svc[m, "plain"], user, password, n_memory)
                extra[f"rss-{m}"] = (int(summary.get("rss_kb_early", 0)), int(summary.get("rss_kb", 0)))
            out = subprocess.run(
                [str(SELECT_LOOP), "127.0.0.1", str(server.port), server.db_user, server.db_password, server.db_name,
                 str(200 if smoke else 5000)], capture_output=True, text=True, check=True).stdout
            extra["select_us"] = float(out.split("per_query_us=")[1])
            extra["load"] = {m: load_instructions(p) for m, p in (("C", ORACLE), ("ours", OURS), ("pam_permit", PERMIT))}
    finally:
        if sasl is not None:
            sasl.stop()
        for s in services:
            ph.remove_pam_service(s)
        server.destroy()

    report = "" if args.only_peers else render(results, extra, rounds, smoke, dict(a=n_pamtester, b=n_loop, c=n_sasl, m=n_memory))
    report += "\n".join(peer_lines) + "\n"
    print(report)
    if not smoke and not args.only_peers:
        Path(args.output).write_text(report)
    return 0


def render(results, extra, rounds, smoke, counts) -> str:
    lines = [
        "# Benchmarks: pam_mysql (C, Debian 12 libpam-mysql 0.8.2) against ours",
        "",
        "Reproduce with `make bench` (as root; it starts its own MariaDB and saslauthd). "
        f"{rounds} rounds, the modules alternating inside each round; each figure is the median "
        "of the rounds, in logins per second (authenticate + account check each). "
        "Ratios are ours / C; `floor` is the same loop over `pam_permit.so`, which touches no database.",
        "",
        f"Counts per round: (a) {counts['a']} pamtester runs, (b) {counts['b']} logins in one process, "
        f"(c) {counts['c']} saslauthd requests from 4 concurrent clients, 2 saslauthd workers.",
        "",
        "| mode | scheme | C | ours | floor | ours / C | ours / floor |",
        "|---|---|---|---|---|---|---|",
    ]
    names = {"a": "(a) pamtester, process per login", "b": "(b) long-lived process", "c": "(c) saslauthd -a pam"}
    for mode in ("a", "b", "c"):
        for scheme in USERS:
            c = median(results[mode, scheme, "oracle"])
            o = median(results[mode, scheme, "ours"])
            f = median(results[mode, scheme, "permit"])
            lines.append(f"| {names[mode]} | {scheme} | {c:.0f} | {o:.0f} | {f:.0f} | {o / c:.2f} | {o / f:.2f} |")
    lines += [
        "",
        "Server counters per 1000 logins (`SHOW GLOBAL STATUS`, exact), plain scheme:",
        "",
        "| mode | module | Connections | Com_select |",
        "|---|---|---|---|",
    ]
    for mode in ("b", "c"):
        for m in ("oracle", "ours"):
            value = extra[f"{mode}-counters-{m}"]
            lines.append(f"| {names[mode]} | {'C' if m == 'oracle' else 'ours'} | {value['Connections']:.1f} | {value['Com_select']:.0f} |")
    rc, ro = extra["rss-oracle"], extra["rss-ours"]
    lines += [
        "",
        f"Resident memory of the long-lived process (pam_loop) after {counts['m'] // 10} and {counts['m']} logins: "
        f"C {rc[0]} kB → {rc[1]} kB, ours {ro[0]} kB → {ro[1]} kB.",
        "",
        f"Reference: one SELECT round trip from a C client on an open connection: {extra['select_us']:.0f} µs.",
        "",
        "Load cost, the part of (a) a process pays once: instructions to `dlopen` the module with its "
        "libraries in a fresh process (callgrind, exact): "
        + ", ".join(f"{name} {count / 1e6:.2f} M" for name, count in extra["load"].items())
        + f" (ours / C = {extra['load']['ours'] / extra['load']['C']:.2f}).",
    ]
    lines += [
        "",
        "## Where the time goes",
        "",
        "- (b) and (c): a login of ours is one SELECT on a pooled connection (see the counters); "
        "the floor plus one SELECT round trip is the limit for any module that asks the database, "
        "and the gap between ours and that limit is the module's own work per PAM call (argument "
        "parsing, the prepared statement's bind and fetch). The C module opens two connections "
        "and sends three SELECTs per login.",
        "- SHA-512-crypt rows are dominated by the 5000 rounds of the hash itself, the same work "
        "for both modules; the ratio there is the connection and query saving alone.",
        "- (a): a process that authenticates once pays for loading the module: about 15,000 "
        "relative relocations (packed with `-z pack-relative-relocs`) over some 45 pages of the "
        "runtime's data, copied on write in every process, and the lookups of its imports. The "
        "runtime's largest static constructor (CommandLine.cpp, which parsed /proc/self/maps line "
        "by line: 0.23 M instructions) is no longer linked (bench/fresh_process.py measures the "
        "authenticate-only case). Loading the shared libstdc++ that "
        "the runtime needs cost 3.5 M instructions, more than everything else: it is now linked "
        "statically (9.4 M instructions before, C module 4.7 M). libsodium is no longer linked "
        "but opened on the first Argon2 value (0.25 M instructions less at every load).",
        "- (a), the first PAM call: a whole `pamtester` login under callgrind went from 12.45 M "
        "instructions to 11.20 M (C module 9.74 M) by avoiding the Swift runtime's slow first-use "
        "paths: the option table stored fields through key paths, which the runtime instantiates "
        "by demangling (0.7 M); `pam_prompt`/`pam_syslog` were called through `withVaList`, whose "
        "`CVarArg` cast scans every protocol conformance record once (0.25 M); both are now plain "
        "calls. What is left above the C module is the dynamic linker binding the runtime's "
        "imports and the first instantiation of a dozen generic types.",
        "- (b) and (c), per login: the module's own work went from about 120,000 to 73,000 "
        "instructions (callgrind, pam_loop, the difference of 300 and 100 logins, minus the "
        "`pam_permit.so` loop): trace messages (the escaped SQL text) are built only when "
        "`verbose` logs them, and option errors build their text only when they occur. The C "
        "module's per-login work is 0.93 M instructions.",
    ]
    if smoke:
        lines.insert(1, "\n(smoke run: tiny counts, figures meaningless)\n")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
