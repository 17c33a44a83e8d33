#!/usr/bin/env python3
"""The module's own work per login in a long-lived host, in instructions (callgrind, exact).

    python3 bench/module_work.py [--module PATH]...

pam_loop runs 300 and then 100 logins of a plain-text user in one process; the difference
divided by 200 is the work of one login without the process's start-up and the module's load.
The same for pam_permit.so (libpam's own work per transaction) is subtracted. What remains is
the module's code plus its SELECT round trip's client side.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Tests" / "integration"))

import pamharness as ph  # noqa: E402

PERMIT = Path("/lib/x86_64-linux-gnu/security/pam_permit.so")


OPS = "auth"


def instructions(service: str, count: int) -> int:
    with tempfile.NamedTemporaryFile(suffix=".callgrind") as out:
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}", str(ph.PAM_LOOP),
             "-s", service, "-u", "plain", "-p", "secret", "-n", str(count), "-o", OPS, "-q"],
            capture_output=True, text=True, timeout=600)
    for line in run.stderr.splitlines():
        if "Collected :" in line:
            return int(line.rsplit(":", 1)[1].strip())
    raise RuntimeError(run.stderr[-2000:])


def per_login(service: str) -> float:
    return (instructions(service, 300) - instructions(service, 100)) / 200


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--module", action="append", type=Path, help="module .so (default build/pam_mysql.so)")
    parser.add_argument("--account", action="store_true", help="an account line too, and acct_mgmt after each login")
    args = parser.parse_args()
    modules = args.module or [REPO / "build" / "pam_mysql.so"]
    global OPS
    OPS = "auth,acct" if args.account else "auth"
    ph.ensure_helpers()
    db = ph.MariaDB.create()
    services = []
    try:
        db.add_user("plain", "secret")
        permit_lines = ["auth required {module}"] + (["account required {module}"] if args.account else [])
        permit = ph.write_pam_service(str(PERMIT), permit_lines, None)
        services.append(permit)
        floor = per_login(permit)
        print(f"pam_permit.so: {floor:,.0f} instructions per login")
        for module in (m.resolve() for m in modules):
            lines = [f"auth required {{module}} {db.pam_args(crypt=0)}"]
            if args.account:
                lines.append(f"account required {{module}} {db.pam_args(crypt=0)}")
            svc = ph.write_pam_service(str(module), lines, None)
            services.append(svc)
            total = per_login(svc)
            print(f"{module}: {total:,.0f} per login, {total - floor:,.0f} above pam_permit.so")
    finally:
        for svc in services:
            ph.remove_pam_service(svc)
        db.destroy()


if __name__ == "__main__":
    main()
