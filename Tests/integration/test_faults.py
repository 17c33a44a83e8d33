"""Database faults: stopped, frozen, slow, restarted, wrong SQL password,
missing table, odd column type, no free connection.

A failing database must never turn into a success, a crash or a hang: the
module answers PAM_AUTHINFO_UNAVAIL (9) for infrastructure failures and
PAM_SERVICE_ERR (3) for SQL errors (README "Return codes" and difference "Connection timeouts").
The C module has no timeouts and hangs on a frozen server; those cases run
against our module only (the C hang is asserted with a short runner timeout).
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

import pamharness as ph
from pamharness import (
    per_module,
    LOG_ERR,
    PAM_AUTH_ERR,
    PAM_AUTHINFO_UNAVAIL,
    PAM_SERVICE_ERR,
    PAM_SUCCESS,
    run_pam_loop,
    run_pamtester,
)

TIMEOUT = 2  # connect_timeout and read_timeout of every line here
MARGIN = 3  # generous slack on top of the timeouts for elapsed-time bounds
PW = "Right-pw-4ault"


def _mysql_error(r: ph.Result) -> list[str]:
    return [m for p, m in r.log if p == LOG_ERR and "MySQL error (" in m]


def _clean_exit(r: ph.Result) -> bool:
    return r.signal is None and not r.timed_out and r.rc in (0, 1)


@pytest.fixture
def user(db):
    db.add_user("bob", PW)
    return "bob"


@pytest.fixture
def make_service(pam_service_factory, db):
    """make(module, before=(), **options) -> service with an auth and an
    account line (timeouts 2 s); `before` lines go first."""

    def make(module, before=(), **options):
        options.setdefault("crypt", 0)
        if module.kind == "ours":
            options.setdefault("connect_timeout", TIMEOUT)
            options.setdefault("read_timeout", TIMEOUT)
            options.setdefault("write_timeout", TIMEOUT)
        args = db.pam_args(**options)
        lines = [*before, f"auth required {{module}} {args}",
                 f"account required {{module}} {args}"]
        return pam_service_factory(module, lines)

    return make


# --- server down -------------------------------------------------------------


def test_stopped_database_gives_authinfo_unavail_and_mysql_error_line(module, make_service, db, user):
    svc = make_service(module)
    with db.stopped():
        r = run_pam_loop(svc, user, answers=[PW])
        assert r.code == PAM_AUTHINFO_UNAVAIL and _clean_exit(r), r.describe()
        assert _mysql_error(r), r.describe()
        assert r.elapsed < TIMEOUT + MARGIN, r.describe()
        w = run_pamtester(svc, user, [b"wrong"])
        assert w.code == PAM_AUTHINFO_UNAVAIL, w.describe()
    assert run_pam_loop(svc, user, answers=[PW]).code == PAM_SUCCESS


def test_stopped_database_gives_authinfo_unavail_for_account(our_module, make_service, db, user):
    svc = make_service(our_module)
    with db.stopped():
        r = run_pam_loop(svc, user, ops=("acct",))
    assert r.codes == [PAM_AUTHINFO_UNAVAIL] and _clean_exit(r), r.describe()
    assert _mysql_error(r), r.describe()


# --- frozen server (SIGSTOP) --------------------------------------------------


def test_frozen_server_gives_authinfo_unavail_within_connect_timeout(our_module, make_service, db, user):
    svc = make_service(our_module)
    with db.frozen():
        r = run_pam_loop(svc, user, answers=[PW], ops=("auth", "acct"), timeout=30)
    # Both calls time out on their own: each within the connect timeout.
    assert r.codes == [PAM_AUTHINFO_UNAVAIL, PAM_AUTHINFO_UNAVAIL] and _clean_exit(r), r.describe()
    assert r.elapsed < 2 * TIMEOUT + MARGIN, r.describe()
    assert r.elapsed >= TIMEOUT * 0.9, "returned before the timeout could expire: " + r.describe()
    assert _mysql_error(r), r.describe()
    # Thawed: the same service works again.
    assert run_pam_loop(svc, user, answers=[PW]).code == PAM_SUCCESS


def test_frozen_server_hangs_the_c_module(oracle_module, make_service, db, user):
    # The behaviour we fix (README difference "Connection timeouts"): no timeout at all.
    svc = make_service(oracle_module)
    with db.frozen():
        r = run_pam_loop(svc, user, answers=[PW], timeout=3)
    assert r.timed_out and r.signal == signal.SIGKILL and r.code is None, r.describe()


def test_slow_query_gives_authinfo_unavail_within_read_timeout(our_module, make_service, db, user):
    # The server is alive but the SELECT takes longer than read_timeout.
    svc = make_service(our_module, where="SLEEP(8)=0")
    r = run_pam_loop(svc, user, answers=[PW], timeout=30)
    assert r.code == PAM_AUTHINFO_UNAVAIL and _clean_exit(r), r.describe()
    assert TIMEOUT * 0.9 <= r.elapsed < TIMEOUT + MARGIN, r.describe()
    assert _mysql_error(r), r.describe()


def _exec_on_second_call(tmp_path: Path, action: str) -> str:
    """A pam_exec line that does nothing in the first PAM transaction and
    runs `action` (shell) at the start of the second one."""
    counter = tmp_path / "calls"
    script = tmp_path / "second-call.sh"
    script.write_text(
        "#!/bin/sh\n"
        f"n=$(cat {counter} 2>/dev/null || echo 0); n=$((n + 1)); echo $n > {counter}\n"
        f"if [ \"$n\" = 2 ]; then\n{action}\nfi\nexit 0\n"
    )
    script.chmod(0o755)
    return f"auth required pam_exec.so quiet {script}"


def test_server_frozen_after_connecting_gives_authinfo_unavail(our_module, make_service, db, user, tmp_path):
    """Two transactions in one process: the first opens a connection (our
    module keeps it for the next transaction), pam_exec freezes the server at
    the start of the second, which then finds its open connection silent."""
    freeze = _exec_on_second_call(tmp_path, f"kill -STOP {db.pid}")
    svc = make_service(our_module, before=[freeze])
    try:
        r = run_pam_loop(svc, user, answers=[PW], ops=("auth", "acct"), count=2, timeout=60)
    finally:
        db.frozen_state = True  # the script froze it behind the harness's back
        db.thaw()
    assert (tmp_path / "calls").read_text().strip() == "2", r.describe()
    assert r.codes == [PAM_SUCCESS, PAM_SUCCESS, PAM_AUTHINFO_UNAVAIL, PAM_AUTHINFO_UNAVAIL], (
        r.describe()
    )
    assert _clean_exit(r), r.describe()
    # Each call: at most a read timeout on the old connection plus one reconnect.
    assert r.elapsed < 2 * (2 * TIMEOUT) + MARGIN, r.describe()
    assert _mysql_error(r), r.describe()
    assert run_pam_loop(svc, user, answers=[PW]).code == PAM_SUCCESS


def test_connection_killed_between_transactions_is_reopened(module, make_service, db, user, tmp_path):
    killed = tmp_path / "killed"
    sock = db.socket
    kill = _exec_on_second_call(
        tmp_path,
        f"ids=$(mariadb --no-defaults --socket={sock} -uroot -N -B -e "
        f"\"SELECT id FROM information_schema.processlist WHERE user='{db.db_user}'\")\n"
        f"for id in $ids; do mariadb --no-defaults --socket={sock} -uroot -e \"KILL $id\"; "
        f"echo $id >> {killed}; done",
    )
    svc = make_service(module, before=[kill])
    r = run_pam_loop(svc, user, answers=[PW], ops=("auth", "acct"), count=3, timeout=30)
    assert r.codes == [PAM_SUCCESS] * 6 and _clean_exit(r), r.describe()
    if module.kind == "ours":
        # Ours kept the first transaction's connection, so there was one to kill.
        assert killed.exists() and killed.read_text().split(), "no connection was open"


def test_freezing_during_logins_never_crashes_or_hangs(our_module, make_service, db, user):
    svc = make_service(our_module)
    done = threading.Event()
    runs: list[ph.Result] = []

    def loop():
        while not done.is_set():
            runs.append(run_pam_loop(svc, user, answers=[PW], ops=("auth", "acct"), count=50,
                                     timeout=120))

    t = threading.Thread(target=loop)
    t0 = time.monotonic()
    t.start()
    # Longer than a read timeout plus a reconnect: an op caught by the freeze
    # cannot be rescued by the thaw (README difference "Connection reuse": one reopen).
    freeze = 2 * TIMEOUT + 1.5
    try:
        time.sleep(0.3)
        with db.frozen():
            time.sleep(freeze)
        time.sleep(0.5)
    finally:
        done.set()
        t.join(120)
    elapsed = time.monotonic() - t0
    for r in runs:
        assert _clean_exit(r), r.describe()
        assert len(r.codes) == 100, r.describe()
        assert set(r.codes) <= {PAM_SUCCESS, PAM_AUTHINFO_UNAVAIL}, r.describe()
        # Ops caught by the freeze wait at most read + connect timeout each.
        assert r.elapsed < freeze + 2 * (2 * TIMEOUT) + MARGIN, r.describe()
    codes = [c for r in runs for c in r.codes]
    assert PAM_AUTHINFO_UNAVAIL in codes, "the freeze was not noticed: " + ", ".join(
        f"{r.elapsed:.2f}s {sorted(set(r.codes))}" for r in runs)
    assert runs[-1].codes[-2:] == [PAM_SUCCESS, PAM_SUCCESS], runs[-1].describe()
    assert elapsed < 0.8 + freeze + 2 * (2 * TIMEOUT) + 2 * MARGIN


# --- restart in the middle of logins ------------------------------------------


def test_restart_during_logins_gives_only_success_or_authinfo_unavail(module, make_service, db, user):
    svc = make_service(module)
    done = threading.Event()
    right: list[ph.Result] = []
    wrong: list[ph.Result] = []

    def loop(results, answer, ops):
        while True:
            results.append(run_pam_loop(svc, user, answers=[answer], ops=ops, count=50, timeout=60))
            if done.is_set():
                return

    threads = [
        threading.Thread(target=loop, args=(right, PW, ("auth", "acct"))),
        threading.Thread(target=loop, args=(wrong, "Wrong-pw-4ault", ("auth",))),
    ]
    for t in threads:
        t.start()
    try:
        time.sleep(0.3)
        db.stop()
        time.sleep(0.5)
        db.start()
        # Right after the restart a login works.
        after = run_pam_loop(svc, user, answers=[PW], ops=("auth", "acct"))
        assert after.codes == [PAM_SUCCESS, PAM_SUCCESS], after.describe()
        time.sleep(0.3)
    finally:
        done.set()
        for t in threads:
            t.join(120)

    for r in right + wrong:
        assert _clean_exit(r), r.describe()
    right_codes = [c for r in right for c in r.codes]
    wrong_codes = [c for r in wrong for c in r.codes]
    assert len(right_codes) == 100 * len(right) and len(wrong_codes) == 50 * len(wrong)
    # README difference "Lost connection": when the server goes away between connect and query, pam_mysql
    # answers PAM_SERVICE_ERR; ours always PAM_AUTHINFO_UNAVAIL.
    outage = per_module(module, oracle={PAM_AUTHINFO_UNAVAIL, PAM_SERVICE_ERR}, ours={PAM_AUTHINFO_UNAVAIL})
    assert set(right_codes) <= {PAM_SUCCESS} | outage, sorted(set(right_codes))
    assert set(wrong_codes) <= {PAM_AUTH_ERR} | outage, sorted(set(wrong_codes))
    assert PAM_SUCCESS not in wrong_codes
    # The outage was seen by both loops, and both loops ran after it.
    assert PAM_AUTHINFO_UNAVAIL in right_codes and PAM_AUTHINFO_UNAVAIL in wrong_codes
    assert right[-1].codes[-2:] == [PAM_SUCCESS, PAM_SUCCESS], right[-1].describe()
    assert wrong[-1].codes[-1] == PAM_AUTH_ERR, wrong[-1].describe()


# --- server-side configuration errors -----------------------------------------


def test_changed_sql_password_gives_authinfo_unavail(module, make_service, db, user):
    svc = make_service(module)
    u = db.db_user
    db.sql(f"ALTER USER '{u}'@'127.0.0.1' IDENTIFIED BY 'changed-Xy1'; "
           f"ALTER USER '{u}'@'localhost' IDENTIFIED BY 'changed-Xy1';")
    try:
        r = run_pam_loop(svc, user, answers=[PW], ops=("auth", "acct"))
    finally:
        pw = db.db_password
        db.sql(f"ALTER USER '{u}'@'127.0.0.1' IDENTIFIED BY '{pw}'; "
               f"ALTER USER '{u}'@'localhost' IDENTIFIED BY '{pw}';")
    assert r.codes[0] == PAM_AUTHINFO_UNAVAIL and _clean_exit(r), r.describe()
    if module.kind == "ours":
        assert r.codes == [PAM_AUTHINFO_UNAVAIL, PAM_AUTHINFO_UNAVAIL], r.describe()
    assert any("Access denied" in m for m in _mysql_error(r)), r.describe()
    assert run_pam_loop(svc, user, answers=[PW]).code == PAM_SUCCESS


def test_renamed_table_gives_service_err(module, make_service, db, user):
    svc = make_service(module)
    db.sql("RENAME TABLE users TO users_moved")
    try:
        r = run_pam_loop(svc, user, answers=[PW], ops=("auth", "acct"))
    finally:
        db.sql("RENAME TABLE users_moved TO users")
    assert r.codes[0] == PAM_SERVICE_ERR and _clean_exit(r), r.describe()
    if module.kind == "ours":
        assert r.codes == [PAM_SERVICE_ERR, PAM_SERVICE_ERR], r.describe()
    assert r.logged("doesn't exist", LOG_ERR), r.describe()


def test_integer_password_column_compares_as_its_decimal_text(module, make_service, db):
    # passwdcolumn=status (INT): the value arrives as text, "1234".
    svc = make_service(module, passwdcolumn="status")
    db.add_user("intcol", "unused", status=1234)
    db.add_user("intnull", "unused", status=None)
    assert run_pam_loop(svc, "intcol", answers=["1234"]).code == PAM_SUCCESS
    for user, answer in (("intcol", "unused"), ("intcol", "1234 "), ("intcol", ""),
                         ("intnull", ""), ("intnull", "NULL")):
        r = run_pam_loop(svc, user, answers=[answer])
        assert r.code == PAM_AUTH_ERR and _clean_exit(r), (user, answer, r.describe())


@pytest.mark.parametrize(
    "expr",
    ["1.5E0", "CAST(1 AS FLOAT)", "0.1E0", "1E100", "CAST('2001-02-03' AS DATE)",
     "CAST(3 AS UNSIGNED)", "CAST(-7 AS SIGNED)", "12.50"],
)
def test_non_string_password_expression_compares_as_its_text_form(module, make_service, db, expr):
    # pam_mysql reads every column through the text protocol, so a numeric or
    # temporal passwdcolumn compares as MariaDB prints it (SELECT expr).  Our
    # module uses a prepared statement and must give the same text.
    db.add_user("odd", "unused")
    text = db.sql(f"SELECT {expr}")[0][0]
    svc = make_service(module, passwdcolumn=expr)
    ok = run_pam_loop(svc, "odd", answers=[text])
    bad = run_pam_loop(svc, "odd", answers=[text + "0"])
    assert _clean_exit(ok) and _clean_exit(bad), (ok.describe(), bad.describe())
    assert ok.code == PAM_SUCCESS, f"{expr} printed as {text!r}: " + ok.describe()
    assert bad.code == PAM_AUTH_ERR, bad.describe()


def test_exhausted_max_connections_gives_authinfo_unavail(module, make_service, db, user):
    svc = make_service(module)
    old = int(db.sql("SELECT @@GLOBAL.max_connections")[0][0])
    limit = 10  # MariaDB's minimum for max_connections
    # Ordinary connections fill every slot (root keeps its extra
    # administrative one for the SQL below).
    holders = [
        subprocess.Popen(
            ["mariadb", "--no-defaults", f"--socket={db.socket}", f"-u{db.db_user}",
             f"-p{db.db_password}", "-e", "SELECT SLEEP(60)"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ph.child_env(),
        )
        for _ in range(limit)
    ]
    held = f"SELECT id FROM information_schema.processlist WHERE user='{db.db_user}'"
    try:
        deadline = time.monotonic() + 20
        while len(db.sql(held)) < limit:
            assert time.monotonic() < deadline, "holder connections did not appear"
            time.sleep(0.05)
        db.sql(f"SET GLOBAL max_connections = {limit}")
        r = run_pam_loop(svc, user, answers=[PW], ops=("auth", "acct"), timeout=30)
    finally:
        db.sql(f"SET GLOBAL max_connections = {old}")
        for h in holders:
            h.kill()
            h.wait()
        for (cid,) in db.sql(held):
            with contextlib.suppress(ph.SqlError):
                db.sql(f"KILL {int(cid)}")
    assert int(db.sql("SELECT @@GLOBAL.max_connections")[0][0]) == old
    assert r.codes[0] == PAM_AUTHINFO_UNAVAIL and _clean_exit(r), r.describe()
    if module.kind == "ours":
        assert r.codes == [PAM_AUTHINFO_UNAVAIL, PAM_AUTHINFO_UNAVAIL], r.describe()
    assert any("Too many connections" in m for m in _mysql_error(r)), r.describe()
    assert run_pam_loop(svc, user, answers=[PW]).code == PAM_SUCCESS
