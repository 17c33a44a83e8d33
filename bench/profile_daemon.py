#!/usr/bin/env python3
"""Where a login's time goes in pam-mysql-authd (issue 16 item 8): perf record -g on the daemon
under the bench's load (4 persistent Dovecot-protocol connections), then the share of the
samples by library and the top symbols.

    python3 bench/profile_daemon.py [--seconds 10] [--scheme plain|sha512crypt] [--binary PATH]

The daemon should be the unstripped build (.build/release/pam-mysql-authd, the default when it
exists) so perf can name its symbols; the module is the one the daemon loads its options for
(no PAM module is dlopened: the daemon runs the login itself). Prints the load client's JSON,
the CPU seconds of the daemon, mariadbd and the client per login, and perf's tables.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "Tests" / "integration"))

UNSTRIPPED = REPO / ".build" / "release" / "pam-mysql-authd"
if "AUTHD" not in os.environ and UNSTRIPPED.exists():
    os.environ["AUTHD"] = str(UNSTRIPPED)

import authdharness as ah  # noqa: E402
import pamharness as ph  # noqa: E402
import peers  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--scheme", choices=peers.SCHEMES, default="plain")
    args = parser.parse_args()
    peers.build_tools()
    db = ph.MariaDB.create()
    tmp = Path(tempfile.mkdtemp(prefix="pmbench-profile-"))
    daemon = None
    try:
        users = [f"prof-{i:02d}" for i in range(peers.USERS_PER_SCHEME)]
        stored = peers.PASSWORD if args.scheme == "plain" else peers.SHA512
        db.sql("INSERT INTO users (username, password) VALUES "
               + ", ".join(f"({ph.sql_literal(u)}, {ph.sql_literal(stored)})" for u in users) + ";")
        user_file = tmp / "users"
        fd = os.open(user_file, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "w") as f:
            f.writelines(f"{u}\t{peers.PASSWORD}\n" for u in users)
        crypt = 0 if args.scheme == "plain" else 1
        daemon = ah.AuthDaemon({"bench": ah.service_lines(db, crypt=crypt)}, saslauthd=False).start()
        load = [str(peers.AUTHLOAD), "dovecot", str(daemon.auth), "-u", str(user_file), "-s", "bench", "-c",
                str(peers.CONNECTIONS)]
        subprocess.run(load + ["-d", "1"], check=True, capture_output=True)  # warm the pool
        perf_data = tmp / "perf.data"
        before = (peers.children_cpu(), peers.session_cpu(daemon.pid), peers.session_cpu(db.proc.pid))
        perf = subprocess.Popen(["perf", "record", "-q", "-g", "-F", "999", "-p", str(daemon.pid), "-o", str(perf_data)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        run = subprocess.run(load + ["-d", str(args.seconds)], check=True, capture_output=True, text=True)
        perf.send_signal(2)
        perf.wait(timeout=60)
        after = (peers.children_cpu(), peers.session_cpu(daemon.pid), peers.session_cpu(db.proc.pid))
        result = peers.json.loads(run.stdout)
        logins = result["requests"]
        print(run.stdout.strip())
        print("CPU µs per login: " + ", ".join(
            f"{name} {(a - b) * 1e6 / logins:.0f}" for name, a, b in zip(("client (+perf)", "daemon", "mariadbd"), after, before)))
        # Self time by library and by symbol, then time including callees (which system calls
        # and which of the daemon's steps the kernel's share comes from).
        for sort, limit, children in (("dso", "1", "--no-children"), ("dso,symbol", "0.8", "--no-children"),
                                      ("symbol", "3", "--children")):
            report = subprocess.run(["perf", "report", "-i", str(perf_data), "--stdio", children, "--sort", sort,
                                     "--percent-limit", limit, "-g", "none"], capture_output=True, text=True)
            print(f"\n== perf report {children} --sort {sort}")
            print("\n".join(line.rstrip(" -")[:160] for line in report.stdout.splitlines()
                            if line.strip() and not line.startswith("#")))
    finally:
        if daemon is not None:
            daemon.destroy()
        db.destroy()
        subprocess.run(["rm", "-rf", str(tmp)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
