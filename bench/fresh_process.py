#!/usr/bin/env python3
"""The module's cost per fresh process: `pamtester SERVICE USER authenticate` in a loop.

    python3 bench/fresh_process.py [--rounds 7] [--runs 200] [--perf] [--module NAME=PATH]...

A process that authenticates once (pamtester, sshd's per-connection child, su) loads the
module, runs one pam_sm_authenticate and exits: it pays the module's load (mapping,
relocations, static constructors, the libraries it pulls in) and its first-use paths on every
login. Ours (build/pam_mysql.so) and Debian's C module run against the same MariaDB, the same
plain-text user and the same PAM line (auth only: no account step, whose second connection in
the C module would hide the difference). Inside every round the modules alternate in small
blocks (the order flipped from block to block), so a burst of load from elsewhere on the
machine falls on both; the ratio is taken round by round and the figures are medians.

Prints one JSON object: {"c": rate, "ours": rate, "ratio": ours/c, "rounds": [...]} with rates
in logins per second (wall clock), plus "permit" (the same loop over pam_permit.so, the floor),
"cpu_ms_NAME" (user + system CPU time of one pamtester process, from the children's rusage)
and "cpu_ratio" (C's CPU time over ours, comparable with "ratio": on a machine busy with other
work the wall clock mostly measures waiting for a core, the CPU time much less so), and, with
--perf, "perf": page faults and CPU time per pamtester run (perf stat).
--module NAME=PATH adds another build to the same rounds (e.g. an older .so for a before/after
comparison); its rate and ratio to C appear under its name.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Tests" / "integration"))
import pamharness as ph  # noqa: E402

OURS = REPO / "build" / "pam_mysql.so"
ORACLE = Path("/lib/x86_64-linux-gnu/security/pam_mysql.so")
PERMIT = Path("/lib/x86_64-linux-gnu/security/pam_permit.so")
USER, PASSWORD = "fresh-plain", "secret"


def one_login(service: str) -> None:
    r = subprocess.run(["pamtester", service, USER, "authenticate"], input=(PASSWORD + "\n").encode(), capture_output=True)
    if r.returncode != 0:
        raise RuntimeError(f"pamtester {service} failed: {r.stderr.decode(errors='replace').strip()}")


def timed(service: str, count: int) -> tuple[float, float]:
    """Wall-clock seconds for `count` pamtester logins, one after the other, and the CPU
    seconds (user + system) the pamtester processes used: on a machine shared with other
    work the CPU time moves much less than the wall clock."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    for _ in range(count):
        one_login(service)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def perf_figures(service: str, count: int) -> dict[str, float]:
    """Page faults, CPU time (task-clock, ms) and, where the machine counts them, instructions
    per pamtester run, from perf stat over `count` runs (the shell loop included); {} if perf
    is not installed or not allowed here. A counter the machine lacks is left out."""
    events = "page-faults,minor-faults,major-faults,task-clock,instructions"
    script = f'for i in $(seq {count}); do printf "%s\\n" "$PW" | pamtester {service} {USER} authenticate >/dev/null 2>&1 || exit 1; done'
    try:
        r = subprocess.run(["perf", "stat", "-x", ",", "-e", events, "sh", "-c", script],
                           capture_output=True, text=True, env={**ph.child_env(), "PW": PASSWORD})
    except FileNotFoundError:
        return {}
    if r.returncode != 0:
        return {}
    figures: dict[str, float] = {}
    for line in r.stderr.splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[0].replace(".", "").isdigit():
            figures[fields[2]] = float(fields[0]) / count
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="rounds (at least 5 unless --smoke)")
    parser.add_argument("--runs", type=int, default=200, help="pamtester runs per module per round")
    parser.add_argument("--block", type=int, default=20, help="runs per module before switching to the next")
    parser.add_argument("--ours", type=Path, default=OURS, help="our module (default build/pam_mysql.so)")
    parser.add_argument("--module", action="append", default=[], metavar="NAME=PATH", help="another build in the same rounds")
    parser.add_argument("--no-permit", action="store_true", help="leave out the pam_permit.so floor")
    parser.add_argument("--perf", action="store_true", help="add perf stat figures (page faults, CPU time per run)")
    parser.add_argument("--smoke", action="store_true", help="1 round of 4 runs, to check the script works")
    args = parser.parse_args()
    if args.smoke:
        args.rounds, args.runs, args.block = 1, 4, 2
    elif args.rounds < 5:
        parser.error("--rounds must be at least 5 (medians of rounds)")

    modules: dict[str, Path] = {"c": ORACLE, "ours": args.ours.resolve()}
    for spec in args.module:
        name, _, path = spec.partition("=")
        if not name or not path or name in modules or name == "permit":
            parser.error(f"--module wants NAME=PATH with a new name: {spec!r}")
        modules[name] = Path(path).resolve()
    for name, path in modules.items():
        if not path.is_file():
            parser.error(f"{name}: no module at {path}")

    server = ph.MariaDB.create()
    services: dict[str, ph.PamService] = {}
    try:
        server.add_user(USER, PASSWORD)
        for name, path in modules.items():
            services[name] = ph.write_pam_service(str(path), [f"auth required {{module}} {server.pam_args(crypt=0)}"])
        if not args.no_permit:
            services["permit"] = ph.write_pam_service(str(PERMIT), ["auth required {module}"])
        names = list(services)
        for name in names:  # warm the page cache and the server's tables before any timing
            for _ in range(3):
                one_login(services[name])

        rounds: list[dict[str, float]] = []
        for number in range(args.rounds):
            seconds = dict.fromkeys(names, 0.0)
            cpu = dict.fromkeys(names, 0.0)
            done = dict.fromkeys(names, 0)
            block = 0
            while min(done.values()) < args.runs:
                order = names if block % 2 == 0 else names[::-1]
                for name in order:
                    n = min(args.block, args.runs - done[name])
                    wall, used = timed(services[name], n)
                    seconds[name] += wall
                    cpu[name] += used
                    done[name] += n
                block += 1
            rates = {name: done[name] / seconds[name] for name in names}
            entry: dict[str, float] = {name: round(rate, 1) for name, rate in rates.items()}
            for name in names:
                entry[f"cpu_ms_{name}"] = round(cpu[name] * 1000 / done[name], 3)
            for name in names:
                if name not in ("c", "permit"):
                    suffix = "" if name == "ours" else f"_{name}"
                    entry[f"ratio{suffix}"] = round(rates[name] / rates["c"], 3)
                    # As a rate would be: the C module's CPU time over this one's.
                    entry[f"cpu_ratio{suffix}"] = round(cpu["c"] / cpu[name], 3)
            rounds.append(entry)
            print(f"round {number + 1}/{args.rounds}: {json.dumps(entry)}", file=sys.stderr)

        result: dict[str, object] = {}
        for name in names:
            result[name] = round(statistics.median(r[name] for r in rounds), 1)
        result["ratio"] = round(statistics.median(r["ratio"] for r in rounds), 3)
        for key in rounds[0]:
            if key not in result and key != "ratio":
                result[key] = round(statistics.median(r[key] for r in rounds), 3)
        result["rounds"] = rounds
        result["runs_per_round"] = args.runs
        if args.perf:
            result["perf"] = {name: perf_figures(services[name], 4 if args.smoke else 50) for name in names}
    finally:
        for service in services.values():
            ph.remove_pam_service(service)
        server.destroy()

    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
