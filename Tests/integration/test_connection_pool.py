"""The process-wide connection pool (README, Performance): correct in every kind of host.

Each test counts the server's `Connections` (exact) around a run of real PAM transactions
driven by helpers/pam_concurrency.c: threads at once, a fork in the middle, sleeps longer than
the server's `wait_timeout`, and two SQL logins in one process.
"""
from __future__ import annotations

import subprocess

import pytest

import pamharness as ph

PW = "Pool-pw-3x"
CONCURRENCY = ph.HELPERS_DIR / "pam_concurrency"


@pytest.fixture
def pool_service(db, pam_service_factory, our_module):
    db.add_user("pooled", PW)

    def make(**options):
        args = db.pam_args(crypt=0, **options)
        return pam_service_factory(our_module, [f"auth required {{module}} {args}",
                                                f"account required {{module}} {args}"])

    return make


def connections(db) -> int:
    # Reading the counter opens one client connection, which it counts itself.
    return db.status("Connections")


def drive(service, mode, password=PW, *extra, timeout=120) -> tuple[int, dict[str, dict[str, str]]]:
    ph.ensure_helpers()
    run = subprocess.run([str(CONCURRENCY), "-s", service, "-u", "pooled", "-p", password, "-m", mode, *extra],
                         capture_output=True, text=True, timeout=timeout)
    assert run.returncode in (0, 1), (run.returncode, run.stdout, run.stderr)
    phases = {}
    for line in run.stdout.splitlines():
        fields = dict(kv.split("=", 1) for kv in line.split()[1:])
        phases[fields["name"]] = fields
    return run.returncode, phases


def test_threads_each_get_their_own_connection_and_every_login_succeeds(db, pool_service):
    service = pool_service()
    before = connections(db)
    rc, phases = drive(service, "threads", PW, "-t", "8", "-n", "40")
    opened = connections(db) - before - 1
    assert rc == 0 and phases["threads"]["ok"] == "320", phases
    # Never more connections than threads at once (no connection per login, none shared).
    assert 1 <= opened <= 8, opened


def test_a_forked_child_never_uses_or_closes_its_parents_connection(db, pool_service):
    service = pool_service()
    before = connections(db)
    rc, phases = drive(service, "fork", PW, "-n", "5")
    opened = connections(db) - before - 1
    assert rc == 0, phases
    assert [phases[p]["ok"] for p in ("parent-before", "child", "parent-after")] == ["5", "5", "5"], phases
    # One for the parent (kept across the fork, still working afterwards: the child sent no
    # COM_QUIT on it) and one for the child.
    assert opened == 2, opened


def test_a_connection_the_server_timed_out_is_replaced_without_a_false_failure(db, pool_service):
    service = pool_service()
    db.sql("SET GLOBAL wait_timeout = 1")
    try:
        before = connections(db)
        rc, phases = drive(service, "sleep", PW, "-n", "3", "-S", "2")
        opened = connections(db) - before - 1
        assert rc == 0 and phases["sleep"]["ok"] == "3", phases
        assert opened == 3, opened  # every pooled connection had been closed by the server
        # And a wrong password over a replaced connection is still refused.
        rc, phases = drive(service, "sleep", "wrong-pw", "-n", "2", "-S", "2")
        assert rc == 1 and phases["sleep"]["ok"] == "0" and phases["sleep"]["codes"] == "7", phases
    finally:
        db.sql("SET GLOBAL wait_timeout = 28800")


def test_different_sql_logins_get_different_connections(db, pool_service, pam_service_factory, our_module):
    db.sql("CREATE USER IF NOT EXISTS 'pamuser2'@'127.0.0.1' IDENTIFIED BY 'db-Other-2k';"
           " GRANT SELECT ON pamtest.* TO 'pamuser2'@'127.0.0.1'")
    try:
        first = pool_service()
        second = pool_service(user="pamuser2", passwd="db-Other-2k")
        combined = pam_service_factory(our_module, first.path.read_text().splitlines()
                                       + second.path.read_text().splitlines())
        before = connections(db)
        rc, phases = drive(combined, "threads", PW, "-t", "1", "-n", "10")
        opened = connections(db) - before - 1
        assert rc == 0 and phases["threads"]["ok"] == "10", phases
        # Each line keeps its own pooled connection: 2 in all, not 2 per login.
        assert opened == 2, opened
    finally:
        db.sql("DROP USER IF EXISTS 'pamuser2'@'127.0.0.1'")


def test_disconnect_every_op_still_closes_the_connection_after_each_call(db, pool_service):
    service = pool_service(disconnect_every_op=1)
    before = connections(db)
    rc, phases = drive(service, "threads", PW, "-t", "1", "-n", "10")
    opened = connections(db) - before - 1
    assert rc == 0 and phases["threads"]["ok"] == "10", phases
    assert opened >= 10, opened
