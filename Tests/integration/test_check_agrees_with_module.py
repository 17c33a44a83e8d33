"""`pam-mysql check` and the module decide with the same code, so they agree.

Each case is one pam.d file, run through the module (pam_loop: authenticate, then
acct_mgmt) and through `pam-mysql check --file FILE USER --password-stdin`. The module's
login succeeds exactly when the check exits 0, and the check's FAIL line names the step
the module refused at. The cases are the disagreements found when the tool had its own copy
of the module's rules.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import pamharness as ph

TOOL = Path(os.environ.get("PAM_MYSQL_TOOL", ph.BUILD_DIR / "pam-mysql"))
PASSWORD = "Agree-Pw-7"
PAM_SUCCESS, PAM_SERVICE_ERR, PAM_AUTH_ERR, PAM_ACCT_EXPIRED = 0, 3, 7, 13


def check(path: Path, user: str, password: str) -> subprocess.CompletedProcess:
    result = subprocess.run([str(TOOL), "check", "--file", str(path), user, "--password-stdin"],
                            input=(password + "\n").encode(), capture_output=True, timeout=60, env=ph.child_env())
    result.text = result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")  # type: ignore[attr-defined]
    assert ph.MariaDB.db_password not in result.text and password not in result.text
    return result


def failed_steps(text: str) -> list[str]:
    return [line[6:].split(":")[0] for line in text.splitlines() if line.startswith("FAIL")]


def both(pam_service_factory, our_module, db, lines: list[str], user: str, password: str = PASSWORD):
    svc = pam_service_factory(our_module, lines)
    module = ph.run_pam_loop(svc, user, [password], ops=["auth", "acct"])
    return module, check(svc.path, user, password)


CASES = [
    # (id, auth line options, account line options (None: same as auth), user status, password,
    #  pam_loop runs acct_mgmt even after a failed authenticate, as a host might),
    #  module's codes, the check's failing step or None)
    ("account-line-without-arguments", {}, "", 0, PASSWORD, [PAM_SUCCESS, PAM_SUCCESS], None),
    ("expired-on-the-account-line", {}, {"statcolumn": "status"}, 1, PASSWORD, [PAM_SUCCESS, PAM_ACCT_EXPIRED], "account status"),
    ("no-such-status-column", {}, {"statcolumn": "no_such_column"}, 0, PASSWORD, [PAM_SUCCESS, PAM_SERVICE_ERR], "table and columns"),
    ("password-over-the-limit", {}, None, 0, "x" * 600, [PAM_AUTH_ERR, PAM_SUCCESS], "password"),
    ("wrong-password", {}, None, 0, "wrong", [PAM_AUTH_ERR, PAM_SUCCESS], "password"),
    ("healthy", {"statcolumn": "status"}, None, 0, PASSWORD, [PAM_SUCCESS, PAM_SUCCESS], None),
]


@pytest.mark.parametrize("label,auth,account,status,password,codes,failing", CASES, ids=[c[0] for c in CASES])
def test_check_and_module_agree(label, auth, account, status, password, codes, failing, pam_service_factory, our_module, db):
    db.add_user("agree", PASSWORD if password != "x" * 600 else "x" * 600, status=status)
    auth_args = db.pam_args(crypt=0, **auth)
    if account is None:
        account_args = auth_args
    elif account == "":
        account_args = ""
    else:
        account_args = db.pam_args(crypt=0, **{**auth, **account})
    lines = [f"auth required {{module}} {auth_args}", f"account required {{module}} {account_args}".rstrip()]
    module, checked = both(pam_service_factory, our_module, db, lines, "agree", password)
    assert module.codes == codes, module.describe()
    module_ok = all(c == PAM_SUCCESS for c in module.codes)
    assert (checked.returncode == 0) == module_ok, checked.text
    if failing is None:
        assert failed_steps(checked.text) == [], checked.text
    else:
        assert failing in failed_steps(checked.text), checked.text


def test_first_server_down_is_a_warning_and_both_log_in(pam_service_factory, our_module, db):
    db.add_user("agree", PASSWORD)
    args = db.pam_args(crypt=0, host=f"127.0.0.1:1,{db.tcp_host}", connect_timeout=2)
    module, checked = both(pam_service_factory, our_module, db, [f"auth required {{module}} {args}"], "agree")
    assert module.codes == [PAM_SUCCESS, PAM_SUCCESS] or module.codes[0] == PAM_SUCCESS, module.describe()
    assert checked.returncode == 0, checked.text
    assert any(l.startswith("WARN  database reachable") for l in checked.text.splitlines()), checked.text


def test_missing_user_option_fails_in_both(pam_service_factory, our_module, db):
    db.add_user("agree", PASSWORD)
    args = db.pam_args(crypt=0, user=None)
    module, checked = both(pam_service_factory, our_module, db, [f"auth required {{module}} {args}"], "agree")
    assert module.codes[0] == PAM_SERVICE_ERR, module.describe()
    assert checked.returncode == 1 and "missing user" in checked.text, checked.text


def test_session_line_without_sqllog_needs_no_database(pam_service_factory, our_module, db):
    # The module answers success on a session line without sqllog, whatever the database.
    args = db.pam_args(crypt=0, host="127.0.0.1:1", connect_timeout=1)
    svc = pam_service_factory(our_module, [f"session required {{module}} {args}"])
    module = ph.run_pam_loop(svc, "agree", ops=["open"])
    assert module.code == PAM_SUCCESS, module.describe()
    checked = check(svc.path, "agree", PASSWORD)
    assert checked.returncode == 0 and failed_steps(checked.text) == [], checked.text
