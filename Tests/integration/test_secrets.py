"""Nothing secret reaches a log, even with `verbose` / `debug` (README
difference "No secrets in logs" and "Security notes").

Every path we can drive (right, wrong and unknown users, NULL answers,
first-pass tokens, crypt=0..9, malformed stored values, database down, SQL
errors, a wrong SQL password, config files including broken ones, account
lines) runs once against our module with tracing on.  All captured syslog
lines plus the runners' stdout/stderr are then searched for the typed
passwords, the database password and the stored hashes.

The C module is the counter-example: with verbose it logs the database
password in its option trace.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import warnings
from pathlib import Path

import pytest

import pamharness as ph
from pamharness import (
    LOG_DEBUG,
    PAM_AUTH_ERR,
    PAM_AUTHINFO_UNAVAIL,
    PAM_SERVICE_ERR,
    PAM_SUCCESS,
    PAM_USER_UNKNOWN,
    run_pam_loop,
    run_pamtester,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt as _crypt

USER_PW = b"Pw-7q!zX-unique"
WRONG_PW = b"Wr0ng-Kv3#typed"  # what a user mistypes is a secret as well
SQL_PW = ph.MariaDB.db_password  # "db-Secret-9f3k"
SQL_PW_TYPO = SQL_PW + "-typo"
USER = "sec-user"

def stored_values(pw: bytes) -> dict[int, str]:
    joomla_salt = "JsaltJsaltJsaltJsaltJsaltJsalt12"
    ssha_salt = b"sAlt9876"
    return {
        0: pw.decode(),
        1: _crypt.crypt(pw.decode(), "$6$secSalt7$"),
        2: "*" + hashlib.sha1(hashlib.sha1(pw).digest()).hexdigest().upper(),
        3: hashlib.md5(pw).hexdigest(),
        4: hashlib.sha1(pw).hexdigest(),
        5: ph.drupal7_hash(pw),
        6: hashlib.md5(pw + joomla_salt.encode()).hexdigest() + ":" + joomla_salt,
        7: base64.b64encode(hashlib.sha1(pw + ssha_salt).digest() + ssha_salt).decode(),
        8: hashlib.sha512(pw).hexdigest(),
        9: hashlib.sha256(pw).hexdigest(),
    }


STORED = stored_values(USER_PW)
# Malformed values derived from the real hashes (they must not leak either).
MALFORMED = {
    3: STORED[3][:31],  # truncated md5 hex
    6: STORED[6].replace(":", ""),  # joomla without ':'
    7: "{SSHA}" + STORED[7],  # the prefix pam_mysql aborted on
    8: STORED[8][:-2],  # truncated sha512 hex
    1: STORED[1].replace("$6$", "$6$rounds=999999999$", 1),  # absurd work factor
}


def test_drupal_helper_matches_the_reference_vector():
    # The published vector a-drupal-S (Tests/vectors/password_schemes.json): "secret", $S$, cost D.
    vector = next(v for v in ph.scheme_vectors() if v["label"] == "a-drupal-S")
    assert vector["stored"] == "$S$DabcdefgHfXMbf9OyFMSVcS/N49jwADQzIK0dANyHgtR3O0rUTzK"
    assert ph.drupal7_hash(vector["password"].encode(), vector["stored"][:12]) == vector["stored"]


class Transcript:
    """Every run of the secrets sweep, with its expected code."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, ph.Result]] = []

    def add(self, label: str, r: ph.Result, expect=None) -> ph.Result:
        self.runs.append((label, r))
        assert r.signal is None and not r.timed_out, f"{label}: " + r.describe()
        if expect is not None:
            assert r.codes == list(expect) if isinstance(expect, (list, tuple)) else (
                r.code == expect
            ), f"{label}: expected {expect}\n" + r.describe()
        return r

    def texts(self):
        """(label, where, text) for every log line and output stream."""
        for label, r in self.runs:
            for prio, msg in r.log:
                yield label, f"syslog <{prio}>", msg
            yield label, "stdout", r.stdout
            yield label, "stderr", r.stderr


def _windows(s: str, n: int) -> set[str]:
    return {s[i:i + n] for i in range(len(s) - n + 1)} if len(s) >= n else {s}


@pytest.fixture(scope="module")
def sweep(mariadb) -> Transcript:
    """Run every path against our module with verbose/debug on."""
    if ph.ORACLE_ONLY or not ph.OUR_MODULE.exists():
        pytest.fail(f"{ph.OUR_MODULE} is not built")
    db = mariadb
    db.restore()
    db.sql("DELETE FROM users; DELETE FROM log;")
    t = Transcript()
    created: list[ph.PamService] = []
    tmp = Path(tempfile.mkdtemp(prefix="pmtest-secrets-"))

    def service(lines) -> ph.PamService:
        svc = ph.write_pam_service(ph.OUR_MODULE, lines)
        created.append(svc)
        return svc

    def std(trace: str, preset: bool = False, **options) -> ph.PamService:
        args = db.pam_args(**{trace: 1 if trace == "verbose" else None}, **options)
        if trace == "debug":
            args += " debug"
        lines = [f"auth required {{module}} {args}", f"account required {{module}} {args}"]
        if preset:
            lines.insert(0, "auth required {preset}")
        return service(lines)

    try:
        for mode, value in STORED.items():
            db.add_user(f"{USER}-{mode}", value, status=0)
        for mode, value in MALFORMED.items():
            db.add_user(f"{USER}-bad{mode}", value)
        db.add_user(f"{USER}-null", None)
        db.add_user(f"{USER}-status", STORED[0], status=2)

        for trace in ("verbose", "debug"):
            for mode in STORED:
                svc = std(trace, crypt=mode, statcolumn="status")
                u = f"{USER}-{mode}"
                t.add(f"{trace} crypt={mode} right", run_pam_loop(
                    svc, u, answers=[USER_PW], ops=("auth", "acct", "setcred")),
                    [PAM_SUCCESS] * 3)
                t.add(f"{trace} crypt={mode} wrong", run_pam_loop(svc, u, answers=[WRONG_PW]),
                      PAM_AUTH_ERR)
                t.add(f"{trace} crypt={mode} unknown", run_pam_loop(
                    svc, "nobody-" + u, answers=[USER_PW]), PAM_USER_UNKNOWN)
            for mode in MALFORMED:
                svc = std(trace, crypt=mode)
                t.add(f"{trace} crypt={mode} malformed", run_pam_loop(
                    svc, f"{USER}-bad{mode}", answers=[USER_PW], timeout=30), PAM_AUTH_ERR)

            svc = std(trace, crypt=0, statcolumn="status", preset=True)
            t.add(f"{trace} first pass", run_pam_loop(svc, f"{USER}-0", authtok=USER_PW),
                  PAM_SUCCESS)
            t.add(f"{trace} wrong first pass then prompt", run_pam_loop(
                svc, f"{USER}-0", authtok=WRONG_PW, answers=[USER_PW]), PAM_SUCCESS)
            t.add(f"{trace} NULL answer", run_pam_loop(svc, f"{USER}-0", answers=[None]),
                  PAM_AUTH_ERR)
            t.add(f"{trace} conversation error", run_pam_loop(
                svc, f"{USER}-0", conv_error_when_exhausted=True), PAM_SERVICE_ERR)
            t.add(f"{trace} NULL stored", run_pam_loop(svc, f"{USER}-null", answers=[USER_PW]),
                  PAM_AUTH_ERR)
            t.add(f"{trace} password too long", run_pam_loop(
                svc, f"{USER}-0", answers=[USER_PW + b"x" * 600]), PAM_AUTH_ERR)
            t.add(f"{trace} NUL in password", run_pam_loop(
                svc, f"{USER}-0", answers=[USER_PW + b"\x00" + WRONG_PW]), PAM_SUCCESS)
            t.add(f"{trace} expired account", run_pam_loop(
                svc, f"{USER}-status", answers=[USER_PW], ops=("auth", "acct")),
                [PAM_SUCCESS, 27])
            t.add(f"{trace} pamtester", run_pamtester(
                svc, f"{USER}-0", [USER_PW], ops=("auth", "acct")), PAM_SUCCESS)
            t.add(f"{trace} pamtester wrong", run_pamtester(svc, f"{USER}-0", [WRONG_PW]),
                  PAM_AUTH_ERR)

            svc = std(trace, crypt=0, use_first_pass=1, preset=True)
            t.add(f"{trace} use_first_pass", run_pam_loop(svc, f"{USER}-0", authtok=WRONG_PW),
                  PAM_AUTH_ERR)
            svc = std(trace, crypt=0, nullok=1)
            t.add(f"{trace} nullok", run_pam_loop(svc, f"{USER}-null", answers=[WRONG_PW]),
                  PAM_SUCCESS)
            svc = std(trace, crypt=2, use_323_passwd=1)
            t.add(f"{trace} use_323_passwd", run_pam_loop(svc, f"{USER}-2", answers=[USER_PW]),
                  PAM_AUTH_ERR)

            # SQL errors and a wrong SQL password (a near miss of the real one).
            svc = std(trace, crypt=0, table="no_such_table")
            t.add(f"{trace} sql error", run_pam_loop(svc, f"{USER}-0", answers=[USER_PW],
                                                      ops=("auth", "acct")), PAM_SERVICE_ERR)
            svc = std(trace, crypt=0, where="no_such_column = 1")
            t.add(f"{trace} bad where", run_pam_loop(svc, f"{USER}-0", answers=[USER_PW]),
                  PAM_SERVICE_ERR)
            svc = std(trace, crypt=0, passwd=SQL_PW_TYPO)
            t.add(f"{trace} access denied", run_pam_loop(svc, f"{USER}-0", answers=[USER_PW],
                                                          ops=("auth", "acct")),
                  PAM_AUTHINFO_UNAVAIL)
            svc = std(trace, crypt=0, host=db.socket)
            t.add(f"{trace} unix socket", run_pam_loop(svc, f"{USER}-0", answers=[USER_PW]),
                  PAM_SUCCESS)
            svc = std(trace, crypt="bogus")
            t.add(f"{trace} invalid crypt", run_pam_loop(svc, f"{USER}-0", answers=[USER_PW]),
                  PAM_SERVICE_ERR)

            # Config files holding the SQL password, good and broken.
            conf_bodies = {
                "good": f"users.db_passwd = {SQL_PW}\nusers.password_crypt = 0\n",
                "world": f"users.db_passwd = {SQL_PW}\n",
                "no-newline": f"users.db_passwd = {SQL_PW}",
                "semicolon": f"users.db_passwd = {SQL_PW};comment\n",
                "unknown-key": f"users.db_password = {SQL_PW}\nusers.db_passwd = {SQL_PW}\n",
                "missing-equals": f"users.db_passwd {SQL_PW}\n",
                "indented-hash": f"users.db_passwd = {SQL_PW}\n  # old: {SQL_PW}\n",
                "bad-crypt": f"users.db_passwd = {SQL_PW}\nusers.password_crypt = {SQL_PW}\n",
                "bad-timeout": f"users.db_passwd = {SQL_PW}\nusers.connect_timeout = {SQL_PW}\n",
            }
            for name, body in conf_bodies.items():
                path = tmp / f"{trace}-{name}.conf"
                path.write_text(body)
                path.chmod(0o644 if name == "world" else 0o600)
                svc = std(trace, crypt=0, passwd=None, config_file=str(path))
                t.add(f"{trace} config {name}", run_pam_loop(
                    svc, f"{USER}-0", answers=[USER_PW], ops=("auth", "acct")))

            svc = std(trace, crypt=0, connect_timeout=2, read_timeout=2)
            with db.stopped():
                t.add(f"{trace} db down", run_pam_loop(svc, f"{USER}-0", answers=[USER_PW],
                                                        ops=("auth", "acct")),
                      PAM_AUTHINFO_UNAVAIL)
            with db.frozen():
                t.add(f"{trace} db frozen", run_pam_loop(svc, f"{USER}-0", answers=[USER_PW],
                                                          timeout=20), PAM_AUTHINFO_UNAVAIL)
        yield t
    finally:
        db.restore()
        for svc in created:
            ph.remove_pam_service(svc)
        for p in tmp.iterdir():
            p.unlink()
        tmp.rmdir()
        db.sql("DELETE FROM users; DELETE FROM log;")


def _hits(sweep: Transcript, needles: set[str]) -> list[str]:
    found = []
    for label, where, text in sweep.texts():
        for n in needles:
            if n and n in text:
                found.append(f"[{label}] {where}: {n!r} in {text[:300]!r}")
                break
    return found


def test_sweep_ran_with_tracing_on(sweep):
    # Otherwise the searches below would prove nothing.
    assert len(sweep.runs) > 100
    debug = [m for _, r in sweep.runs for p, m in r.log if p == LOG_DEBUG]
    assert len(debug) > 200, "no LOG_DEBUG trace captured"
    assert any("query:" in m for m in debug), debug[:20]


def test_logs_never_contain_a_typed_password(sweep):
    needles = set()
    for pw in (USER_PW, WRONG_PW):
        needles |= _windows(pw.decode(), 8)
    hits = _hits(sweep, needles)
    assert hits == [], "\n".join(hits[:20])


def test_logs_never_contain_the_sql_password(sweep):
    hits = _hits(sweep, _windows(SQL_PW, 8))
    assert hits == [], "\n".join(hits[:20])


def test_logs_never_contain_a_stored_hash(sweep):
    needles = set()
    for value in [*STORED.values(), *MALFORMED.values()]:
        needles.add(value)
    hex_like = [STORED[m] for m in (3, 4, 8, 9)] + [STORED[2][1:], STORED[6].split(":")[0]]
    for value in hex_like:
        needles |= _windows(value, 16)
        needles |= _windows(value.upper(), 16)
    # The computed part of crypt(3), Drupal and SSHA values as well.
    for value in (STORED[1].rsplit("$", 1)[1], STORED[5][12:], STORED[7]):
        needles |= _windows(value, 16)
    hits = _hits(sweep, needles)
    assert hits == [], "\n".join(hits[:20])


def test_option_passwd_trace_says_the_value_is_not_logged(sweep):
    lines = [m for _, r in sweep.runs for m in r.messages if "option passwd " in m]
    assert lines, "no option passwd trace line"
    assert all(m.endswith("option passwd is set (value not logged)") for m in lines), lines[:5]
    conf = [m for _, r in sweep.runs for m in r.messages if "option users.db_passwd" in m]
    assert conf and all(m.endswith("(value not logged)") for m in conf), conf[:5]


def test_c_module_logs_the_sql_password_with_verbose(oracle_module, pam_service_factory, db):
    # README difference "No secrets in logs": the bug we fix.
    db.add_user(USER, USER_PW)
    # pam_mysql traces an option only once verbose is on: put it first.
    args = "verbose=1 " + db.pam_args(crypt=0)
    svc = pam_service_factory(oracle_module, [f"auth required {{module}} {args}"])
    r = run_pam_loop(svc, USER, answers=[USER_PW])
    assert r.code == PAM_SUCCESS, r.describe()
    assert r.logged(f'option passwd is set to "{SQL_PW}"'), r.describe()
