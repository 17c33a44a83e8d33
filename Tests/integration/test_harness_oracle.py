"""Smoke tests proving the harness works, run against each module.

Expectations are the C module's behaviour (pam_mysql 0.8.2's pam_sm_authenticate, measured
against Debian's libpam-mysql); our module is a drop-in, so the same assertions apply to it.
"""

from __future__ import annotations

import signal

import pytest

from pamharness import (
    LOG_ERR,
    PAM_ACCT_EXPIRED,
    PAM_AUTH_ERR,
    PAM_AUTHINFO_UNAVAIL,
    PAM_PROMPT_ECHO_OFF,
    PAM_PROMPT_ECHO_ON,
    PAM_SERVICE_ERR,
    PAM_SUCCESS,
    PAM_USER_UNKNOWN,
    per_module,
    run_pam_loop,
    run_pamtester,
)

# Both modules log this text (ours through pam_syslog, with another prefix).
NO_RESULT = "SELECT returned no result."


@pytest.fixture
def service(standard_service, db):
    db.add_user("bob", "secret")
    return standard_service(crypt=0)


def test_pamtester_right_and_wrong_password(service):
    ok = run_pamtester(service, "bob", [b"secret"], ops=("authenticate", "acct_mgmt"))
    assert ok.code == PAM_SUCCESS and ok.rc == 0, ok.describe()
    assert ok.codes == [PAM_SUCCESS, PAM_SUCCESS], ok.describe()

    bad = run_pamtester(service, "bob", [b"wrong"])
    assert bad.code == PAM_AUTH_ERR, bad.describe()
    assert bad.rc == 1 and bad.signal is None


def test_pam_loop_right_and_wrong_password(service):
    ok = run_pam_loop(service, "bob", answers=[b"secret"], ops=("auth", "acct"))
    assert ok.codes == [PAM_SUCCESS, PAM_SUCCESS], ok.describe()
    # try_first_pass (default) without a token: one "Password:" prompt.
    assert ok.prompts == [(PAM_PROMPT_ECHO_OFF, "Password:")], ok.describe()
    assert ok.user == "bob" and ok.rc == 0

    bad = run_pam_loop(service, "bob", answers=[b"wrong"])
    assert bad.code == PAM_AUTH_ERR and bad.rc == 1, bad.describe()


def test_preset_authtok_first_pass(module, standard_service, db):
    # A long token goes through pam_loop -a FILE and the pam_preset_authtok
    # helper intact; with it set, the first-pass check succeeds without any
    # prompt. 100,000 bytes for the C module; ours refuses passwords over 512
    # bytes (README difference "Passwords over 512 bytes"), so it gets 500.
    big = b"x" * per_module(module, oracle=100_000, ours=500)
    db.add_user("big", big)
    svc = standard_service(crypt=0, preset=True)
    r = run_pam_loop(svc, "big", authtok=big, count=3)
    assert r.codes == [PAM_SUCCESS] * 3 and r.prompts == [], r.describe()

    q = run_pam_loop(svc, "big", authtok=big, count=3, quiet=True)
    assert q.summary["iterations"] == "3" and q.codes == [PAM_SUCCESS], q.describe()

    # try_first_pass: a wrong preset token falls back to the prompt.
    w = run_pam_loop(svc, "big", authtok=b"nope", answers=[big])
    assert w.code == PAM_SUCCESS and len(w.prompts) == 1, w.describe()

    # pamtester passes the token as PAM environment (-E).
    p = run_pamtester(svc, "big", [], authtok=b"x" * 1000)
    assert p.code == PAM_AUTH_ERR, p.describe()  # no answer at the prompt
    db.add_user("small", "tok")
    p = run_pamtester(svc, "small", [], authtok="tok")
    assert p.code == PAM_SUCCESS and "Password:" not in p.stderr, p.describe()


def test_codes_per_op(standard_service, db):
    # status bit 1 -> PAM_ACCT_EXPIRED from acct_mgmt (pam_mysql 0.8.2's pam_sm_acct_mgmt).
    service = standard_service(statcolumn="status")
    db.add_user("old", "pw", status=1)
    t = run_pamtester(service, "old", [b"pw"], ops=("auth", "acct"))
    assert t.codes == [PAM_SUCCESS, PAM_ACCT_EXPIRED], t.describe()
    assert [r.op for r in t.results] == ["auth", "acct"]
    loop = run_pam_loop(service, "old", answers=[b"pw"], ops=("auth", "acct", "setcred"))
    assert loop.codes == [PAM_SUCCESS, PAM_ACCT_EXPIRED, PAM_SUCCESS], loop.describe()
    assert loop.code == PAM_ACCT_EXPIRED and loop.rc == 1


def test_conversation_edge_cases(service):
    # NULL resp -> PAM_AUTH_ERR; conversation failure -> PAM_SERVICE_ERR.
    assert run_pam_loop(service, "bob", answers=[None]).code == PAM_AUTH_ERR
    assert run_pam_loop(service, "bob", answers=[]).code == PAM_AUTH_ERR
    r = run_pam_loop(service, "bob", conv_error_when_exhausted=True)
    assert r.code == PAM_SERVICE_ERR, r.describe()
    # No PAM_USER: pam_get_user() asks with libpam's default "login:" prompt.
    r = run_pam_loop(service, None, answers=["bob", "secret"])
    assert r.prompts == [(PAM_PROMPT_ECHO_ON, "login:"), (PAM_PROMPT_ECHO_OFF, "Password:")]
    assert r.code == PAM_SUCCESS and r.user == "bob", r.describe()
    # pamtester at EOF on stdin (no answer left).
    assert run_pamtester(service, "bob", []).code == PAM_AUTH_ERR


@pytest.mark.parametrize("runner", ["pamtester", "pam_loop"])
def test_unknown_user(module, service, runner):
    if runner == "pamtester":
        r = run_pamtester(service, "nobody-here", [b"whatever"])
    else:
        r = run_pam_loop(service, "nobody-here", answers=[b"whatever"])
    assert r.code == PAM_USER_UNKNOWN, r.describe()
    # Logged at LOG_ERR even without verbose, once per SELECT (first pass
    # and after the prompt).
    assert r.logged(NO_RESULT, LOG_ERR), r.describe()
    # pam_mysql queries twice (first pass without a token, then after the
    # prompt); ours only after the prompt (README difference "Prompt before querying").
    expected = per_module(module, oracle=2, ours=1)
    assert sum(NO_RESULT in m for m in r.messages) == expected, r.describe()


def test_server_stopped_gives_authinfo_unavail(service, db):
    with db.stopped():
        r = run_pamtester(service, "bob", [b"secret"])
        assert r.code == PAM_AUTHINFO_UNAVAIL, r.describe()
        assert any("MySQL error (" in m for m in r.messages), r.describe()
    # The context manager restarted it.
    assert run_pamtester(service, "bob", [b"secret"]).code == PAM_SUCCESS


@pytest.mark.slow
def test_frozen_server_hangs_until_timeout(service, db):
    # SIGSTOP: the TCP connect succeeds, nothing answers; the C module has
    # no timeouts, so only the runner's timeout ends the run.
    with db.frozen():
        r = run_pam_loop(service, "bob", answers=[b"secret"], timeout=3)
    assert r.timed_out and r.signal == signal.SIGKILL and r.code is None, r.describe()
    assert run_pam_loop(service, "bob", answers=[b"secret"]).code == PAM_SUCCESS


def test_connections_are_counted(service, db):
    before = db.status("Connections")
    r = run_pam_loop(service, "bob", answers=[b"secret"])
    assert r.code == PAM_SUCCESS, r.describe()
    assert db.status("Connections") > before


# ---- harness self-tests (module independent) --------------------------------


def test_syslog_capture_sees_pam_syslog(pam_service_factory):
    # pam_warn logs through libpam's pam_syslog(); that path must be caught
    # as well as the C module's direct syslog() calls (test_unknown_user).
    svc = pam_service_factory("pam_warn.so", ["auth required {module}", "auth required pam_permit.so"])
    r = run_pam_loop(svc, "carol", rhost="rh.example")
    assert r.code == PAM_SUCCESS, r.describe()
    assert r.logged("pam_warn(" + svc + ":auth): function=[pam_sm_authenticate]"), r.describe()
    assert r.logged("rhost=[rh.example]"), r.describe()


def test_private_confdir(pam_service_factory):
    svc = pam_service_factory("pam_deny.so", ["auth required {module}"], private=True)
    assert svc.confdir is not None
    r = run_pam_loop(svc, "carol")
    assert r.code == PAM_AUTH_ERR, r.describe()


def test_crash_shows_as_signal(pam_service_factory):
    # Stand-in for a crashing module: the wrapper shell kills itself.
    svc = pam_service_factory("pam_permit.so", ["auth required {module}"])
    r = run_pam_loop(svc, "carol", wrap=["sh", "-c", "kill -SEGV $$", "sh"])
    assert r.crashed and r.signal == signal.SIGSEGV and r.code is None, r.describe()


def test_sql_roundtrip_is_byte_exact(db):
    nasty = b"q'uo\"te\\back\x00nul\xff\xfe\n\t" + bytes(range(256)) * 4096  # ~1 MB
    db.add_user("o'brien\\\" x", nasty, status=None, domain="ex.org")
    db.add_user("nullpw", None)
    db.add_user("strnull", "NULL")
    assert db.password_of("o'brien\\\" x") == nasty
    assert db.password_of("nullpw") is None
    assert db.password_of("strnull") == b"NULL"
    rows = db.sql("SELECT username, status, domain, password FROM users ORDER BY id")
    assert rows[0][:3] == ["o'brien\\\" x", None, "ex.org"]
    assert rows[1][3] is None and rows[2][3] == "NULL"
    assert db.sql("SELECT 'a\tb\nc', '<row>&'") == [["a\tb\nc", "<row>&"]]
