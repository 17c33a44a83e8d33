#!/usr/bin/env python3
"""make demo: a throwaway MariaDB with a few example users, and real logins through pamtester.

Shows the pam.d line used and, for each login, what PAM answered and what the module logged.
Everything it starts is stopped at the end (the server, the /etc/pam.d file).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Tests" / "integration"))
import pamharness as ph  # noqa: E402

MODULE = REPO / "build" / "pam_mysql.so"

USERS = [
    # (user, stored value, what it is)
    ("alice@example.com", "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1", "SHA-512-crypt of 'secret'"),
    ("bob@example.com", "$2y$10$onYkUEKoKBcWnrgFqjq5.eTPF1oRE.WZ9bG6u9MqgUVDeukGzyqIy", "bcrypt of 'this is a passwd'"),
    ("carol@example.com", "abNANd1rDfiNc", "DES crypt of 'secret' (inactive account)"),
]

LOGINS = [
    ("alice@example.com", "secret", "right password"),
    ("alice@example.com", "Secret", "wrong password"),
    ("ALICE@example.com", "secret", "other case: MariaDB's collation matches it, as with pam_mysql"),
    ("bob@example.com", "this is a passwd", "bcrypt"),
    ("carol@example.com", "secret", "right password, but the account line says inactive"),
    ("mallory@example.com", "secret", "no such user"),
]


def bold(text: str) -> str:
    return f"\033[1m{text}\033[0m" if sys.stdout.isatty() else text


def main() -> int:
    if not MODULE.exists():
        print(f"{MODULE} is missing: run make first", file=sys.stderr)
        return 1
    ph.ensure_helpers()
    print(bold("1. A throwaway MariaDB on loopback"))
    server = ph.MariaDB.create()
    service = None
    try:
        print(f"   datadir and socket under {server.socket.rsplit('/', 1)[0]}, listening on {server.tcp_host}")
        for user, stored, what in USERS:
            server.add_user(user, stored, active=0 if user.startswith("carol") else 1)
        print("   table users:")
        for user, stored, what in USERS:
            print(f"     {user:<20} {what}")

        args = server.pam_args(crypt=1)
        lines = [
            f"auth    required {{module}} {args}",
            f"account required {{module}} {args} [statcolumn=IF(active=1,0,1)]",
        ]
        service = ph.write_pam_service(MODULE, lines)
        print()
        print(bold(f"2. The PAM service /etc/pam.d/{service}"))
        # The demo's SQL password is a throwaway, but we never print secrets, not even that one.
        shown = service.path.read_text().replace(server.db_password, "<db password>")
        for line in shown.splitlines():
            print(f"   {line}")

        print()
        print(bold("3. Logins through pamtester (authenticate, then acct_mgmt)"))
        for user, password, what in LOGINS:
            result = ph.run_pamtester(service, user, [password], ops=("authenticate", "acct_mgmt"))
            verdict = "accepted" if result.code == 0 else "refused"
            print(f"   $ echo '{password}' | pamtester {service} {user} authenticate acct_mgmt")
            print(f"     {what}: {verdict}, {result.name} ({result.code})")
            for priority, message in result.log:
                print(f"     syslog <{priority}> {message}")
        print()
        print(bold("4. The database stops: logins fail with PAM_AUTHINFO_UNAVAIL, quickly"))
        with server.stopped():
            result = ph.run_pamtester(service, "alice@example.com", ["secret"])
            print(f"     {result.name} ({result.code}) after {result.elapsed:.2f} s")
            for priority, message in result.log:
                print(f"     syslog <{priority}> {message}")
        print()
        print("Done. Next: README.md (options, differences from pam_mysql 0.8.2), make test.")
        return 0
    finally:
        if service is not None:
            ph.remove_pam_service(service)
        server.destroy()


if __name__ == "__main__":
    sys.exit(main())
