"""Sessions (pam_sm_open_session / pam_sm_close_session) and the SQL log
table (sqllog), differentially: every test runs against the C module
(Debian's libpam-mysql 0.8.2, the oracle) and against ours.

Expected values are the C module's measured behaviour (its pam_sm_open_session, pam_sm_close_session and pam_mysql_sql_log).
Deliberate differences are written down with per_module(oracle=..., ours=...):

  f  sessions with the database down: C fails them with
     PAM_AUTHINFO_UNAVAIL even with sqllog off; ours succeeds (sessions only
     touch the database for the log row; a failed write goes to syslog).
  g  sqllog without logpidcolumn: C sends broken SQL (`MySQL error (`, no
     row); ours logs `sqllog set but logpidcolumn not set` and sends none.
  h  C writes `AUTHENTICATION FALURE (FIRST_PASS)` (typo verbatim) before
     every prompted login, even when no earlier module set a token; ours
     writes FIRST_PASS rows only when an earlier module supplied a token.
"""

from __future__ import annotations

import datetime
import socket

import pytest

from pamharness import (
    LOG_ERR,
    PAM_AUTH_ERR,
    PAM_AUTHINFO_UNAVAIL,
    PAM_AUTHTOK_ERR,
    PAM_PERM_DENIED,
    PAM_SUCCESS,
    PAM_USER_UNKNOWN,
    Batch,
    per_module,
    run_pam_loop,
    run_pamtester,
)

OLD = "secret"
NEW = "newpw"
EVIL = "x'); DROP TABLE log; --"

LOG_OPTIONS = dict(
    sqllog=1, logtable="log", logmsgcolumn="msg", logusercolumn="user", logpidcolumn="pid",
    loghostcolumn="host", logrhostcolumn="rhost", logtimecolumn="logtime",
)

FP_FAILURE = "AUTHENTICATION FALURE (FIRST_PASS)"  # sic: the C module's typo
FP_SUCCESS = "AUTHENTICATION SUCCESS (FIRST_PASS)"

# Prints the shell's pid (which exec makes pam_loop's) before running pam_loop.
PID_WRAP = ["sh", "-c", 'echo "PID $$" >&2; exec "$@"', "sh"]


def _local_ipv4() -> str:
    """What both modules log as `host`: the first IPv4 address of the local
    host name, else `(unknown)` (as pam_mysql_sql_log writes it)."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET, socket.SOCK_STREAM)
    except OSError:
        return "(unknown)"
    return infos[0][4][0] if infos else "(unknown)"


def _pid_of(res) -> str:
    for line in res.stderr.splitlines():
        if line.startswith("PID "):
            return line[4:].strip()
    raise AssertionError(f"no PID line:\n{res.describe()}")


class Checks(Batch):
    def expect(self, label: str, ok: bool, detail: str) -> None:
        self.count += 1
        if not ok:
            self.failures.append(f"[{label}] {detail}")

    def rows(self, db, label: str, expected_msgs, user=None) -> list[dict]:
        """The log rows since the last call (which clears the table); their
        msg values must equal expected_msgs (and user, if given)."""
        rows = db.log_rows()
        db.clear_log()
        msgs = [r["msg"] for r in rows]
        self.expect(label, msgs == list(expected_msgs), f"log msgs {msgs}, expected {list(expected_msgs)}")
        if user is not None:
            users = {r["user"] for r in rows}
            self.expect(f"{label} user", users <= {user}, f"log users {users}, expected {user!r}")
        return rows


@pytest.fixture
def make(pam_service_factory, module, db):
    """make(preset=False, log=LOG_OPTIONS, **options) -> service with auth,
    account, password and session lines of the module under test (crypt=0
    unless given, sqllog options from `log`); preset=True puts the
    pam_preset_authtok helper first in the auth group."""

    def _make(preset: bool = False, log: dict | None = None, **options):
        options.setdefault("crypt", 0)
        args = db.pam_args(**(LOG_OPTIONS if log is None else log), **options)
        lines = []
        if preset:
            lines.append("auth required {preset}")
        lines += [f"{group} required {{module}} {args}"
                  for group in ("auth", "account", "password", "session")]
        return pam_service_factory(module, lines)

    return _make


def _recent(db, logtime: str | None) -> bool:
    if logtime is None:
        return False
    now = datetime.datetime.fromisoformat(db.sql("SELECT NOW()")[0][0])
    return abs((now - datetime.datetime.fromisoformat(logtime)).total_seconds()) < 120


# ---- sessions ----------------------------------------------------------------


@pytest.mark.parametrize("rhost", [None, "client.example.org"], ids=["no-rhost", "rhost"])
def test_open_and_close_session_write_log_rows(db, make, rhost):
    """OPEN SESSION / CLOSE SESSION rows: the PAM user, the pid of the
    process as a plain decimal string, the local IPv4 address as host, the
    rhost (`(unknown)` without one) and the server's NOW()."""
    svc = make()
    db.add_user("bob", OLD)
    res = run_pam_loop(svc, "bob", ops=["open", "close"], rhost=rhost, wrap=PID_WRAP)
    b = Checks()
    b.check("open, close", res, codes=[PAM_SUCCESS, PAM_SUCCESS], prompts=[])
    rows = b.rows(db, "rows", ["OPEN SESSION", "CLOSE SESSION"], user="bob")
    pid = _pid_of(res)
    for row in rows:
        b.expect(f"{row['msg']} pid", row["pid"] == pid, f"pid {row['pid']!r}, expected {pid!r}")
        b.expect(f"{row['msg']} host", row["host"] == _local_ipv4(), f"host {row['host']!r}")
        b.expect(f"{row['msg']} rhost", row["rhost"] == (rhost or "(unknown)"), f"rhost {row['rhost']!r}")
        b.expect(f"{row['msg']} logtime", _recent(db, row["logtime"]), f"logtime {row['logtime']!r}")
    b.verify()


def test_session_rows_through_pamtester(db, make):
    svc = make()
    db.add_user("bob", OLD)
    b = Checks()
    b.check("pamtester open, close",
            run_pamtester(svc, "bob", ops=["open_session", "close_session"], rhost="pt.example"),
            code=PAM_SUCCESS, codes=[PAM_SUCCESS, PAM_SUCCESS])
    rows = b.rows(db, "rows", ["OPEN SESSION", "CLOSE SESSION"], user="bob")
    b.expect("pid", len({r["pid"] for r in rows}) == 1 and rows[0]["pid"].isdigit(),
             f"pids {[r['pid'] for r in rows]}")
    b.expect("rhost", [r["rhost"] for r in rows] == ["pt.example"] * 2, f"{rows}")
    b.verify()


def test_session_rows_without_logrhostcolumn(db, make):
    """Without logrhostcolumn the other INSERT template (no rhost column) is
    used: the row is written, its rhost stays NULL."""
    log = {k: v for k, v in LOG_OPTIONS.items() if k != "logrhostcolumn"}
    svc = make(log=log)
    db.add_user("bob", OLD)
    res = run_pam_loop(svc, "bob", ops=["open", "close"], rhost="client.example.org", wrap=PID_WRAP)
    b = Checks()
    b.check("open, close", res, codes=[PAM_SUCCESS, PAM_SUCCESS])
    rows = b.rows(db, "rows", ["OPEN SESSION", "CLOSE SESSION"], user="bob")
    for row in rows:
        b.expect(f"{row['msg']} columns",
                 (row["pid"], row["host"], row["rhost"]) == (_pid_of(res), _local_ipv4(), None),
                 f"{row}")
        b.expect(f"{row['msg']} logtime", _recent(db, row["logtime"]), f"{row}")
    b.verify()


def test_session_without_sqllog_writes_nothing(db, make):
    svc = make(log={})
    db.add_user("bob", OLD)
    b = Checks()
    b.check("open, close", run_pam_loop(svc, "bob", ops=["open", "close"]),
            codes=[PAM_SUCCESS, PAM_SUCCESS])
    b.rows(db, "no rows", [])
    b.verify()


@pytest.mark.parametrize("sqllog", [True, False], ids=["sqllog", "no-sqllog"])
def test_session_with_database_down(db, make, module, sqllog):
    """Difference f: database stopped.  C fails open and close with
    PAM_AUTHINFO_UNAVAIL, with or without sqllog, logging `MySQL error (`.
    Ours returns PAM_SUCCESS; with sqllog the failed log write is logged as
    `MySQL error (`, without sqllog the database is not contacted at all."""
    svc = make(log=LOG_OPTIONS if sqllog else {})
    db.add_user("bob", OLD)
    with db.stopped():
        res = run_pam_loop(svc, "bob", ops=["open", "close"])
        pamtester_res = run_pamtester(svc, "bob", ops=["open_session"])
    code = per_module(module, oracle=PAM_AUTHINFO_UNAVAIL, ours=PAM_SUCCESS)
    mysql_error = [("MySQL error (", LOG_ERR)]
    contacted = module.kind == "oracle" or sqllog
    b = Checks()
    b.check("pam_loop open, close", res, codes=[code, code],
            logged=mysql_error if contacted else (), not_logged=() if contacted else mysql_error)
    b.check("pamtester open", pamtester_res, code=code)
    b.expect("one MySQL error per call" if contacted else "no MySQL error",
             sum("MySQL error (" in m for m in res.messages) == (2 if contacted else 0),
             f"syslog {res.messages}")
    b.rows(db, "no rows", [])
    b.verify()


# ---- incomplete sqllog configuration -----------------------------------------


def test_sqllog_without_logpidcolumn(db, make, module):
    """Difference g: C builds the INSERT with an empty pid column name (SQL
    syntax error, `MySQL error (`, no row); ours refuses to log with `sqllog
    set but logpidcolumn not set` at LOG_ERR.  The PAM result is PAM_SUCCESS
    on both."""
    log = {k: v for k, v in LOG_OPTIONS.items() if k != "logpidcolumn"}
    svc = make(log=log)
    db.add_user("bob", OLD)
    res = run_pam_loop(svc, "bob", ops=["open"])
    b = Checks()
    b.check("open", res, code=PAM_SUCCESS, **per_module(
        module,
        oracle=dict(logged=[("MySQL error (", LOG_ERR)],
                    not_logged=[("sqllog set but logpidcolumn not set", None)]),
        ours=dict(logged=[("sqllog set but logpidcolumn not set", LOG_ERR)],
                  not_logged=[("MySQL error (", None)]),
    ))
    b.rows(db, "no rows", [])
    b.verify()


def test_sqllog_without_logtable(db, make, module):
    """`sqllog set but logtable not set` at LOG_ERR for every log attempt,
    without verbose, on both; no row, results unchanged (account, session,
    password change, authentication)."""
    log = {k: v for k, v in LOG_OPTIONS.items() if k != "logtable"}
    svc = make(log=log)
    db.add_user("bob", OLD)
    msg = "sqllog set but logtable not set"
    b = Checks()
    for label, res, attempts in (
        ("acct", run_pam_loop(svc, "bob", ops=["acct"]), 1),
        ("open, close", run_pam_loop(svc, "bob", ops=["open", "close"]), 2),
        ("chauthtok", run_pam_loop(svc, "bob", [NEW, NEW], ops=["chauthtok"]), 2),
        # Difference h: C also logs the first-pass attempt made without a token.
        ("auth", run_pam_loop(svc, "bob", [NEW], ops=["auth"]), per_module(module, oracle=2, ours=1)),
    ):
        b.check(label, res, code=PAM_SUCCESS, logged=[(msg, LOG_ERR)])
        b.expect(f"{label}: one message per log attempt",
                 sum(msg in m for m in res.messages) == attempts, f"syslog {res.messages}")
    b.rows(db, "no rows", [])
    b.verify()


# ---- what each operation logs ------------------------------------------------


def test_authentication_log_rows(db, make, module):
    """AUTHENTICATION SUCCESS / AUTHENTICATION FAILURE after the prompt, for
    the right password, a wrong one and an unknown user.  Difference h: C
    writes a FALURE (FIRST_PASS) row first, from its query without a token."""
    svc = make()
    db.add_user("bob", OLD)
    fp = per_module(module, oracle=[FP_FAILURE], ours=[])
    b = Checks()
    b.check("right", run_pam_loop(svc, "bob", [OLD]), code=PAM_SUCCESS)
    b.rows(db, "right", fp + ["AUTHENTICATION SUCCESS"], user="bob")
    b.check("wrong", run_pam_loop(svc, "bob", [NEW]), code=PAM_AUTH_ERR)
    b.rows(db, "wrong", fp + ["AUTHENTICATION FAILURE"], user="bob")
    b.check("unknown user", run_pam_loop(svc, "nobody", [OLD]), code=PAM_USER_UNKNOWN)
    b.rows(db, "unknown user", fp + ["AUTHENTICATION FAILURE"], user="nobody")
    b.check("pamtester right", run_pamtester(svc, "bob", [OLD]), code=PAM_SUCCESS)
    b.rows(db, "pamtester right", fp + ["AUTHENTICATION SUCCESS"], user="bob")
    b.verify()


def test_first_pass_log_rows_with_token_from_earlier_module(db, make):
    """Identical on both when an earlier module set PAM_AUTHTOK: right token
    -> AUTHENTICATION SUCCESS (FIRST_PASS) and no prompt; wrong token ->
    AUTHENTICATION FALURE (FIRST_PASS), then the prompt and its row; with
    use_first_pass a wrong token ends after the FIRST_PASS row."""
    try_first = make(preset=True)
    use_first = make(preset=True, use_first_pass=1)
    db.add_user("bob", OLD)
    b = Checks()
    b.check("right token", run_pam_loop(try_first, "bob", authtok=OLD), code=PAM_SUCCESS, prompts=[])
    b.rows(db, "right token", [FP_SUCCESS], user="bob")
    b.check("wrong token, right answer", run_pam_loop(try_first, "bob", [OLD], authtok=NEW),
            code=PAM_SUCCESS)
    b.rows(db, "wrong token, right answer", [FP_FAILURE, "AUTHENTICATION SUCCESS"], user="bob")
    b.check("use_first_pass, wrong token", run_pam_loop(use_first, "bob", authtok=NEW),
            code=PAM_AUTH_ERR, prompts=[])
    b.rows(db, "use_first_pass, wrong token", [FP_FAILURE], user="bob")
    b.verify()


def test_account_log_rows(db, make):
    svc = make()
    db.add_user("bob", OLD)
    b = Checks()
    b.check("known", run_pam_loop(svc, "bob", ops=["acct"]), code=PAM_SUCCESS)
    b.rows(db, "known", ["QUERYING SUCCESS"], user="bob")
    b.check("unknown", run_pam_loop(svc, "nobody", ops=["acct"]), code=PAM_USER_UNKNOWN)
    b.rows(db, "unknown", ["QUERYING FAILURE"], user="nobody")
    b.verify()


def test_chauthtok_log_rows(db, make, pam_service_factory, module):
    """QUERYING SUCCESS + ALTERATION SUCCESS for a change; QUERYING FAILURE
    for an unknown user; only QUERYING SUCCESS when the current password is
    wrong; ALTERATION FAILURE when the UPDATE fails."""
    svc = make()
    broken = pam_service_factory(module, [
        f"password required {{module}} {db.pam_args(crypt=0, table='(SELECT * FROM users) AS u', **LOG_OPTIONS)}"
    ])
    db.add_user("bob", OLD)
    b = Checks()
    b.check("change", run_pam_loop(svc, "bob", [NEW, NEW], ops=["chauthtok"]), code=PAM_SUCCESS)
    b.rows(db, "change", ["QUERYING SUCCESS", "ALTERATION SUCCESS"], user="bob")
    b.check("unknown user", run_pam_loop(svc, "nobody", [NEW, NEW], ops=["chauthtok"]),
            code=PAM_PERM_DENIED)
    b.rows(db, "unknown user", ["QUERYING FAILURE"], user="nobody")
    b.check("wrong current", run_pam_loop(svc, "bob", [OLD, OLD, OLD], ops=["chauthtok"], ruid=1000),
            code=PAM_AUTH_ERR)
    b.rows(db, "wrong current", ["QUERYING SUCCESS"], user="bob")
    b.check("failed UPDATE", run_pam_loop(broken, "bob", [OLD, OLD], ops=["chauthtok"]),
            code=PAM_AUTHTOK_ERR)
    b.rows(db, "failed UPDATE", ["QUERYING SUCCESS", "ALTERATION FAILURE"], user="bob")
    b.verify()


def test_full_login_log_sequence(db, make, module):
    """auth, acct, setcred, open, close in one transaction: the rows in
    order (setcred logs nothing); difference h for the first row."""
    svc = make()
    db.add_user("bob", OLD)
    b = Checks()
    b.check("login", run_pam_loop(svc, "bob", [OLD], ops=["auth", "acct", "setcred", "open", "close"],
                                  rhost="10.0.0.7"),
            codes=[PAM_SUCCESS] * 5)
    rows = b.rows(db, "rows", per_module(module, oracle=[FP_FAILURE], ours=[]) + [
        "AUTHENTICATION SUCCESS", "QUERYING SUCCESS", "OPEN SESSION", "CLOSE SESSION"], user="bob")
    b.expect("rhost", {r["rhost"] for r in rows} == {"10.0.0.7"}, f"{rows}")
    b.expect("one pid", len({r["pid"] for r in rows}) == 1, f"{rows}")
    b.verify()


def test_sql_metacharacters_land_verbatim(db, make, module):
    """User names and rhost with quotes, backslashes and SQL are stored
    verbatim in the log table, which survives."""
    svc = make()
    odd = "o'brien\\\" x"
    db.add_user(odd, OLD)
    b = Checks()
    b.check("unknown evil user", run_pam_loop(svc, EVIL, [OLD], ops=["auth", "open"], rhost=EVIL),
            codes=[PAM_USER_UNKNOWN, PAM_SUCCESS])
    rows = b.rows(db, "evil rows", per_module(module, oracle=[FP_FAILURE], ours=[])  # difference h
                  + ["AUTHENTICATION FAILURE", "OPEN SESSION"], user=EVIL)
    b.expect("evil rhost", {r["rhost"] for r in rows} == {EVIL}, f"{rows}")
    b.check("odd existing user", run_pam_loop(svc, odd, [NEW, NEW], ops=["acct", "chauthtok", "open"],
                                              rhost=odd),
            codes=[PAM_SUCCESS] * 3)
    rows = b.rows(db, "odd rows", ["QUERYING SUCCESS", "QUERYING SUCCESS", "ALTERATION SUCCESS",
                                   "OPEN SESSION"], user=odd)
    b.expect("odd rhost", {r["rhost"] for r in rows} == {odd}, f"{rows}")
    b.expect("password changed", db.password_of(odd) == NEW.encode(), f"{db.password_of(odd)!r}")
    b.expect("tables survive", db.sql("SELECT COUNT(*) FROM users")[0][0] == "1", "users table")
    b.verify()
