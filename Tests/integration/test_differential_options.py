"""Differential tests, options: module arguments, the config file, host
forms and database errors, run through real libpam against the C module
(the oracle) and ours.

Every test runs once per module (the `module` fixture).  Expected values
are the C module's measured behaviour (pam_mysql 0.8.2's option parsing, entry points and connection handling);
deliberate differences are written down with per_module(oracle=...,
ours=...) next to the README difference number.
"""

from __future__ import annotations

import os

import pytest

from pamharness import (
    LOG_ERR,
    PAM_ACCT_EXPIRED,
    PAM_AUTH_ERR,
    PAM_AUTHINFO_UNAVAIL,
    PAM_AUTHTOK_EXPIRED,
    PAM_PROMPT_ECHO_OFF,
    PAM_SERVICE_ERR,
    PAM_SUCCESS,
    PAM_USER_UNKNOWN,
    Batch,
    per_module,
    run_pam_loop,
    run_pamtester,
)

PROMPT = [(PAM_PROMPT_ECHO_OFF, "Password:")]
PW = "secret"
MD5_SECRET = "5ebe2294ecd0e0f08eab7690d2a6ee69"
# The trace line both modules write with verbose (C at LOG_ERR, ours at
# LOG_DEBUG: README difference "Logging through pam_syslog"), and never without.
TRACE = "pam_sm_authenticate() called."


@pytest.fixture
def make_service(pam_service_factory, module):
    def make(*lines: str | bytes):
        return pam_service_factory(module, list(lines))

    return make


@pytest.fixture
def users(db):
    """plain: stored `secret`; md5: stored md5('secret'); st1: status 1."""
    db.add_user("plain", PW)
    db.add_user("md5", MD5_SECRET)
    db.add_user("st1", PW, status=1)
    db.add_user("st2", PW, status=2)
    return db


def _write_config(tmp_path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    os.chmod(path, 0o600)
    return str(path)


# ---- sticky options ---------------------------------------------------------



def exact_log(module, lines):
    """The log expectation: for the C module each (text, priority) must be part of some line
    (what these tests always asserted of it); for ours the module's lines must be exactly
    these, in order, so an extra line (say one naming a secret) fails."""
    return per_module(module, oracle=dict(logged=lines), ours=dict(log=lines))

def test_account_line_inherits_options_of_auth_line(users, make_service):
    """pam_mysql 0.8.2's sticky context: one context per PAM handle; a line without database
    options uses those of an earlier line of the same transaction."""
    db = users
    svc = make_service(f"auth required {{module}} {db.pam_args(crypt=0)}",
                       "account required {module} statcolumn=status")
    b = Batch()
    b.check("status 0", run_pam_loop(svc, "plain", [PW], ops=("auth", "acct")),
            codes=[PAM_SUCCESS, PAM_SUCCESS])
    b.check("status 1", run_pam_loop(svc, "st1", [PW], ops=("auth", "acct")),
            codes=[PAM_SUCCESS, PAM_ACCT_EXPIRED])
    b.check("status 2", run_pam_loop(svc, "st2", [PW], ops=("auth", "acct")),
            codes=[PAM_SUCCESS, PAM_AUTHTOK_EXPIRED])
    b.check("status 1/pamtester", run_pamtester(svc, "st1", [PW], ops=("auth", "acct")),
            codes=[PAM_SUCCESS, PAM_ACCT_EXPIRED])
    # A second auth line inherits crypt=3 and everything else.
    chained = make_service(f"auth required {{module}} {db.pam_args(crypt=3)}",
                           "auth required {module} use_first_pass")
    b.check("second auth line inherits crypt", run_pam_loop(chained, "md5", [PW]),
            code=PAM_SUCCESS, prompts=PROMPT)
    b.verify()


def test_line_without_user_or_db_on_fresh_handle(module, users, make_service):
    db = users
    missing_user = [('required option "user" is not set', LOG_ERR)]
    missing_db = [('required option "db" is not set', LOG_ERR)]
    acct_only = make_service("auth required {module} statcolumn=status",
                             "account required {module} statcolumn=status")
    no_user = make_service(f"auth required {{module}} {db.pam_args(crypt=0, user=None)}",
                           f"account required {{module}} {db.pam_args(user=None)}")
    no_db = make_service(f"auth required {{module}} {db.pam_args(crypt=0, db=None)}",
                         f"account required {{module}} {db.pam_args(db=None)}")
    b = Batch()
    b.check("no options, acct", run_pam_loop(acct_only, "plain", ops=("acct",)),
            code=PAM_SERVICE_ERR, **exact_log(module, missing_user))
    b.check("no options, acct/pamtester", run_pamtester(acct_only, "plain", ops=("acct_mgmt",)),
            code=PAM_SERVICE_ERR, **exact_log(module, missing_user))
    b.check("no options, auth", run_pam_loop(acct_only, "plain", [PW]),
            code=PAM_SERVICE_ERR, **exact_log(module, missing_user), prompts=[])
    b.check("no user, auth", run_pam_loop(no_user, "plain", [PW]), code=PAM_SERVICE_ERR,
            **exact_log(module, missing_user), prompts=[])
    b.check("no user, acct", run_pam_loop(no_user, "plain", ops=("acct",)),
            code=PAM_SERVICE_ERR, **exact_log(module, missing_user))
    b.check("no db, auth", run_pam_loop(no_db, "plain", [PW]), code=PAM_SERVICE_ERR,
            **exact_log(module, missing_db), prompts=[])
    b.check("no db, acct", run_pam_loop(no_db, "plain", ops=("acct",)),
            code=PAM_SERVICE_ERR, **exact_log(module, missing_db))
    b.verify()


def test_account_line_after_auth_uses_its_own_options(users, make_service):
    """In one transaction (ops auth,acct) the account line's own where,
    statcolumn, table or usercolumn decide, not the row auth read."""
    db = users
    db.add_user("inactive", PW, status=0, active=0, domain="2")
    db.add_user("active1", PW, status=1, active=1, domain="0")
    auth = f"auth required {{module}} {db.pam_args(crypt=0)} statcolumn=status"
    cases = [
        ("where", "where=active=1", {"inactive": PAM_USER_UNKNOWN, "active1": PAM_ACCT_EXPIRED}),
        ("statcolumn", "statcolumn=domain",
         {"inactive": PAM_AUTHTOK_EXPIRED, "active1": PAM_SUCCESS}),
        ("table", "table=nosuch", {"inactive": PAM_SERVICE_ERR, "active1": PAM_SERVICE_ERR}),
        ("usercolumn", "usercolumn=domain",
         {"inactive": PAM_USER_UNKNOWN, "active1": PAM_USER_UNKNOWN}),
        ("inherited statcolumn", "", {"inactive": PAM_SUCCESS, "active1": PAM_ACCT_EXPIRED}),
    ]
    b = Batch()
    for label, opts, expected in cases:
        svc = make_service(auth, f"account required {{module}} {opts}")
        for user, code in expected.items():
            b.check(f"{label} {user}", run_pam_loop(svc, user, [PW], ops=("auth", "acct")),
                    codes=[PAM_SUCCESS, code])
    # auth finds no row (its where), account (where overridden) does.
    svc = make_service(f"auth required {{module}} {db.pam_args(crypt=0)} where=active=9",
                       "account required {module} where=1=1 statcolumn=status")
    b.check("auth unknown, acct found", run_pam_loop(svc, "active1", [PW], ops=("auth", "acct")),
            codes=[PAM_USER_UNKNOWN, PAM_ACCT_EXPIRED])
    # A wrong password does not stop the account check.
    svc = make_service(auth, "account required {module}")
    b.check("wrong password, acct", run_pam_loop(svc, "active1", ["x"], ops=("auth", "acct")),
            codes=[PAM_AUTH_ERR, PAM_ACCT_EXPIRED])
    b.check("acct before auth", run_pam_loop(svc, "active1", [PW], ops=("acct", "auth", "acct")),
            codes=[PAM_SERVICE_ERR, PAM_SUCCESS, PAM_ACCT_EXPIRED])
    b.verify()


def test_statcolumn_does_not_affect_authentication(users, make_service):
    """pam_mysql's auth query is `SELECT passwdcolumn ...` only: statcolumn
    is read by acct_mgmt alone, so a statcolumn that fails or aggregates
    changes nothing for authenticate."""
    db = users
    b = Batch()
    for stat, acct_known, acct_unknown in [
        ("nosuch", PAM_SERVICE_ERR, PAM_SERVICE_ERR),
        ("(SELECT id FROM users)", PAM_SERVICE_ERR, PAM_USER_UNKNOWN),  # 2+ rows in subquery
        ("COUNT(*)", PAM_ACCT_EXPIRED, PAM_SUCCESS),  # always one row
    ]:
        args = db.pam_args(crypt=0, statcolumn=stat)
        svc = make_service(f"auth required {{module}} {args}",
                           f"account required {{module}} {args}")
        b.check(f"{stat}: auth right", run_pam_loop(svc, "plain", [PW]), code=PAM_SUCCESS)
        b.check(f"{stat}: auth wrong", run_pam_loop(svc, "plain", ["x"]), code=PAM_AUTH_ERR)
        b.check(f"{stat}: auth unknown", run_pam_loop(svc, "nobody", [PW]),
                code=PAM_USER_UNKNOWN)
        b.check(f"{stat}: acct", run_pam_loop(svc, "plain", ops=("acct",)), code=acct_known)
        b.check(f"{stat}: acct unknown", run_pam_loop(svc, "nobody", ops=("acct",)),
                code=acct_unknown)
    b.verify()


# ---- argument syntax: brackets, `=`, expressions ----------------------------


def test_bracketed_where_with_spaces(db, make_service):
    db.add_user("a1", PW, active=1, domain="example.com")
    db.add_user("a0", PW, active=0, domain="example.com")
    db.add_user("other", PW, active=1, domain="other.org")
    where = "[where=active=1 AND domain='example.com']"
    svc = make_service(f"auth required {{module}} {db.pam_args(crypt=0)} {where}",
                       f"account required {{module}} {db.pam_args()} {where}")
    b = Batch()
    b.check("matches", run_pam_loop(svc, "a1", [PW], ops=("auth", "acct")),
            codes=[PAM_SUCCESS, PAM_SUCCESS])
    b.check("matches/pamtester", run_pamtester(svc, "a1", [PW]), code=PAM_SUCCESS)
    b.check("inactive", run_pam_loop(svc, "a0", [PW]), code=PAM_USER_UNKNOWN)
    b.check("other domain", run_pam_loop(svc, "other", [PW]), code=PAM_USER_UNKNOWN)
    b.check("inactive, acct", run_pam_loop(svc, "a0", ops=("acct",)), code=PAM_USER_UNKNOWN)
    b.verify()


def test_value_runs_from_first_equals_sign(db, make_service):
    db.add_user("a1", PW, active=1)
    db.add_user("a0", PW, active=0)
    db.add_user("x]", PW, active=1)
    plain = make_service(f"auth required {{module}} {db.pam_args(crypt=0)} where=active=1")
    # `\]` is a literal `]` inside brackets; the blank before `]` is kept.
    escaped = make_service(
        f"auth required {{module}} {db.pam_args(crypt=0)} [where=username NOT IN ('x\\]') ]")
    b = Batch()
    b.check("where=active=1 active", run_pam_loop(plain, "a1", [PW]), code=PAM_SUCCESS)
    b.check("where=active=1 inactive", run_pam_loop(plain, "a0", [PW]), code=PAM_USER_UNKNOWN)
    b.check("escaped ] excluded", run_pam_loop(escaped, "x]", [PW]), code=PAM_USER_UNKNOWN)
    b.check("escaped ] others", run_pam_loop(escaped, "a0", [PW]), code=PAM_SUCCESS)
    b.verify()


def test_column_and_table_expressions(db, make_service):
    db.add_user("alice", PW, domain="example.com", active=1)
    db.add_user("bob", PW, domain="example.org", active=0)
    expr = "CONCAT(username,'@',domain)"
    concat = make_service(f"auth required {{module}} {db.pam_args(crypt=0, usercolumn=expr)}",
                          f"account required {{module}} {db.pam_args(usercolumn=expr)}")
    spaced = make_service(
        f"auth required {{module}} {db.pam_args(crypt=0)} "
        "[usercolumn=CONCAT(username, '@', domain)] [passwdcolumn=IF(active = 1, password, NULL)]")
    join = make_service(
        f"auth required {{module}} {db.pam_args(crypt=0)} "
        "[table=users u JOIN users v ON v.id = u.id] usercolumn=u.username passwdcolumn=v.password")
    b = Batch()
    b.check("concat", run_pam_loop(concat, "alice@example.com", [PW], ops=("auth", "acct")),
            codes=[PAM_SUCCESS, PAM_SUCCESS])
    b.check("concat/pamtester", run_pamtester(concat, "alice@example.com", [PW]),
            code=PAM_SUCCESS)
    b.check("concat, bare local part", run_pam_loop(concat, "alice", [PW]),
            code=PAM_USER_UNKNOWN)
    b.check("concat, wrong domain", run_pam_loop(concat, "alice@example.org", [PW]),
            code=PAM_USER_UNKNOWN)
    b.check("spaced concat", run_pam_loop(spaced, "alice@example.com", [PW]), code=PAM_SUCCESS)
    # passwdcolumn expression yields NULL for the inactive user: no nullok.
    b.check("passwdcolumn NULL", run_pam_loop(spaced, "bob@example.org", [PW]),
            code=PAM_AUTH_ERR)
    b.check("join", run_pam_loop(join, "alice", [PW]), code=PAM_SUCCESS)
    b.check("join wrong", run_pam_loop(join, "alice", ["nope"]), code=PAM_AUTH_ERR)
    b.verify()


# ---- flags ------------------------------------------------------------------

TRUTHY = ["verbose=off", "verbose", "verbose=", "verbose=1", "verbose=yes", "verbose=on",
          "verbose=disable", "verbose=2", "debug", "debug=off", "verbose=0 debug"]
FALSY = ["verbose=0", "verbose=n", "verbose=N", "verbose=no", "verbose=NO", "verbose=false",
         "verbose=False", "debug=0", "debug=no", "verbose debug=false", ""]


def test_boolean_truthiness_of_verbose_and_debug(users, make_service):
    """pam_mysql_parse_args's boolean rule: false only for 0, n, no, false (any case); debug
    is an alias of verbose; the last one wins."""
    db = users
    b = Batch()
    for opt in TRUTHY + FALSY:
        svc = make_service(f"auth required {{module}} {db.pam_args(crypt=0)} {opt}")
        want = opt in TRUTHY
        b.check(f"{opt!r}", run_pam_loop(svc, "plain", [PW]), code=PAM_SUCCESS,
                logged=[(TRACE, None)] if want else [],
                not_logged=[] if want else [(TRACE, None)])
    b.verify()


def test_boolean_truthiness_of_use_first_pass(users, make_service):
    db = users
    b = Batch()
    for opt, prompts in [("use_first_pass=off", []), ("use_first_pass=x", []),
                         ("use_first_pass=no", PROMPT), ("use_first_pass=FALSE", PROMPT)]:
        svc = make_service("auth required {preset}",
                           f"auth required {{module}} {db.pam_args(crypt=0)} {opt}")
        expected = PAM_AUTH_ERR if not prompts else PAM_SUCCESS
        b.check(opt, run_pam_loop(svc, "plain", [PW], authtok="wrong"), code=expected,
                prompts=prompts)
    b.verify()


# ---- crypt values -----------------------------------------------------------


@pytest.mark.parametrize("crypt", ["crypt=10", "crypt=03", "crypt", "crypt=", "[crypt= 0]",
                                   "crypt=-1", "crypt=md", "crypt=plain1", "crypt=0x0",
                                   "crypt=9 crypt=11"])
def test_invalid_crypt_value_is_service_error(users, make_service, crypt):
    db = users
    svc = make_service(f"auth required {{module}} {db.pam_args()} {crypt}",
                       f"account required {{module}} {db.pam_args()} {crypt}")
    b = Batch()
    b.check("auth", run_pam_loop(svc, "plain", [PW]), code=PAM_SERVICE_ERR, prompts=[])
    b.check("auth/pamtester", run_pamtester(svc, "plain", [PW]), code=PAM_SERVICE_ERR,
            prompted=False)
    b.check("acct", run_pam_loop(svc, "plain", ops=("acct",)), code=PAM_SERVICE_ERR)
    b.verify()


def test_last_crypt_option_wins(users, make_service):
    db = users
    svc = make_service(f"auth required {{module}} {db.pam_args()} crypt=0 crypt=md5")
    b = Batch()
    b.check("md5 applies", run_pam_loop(svc, "md5", [PW]), code=PAM_SUCCESS)
    b.check("not plain", run_pam_loop(svc, "plain", [PW]), code=PAM_AUTH_ERR)
    b.verify()


# ---- unknown options --------------------------------------------------------


def test_unknown_options_are_ignored(module, users, make_service):
    """`Crypt=3` (names are case-sensitive) and `password=x` (no such alias)
    change nothing for C.  README difference "Unknown options logged": ours logs unknown names at
    LOG_ERR always, pam_mysql only when verbose was already on.  Changed for
    ours (README difference "Misspelt restrictions"; was: `Crypt=3` ignored and logged, as
    `password=x` still is): `Crypt` is a near miss of crypt, whose loss leaves
    plain-text comparison on, so the line fails closed."""
    db = users
    crypt_upper = make_service(f"auth required {{module}} {db.pam_args(crypt=0)} Crypt=3")
    password = make_service(f"auth required {{module}} {db.pam_args(crypt=0)} password=x")
    verbose_first = make_service(
        f"auth required {{module}} {db.pam_args(crypt=0)} verbose=1 Crypt=3")
    log_crypt = [("unknown option: Crypt", LOG_ERR)]
    near_miss = [("unknown option Crypt on the module line: too close to crypt to ignore"
                  " (a misspelt restriction fails closed)", LOG_ERR)]
    log_password = [("unknown option: password", LOG_ERR)]
    b = Batch()
    kw = per_module(module, oracle=dict(not_logged=log_crypt), ours=dict(log=near_miss))
    b.check("Crypt=3 plain", run_pam_loop(crypt_upper, "plain", [PW]),
            code=per_module(module, oracle=PAM_SUCCESS, ours=PAM_SERVICE_ERR), **kw)
    b.check("Crypt=3 md5", run_pam_loop(crypt_upper, "md5", [PW]),
            code=per_module(module, oracle=PAM_AUTH_ERR, ours=PAM_SERVICE_ERR), **kw)
    b.check("Crypt=3 pamtester", run_pamtester(crypt_upper, "plain", [PW]),
            code=per_module(module, oracle=PAM_SUCCESS, ours=PAM_SERVICE_ERR), **kw)
    kw = per_module(module, oracle=dict(not_logged=log_password), ours=dict(log=log_password))
    b.check("password=x", run_pam_loop(password, "plain", [PW]), code=PAM_SUCCESS, **kw)
    # With verbose already on, C logs it too.
    b.check("verbose=1 Crypt=3", run_pam_loop(verbose_first, "md5", [PW]),
            code=per_module(module, oracle=PAM_AUTH_ERR, ours=PAM_SERVICE_ERR),
            **per_module(module, oracle=dict(logged=log_crypt), ours=dict(log=near_miss)))
    b.verify()


def test_password_is_not_an_alias_of_passwd(users, make_service):
    db = users
    svc = make_service(
        f"auth required {{module}} {db.pam_args(crypt=0, passwd=None)} password={db.db_password}",
        f"account required {{module}} {db.pam_args(passwd=None)} password={db.db_password}")
    b = Batch()
    using_no = [("(using password: NO)", LOG_ERR)]
    b.check("auth", run_pam_loop(svc, "plain", [PW]), code=PAM_AUTHINFO_UNAVAIL, logged=using_no)
    b.check("acct", run_pam_loop(svc, "plain", ops=("acct",)), code=PAM_AUTHINFO_UNAVAIL,
            logged=using_no)
    b.verify()


def test_other_known_options_are_accepted(users, make_service):
    db = users
    extra = ("update_table=users md5=0 use_323_passwd=0 sqllog=0 logtable=log logmsgcolumn=msg "
             "logusercolumn=user logpidcolumn=pid loghostcolumn=host logrhostcolumn=rhost "
             "logtimecolumn=logtime try_first_pass=1 nullok=0 verbose=0")
    svc = make_service(f"auth required {{module}} {db.pam_args(crypt=0)} {extra}",
                       f"account required {{module}} {db.pam_args()} {extra}")
    b = Batch()
    b.check("auth+acct", run_pam_loop(svc, "plain", [PW], ops=("auth", "acct")),
            codes=[PAM_SUCCESS, PAM_SUCCESS], prompts=PROMPT)
    b.check("wrong", run_pam_loop(svc, "plain", ["nope"]), code=PAM_AUTH_ERR)
    b.verify()


# ---- config file ------------------------------------------------------------


def test_config_file_overrides_arguments(users, make_service, tmp_path):
    db = users
    cfg = _write_config(tmp_path, "crypt3.conf", b"users.password_crypt = 3\n")
    svc = make_service(f"auth required {{module}} {db.pam_args(crypt=0)} config_file={cfg}")
    # Everything from the file; the line's own DB options are wrong.
    full = _write_config(tmp_path, "full.conf", (
        f"users.host = {db.tcp_host}\n"
        f"users.database = {db.db_name}\n"
        f"users.db_user = {db.db_user}\n"
        f"users.db_passwd = {db.db_password}\n"
        "users.table = users\n"
        "users.user_column = username\n"
        "users.password_column = password\n"
        "users.status_column = status\n"
        "users.password_crypt = md5\n").encode())
    only_file = make_service(
        f"auth required {{module}} config_file={full} crypt=0 table=nosuch passwd=wrong",
        f"account required {{module}} config_file={full} statcolumn=0")
    b = Batch()
    b.check("file crypt=3, md5 user", run_pam_loop(svc, "md5", [PW]), code=PAM_SUCCESS)
    b.check("file crypt=3, md5 user/pamtester", run_pamtester(svc, "md5", [PW]), code=PAM_SUCCESS)
    b.check("file crypt=3, hex typed", run_pam_loop(svc, "md5", [MD5_SECRET]), code=PAM_AUTH_ERR)
    b.check("file crypt=3, plain user", run_pam_loop(svc, "plain", [PW]), code=PAM_AUTH_ERR)
    b.check("all from file", run_pam_loop(only_file, "md5", [PW], ops=("auth", "acct")),
            codes=[PAM_SUCCESS, PAM_SUCCESS])
    db.add_user("st1md5", MD5_SECRET, status=1)
    b.check("file status_column beats argument",
            run_pam_loop(only_file, "st1md5", [PW], ops=("auth", "acct")),
            codes=[PAM_SUCCESS, PAM_ACCT_EXPIRED])
    b.verify()


def test_config_file_last_line_without_newline(module, users, make_service, tmp_path):
    # README difference "Last line without newline": pam_mysql dropped the last line without "\n".
    db = users
    cfg = _write_config(tmp_path, "nonl.conf", b"users.table = users\nusers.password_crypt = 3")
    svc = make_service(f"auth required {{module}} {db.pam_args(crypt=0)} config_file={cfg}")
    b = Batch()
    b.check("md5 user, secret", run_pam_loop(svc, "md5", [PW]),
            code=per_module(module, oracle=PAM_AUTH_ERR, ours=PAM_SUCCESS))
    b.check("md5 user, hex typed", run_pam_loop(svc, "md5", [MD5_SECRET]),
            code=per_module(module, oracle=PAM_SUCCESS, ours=PAM_AUTH_ERR))
    b.verify()


def test_config_file_invalid_crypt_value(module, users, make_service, tmp_path):
    """`3 # c` is the whole value (no inline comments).  README difference
    "Invalid password_crypt": pam_mysql fell back to plain text, so the stored md5 hex itself is
    the password; ours fails closed with PAM_SERVICE_ERR and a LOG_ERR line."""
    db = users
    cfg = _write_config(tmp_path, "hash.conf", b"users.password_crypt = 3 # c\n")
    svc = make_service(f"auth required {{module}} {db.pam_args(crypt=3)} config_file={cfg}",
                       f"account required {{module}} {db.pam_args()} config_file={cfg}")
    b = Batch()
    b.check("hex typed", run_pam_loop(svc, "md5", [MD5_SECRET]),
            code=per_module(module, oracle=PAM_SUCCESS, ours=PAM_SERVICE_ERR),
            **per_module(module, oracle={}, ours=dict(log=[(
                f"invalid crypt value (line 1 of {cfg}): use 0-9 or plain, Y, mysql, md5, sha1,"
                " drupal7, joomla15, ssha, sha512, sha256, dovecot", LOG_ERR)])))
    b.check("hex typed/pamtester", run_pamtester(svc, "md5", [MD5_SECRET]),
            code=per_module(module, oracle=PAM_SUCCESS, ours=PAM_SERVICE_ERR))
    b.check("secret typed", run_pam_loop(svc, "md5", [PW]),
            code=per_module(module, oracle=PAM_AUTH_ERR, ours=PAM_SERVICE_ERR))
    b.check("plain user", run_pam_loop(svc, "plain", [PW]),
            code=per_module(module, oracle=PAM_SUCCESS, ours=PAM_SERVICE_ERR))
    b.verify()


def test_config_file_indented_comment_stops_parsing(module, users, make_service, tmp_path):
    # C: lines before the syntax error count, the rest is ignored silently (the bad table
    # would give PAM_SERVICE_ERR).  Changed for ours (README difference "Config syntax errors"; was: the same
    # codes as C plus a LOG_ERR line): no entry of the file is used, PAM_SERVICE_ERR.
    db = users
    cfg = _write_config(tmp_path, "indent.conf",
                        b"users.password_crypt = 3\n  # indented\nusers.table = nosuch\n")
    svc = make_service(f"auth required {{module}} {db.pam_args(crypt=0)} config_file={cfg}")
    b = Batch()
    r = run_pam_loop(svc, "md5", [PW])
    b.check("md5 user", r, code=per_module(module, oracle=PAM_SUCCESS, ours=PAM_SERVICE_ERR),
            **per_module(module, oracle=dict(not_logged=[(cfg, None)]),
                         ours=dict(log=[(f"syntax error on line 2 of {cfg}: unexpected character at"
                                         ' column 5 after key, expected "="; none of the file is used',
                                         LOG_ERR)])))
    b.check("hex typed", run_pam_loop(svc, "md5", [MD5_SECRET]),
            code=per_module(module, oracle=PAM_AUTH_ERR, ours=PAM_SERVICE_ERR))
    b.verify()


def test_config_file_missing(module, users, make_service, tmp_path):
    # C carries on with the arguments, silently.  Changed for ours (README difference "Unusable config file";
    # was: carry on too, plus a LOG_ERR line): a named file that is not there fails closed.
    db = users
    path = str(tmp_path / "does-not-exist.conf")
    svc = make_service(f"auth required {{module}} {db.pam_args(crypt=3)} config_file={path}",
                       f"account required {{module}} {db.pam_args()} config_file={path}")
    b = Batch()
    kw = per_module(module, oracle=dict(not_logged=[(path, None)]),
                    # One line per call (auth, then acct), each refused the same way.
                    ours=dict(log=[(f"config file {path} cannot be opened (No such file or directory)",
                                    LOG_ERR)] * 2))
    b.check("md5", run_pam_loop(svc, "md5", [PW], ops=("auth", "acct")),
            codes=per_module(module, oracle=[PAM_SUCCESS, PAM_SUCCESS], ours=[PAM_SERVICE_ERR, PAM_SERVICE_ERR]), **kw)
    b.check("md5/pamtester", run_pamtester(svc, "md5", [PW]),
            code=per_module(module, oracle=PAM_SUCCESS, ours=PAM_SERVICE_ERR))
    b.check("plain", run_pam_loop(svc, "plain", [PW]),
            code=per_module(module, oracle=PAM_AUTH_ERR, ours=PAM_SERVICE_ERR))
    b.verify()


def test_config_file_line_endings_terminators_and_unknown_keys(module, users, make_service,
                                                                tmp_path):
    db = users
    files = {
        "crlf": b"users.table = users\r\nusers.password_crypt = 3\r\n",
        "cr": b"users.table = users\rusers.password_crypt = 3\r",
        "semicolon": b"users.password_crypt = 3;\n",
        "blanks": b"\t users.password_crypt\t=\t 3\n",
        "comment": b"# a comment\n#users.password_crypt = 0\nusers.password_crypt = 3\n",
        "trailing-blanks": b"users.password_column = password   \nusers.password_crypt = 3\n",
        "unknown-key": b"users.foo = bar\nusers.password_crypt = 3\n",
        "quoted-key": b'"users.table" = nosuch\nusers.password_crypt = 3\n',
        "name": b"users.password_crypt = MD5\n",
        "empty-lines": b"\n\nusers.password_crypt = 3\n\n",
    }
    b = Batch()
    for name, content in files.items():
        cfg = _write_config(tmp_path, f"{name}.conf", content)
        svc = make_service(f"auth required {{module}} {db.pam_args(crypt=0)} config_file={cfg}")
        kw = {}
        if name in ("unknown-key", "quoted-key"):
            # README difference "Unknown options logged": ours reports the unknown key at LOG_ERR.
            shown = "users.foo" if name == "unknown-key" else "(name withheld: not an option name)"
            kw = per_module(module, oracle=dict(not_logged=[("unknown", None)]),
                            ours=dict(log=[(f"unknown option {shown} on line 1 of {cfg}", LOG_ERR)]))
        b.check(f"{name}: md5 user", run_pam_loop(svc, "md5", [PW]), code=PAM_SUCCESS, **kw)
        b.check(f"{name}: hex typed", run_pam_loop(svc, "md5", [MD5_SECRET]), code=PAM_AUTH_ERR)
    b.verify()


def test_config_file_value_stops_at_semicolon(module, users, make_service, tmp_path):
    # `a = b ; c = d`: the value is "b " (trailing blank kept), then a syntax
    # error; for C `users.table = users ` still works as SQL.  Changed for ours
    # (README difference "Config syntax errors"; was PAM_SUCCESS / PAM_AUTH_ERR like C): the syntax error
    # refuses the file.  `a = b ;` with nothing after the `;` is fine for both.
    db = users
    cfg = _write_config(tmp_path, "semi.conf",
                        b"users.password_crypt = 3\nusers.table = users ; users.table = nosuch\n")
    svc = make_service(f"auth required {{module}} {db.pam_args(crypt=0)} config_file={cfg}")
    ok = _write_config(tmp_path, "semi-ok.conf", b"users.password_crypt = 3\nusers.table = users ;  \n")
    ok_svc = make_service(f"auth required {{module}} {db.pam_args(crypt=0)} config_file={ok}")
    b = Batch()
    b.check("md5 user", run_pam_loop(svc, "md5", [PW]),
            code=per_module(module, oracle=PAM_SUCCESS, ours=PAM_SERVICE_ERR))
    b.check("hex typed", run_pam_loop(svc, "md5", [MD5_SECRET]),
            code=per_module(module, oracle=PAM_AUTH_ERR, ours=PAM_SERVICE_ERR))
    b.check("md5 user, nothing after ;", run_pam_loop(ok_svc, "md5", [PW]), code=PAM_SUCCESS)
    b.check("hex typed, nothing after ;", run_pam_loop(ok_svc, "md5", [MD5_SECRET]), code=PAM_AUTH_ERR)
    b.verify()


def test_config_file_verbose_key(users, make_service, tmp_path):
    db = users
    on = _write_config(tmp_path, "on.conf", b"verbose = 1\n")
    off = _write_config(tmp_path, "off.conf", b"verbose = no\n")
    b = Batch()
    for cfg, want in ((on, True), (off, False)):
        svc = make_service(f"auth required {{module}} {db.pam_args(crypt=0)} config_file={cfg}")
        b.check(f"verbose from {cfg}", run_pam_loop(svc, "plain", [PW]), code=PAM_SUCCESS,
                **(dict(logged=[(TRACE, None)]) if want else dict(not_logged=[(TRACE, None)])))
    b.verify()


# ---- host forms and database errors -----------------------------------------


def test_host_forms(users, make_service, module):
    """Each host form; the forms without a socket or port of their own reach the test server
    only through the environment (MYSQL_UNIX_PORT, MYSQL_TCP_PORT), which the C module obeys
    and ours ignores (README difference "every connection parameter explicit"): ours goes to
    the compiled-in socket and port, where no server runs here."""
    db = users
    sock_env = {"MYSQL_UNIX_PORT": db.socket}
    port_env = {"MYSQL_TCP_PORT": str(db.port)}
    default_socket = "MySQL error (Can't connect to local server through socket '/run/mysqld/mysqld.sock'"
    default_port = "MySQL error (Can't connect to server on '127.0.0.1'"
    from_env = per_module(module, oracle=PAM_SUCCESS, ours=PAM_AUTHINFO_UNAVAIL)
    cases = [
        ("tcp host:port", db.tcp_host, None, PAM_SUCCESS, None),
        ("tcp host:port with junk", db.tcp_host + "x", None, PAM_SUCCESS, None),
        ("socket path", db.socket, None, PAM_SUCCESS, None),
        ("localhost = socket", "localhost", sock_env, from_env, default_socket),
        ("localhost:port = socket", f"localhost:{db.port}", sock_env, from_env, default_socket),
        ("unset = default socket", None, sock_env, from_env, default_socket),
        ("name = TCP default port", "127.0.0.1", port_env, from_env, default_port),
        ("wrong port", "127.0.0.1:1", None, PAM_AUTHINFO_UNAVAIL, None),
        ("socket missing", db.socket + ".missing", None, PAM_AUTHINFO_UNAVAIL, None),
        ("localhost, no server at default socket", "localhost", None, PAM_AUTHINFO_UNAVAIL, None),
        # Odd forms, as libmariadb sees what pam_mysql hands it: text before
        # the first ':' is the host ("" = socket), strtol() of the rest the
        # port (0 = default, wrapped to 16 bits by the library).
        ("::1 = socket", "::1", sock_env, from_env, default_socket),
        ("empty host = socket", "", sock_env, from_env, default_socket),
        (":port = socket", f":{db.port}", sock_env, from_env, default_socket),
        ("port 0 = default port", "127.0.0.1:0", port_env, from_env, default_port),
        ("port not a number", "127.0.0.1:abc", port_env, from_env, default_port),
        ("port + 65536", f"127.0.0.1:{db.port + 65536}", None, PAM_SUCCESS, None),
        ("two colons", f"127.0.0.1:{db.port}:5", None, PAM_SUCCESS, None),
        ("bracketed IPv6", f"[::1]:{db.port}", None, PAM_AUTHINFO_UNAVAIL, None),
        ("negative port", f"127.0.0.1:-{db.port}", None, PAM_AUTHINFO_UNAVAIL, None),
    ]
    b = Batch()
    for label, host, env, expected, ours_logged in cases:
        svc = make_service(f"auth required {{module}} {db.pam_args(crypt=0, host=host)}",
                           f"account required {{module}} {db.pam_args(host=host)}")
        logged = [("MySQL error (", LOG_ERR)] if expected else []
        if expected and ours_logged and module.kind == "ours":
            logged = [(ours_logged, LOG_ERR)]
        b.check(f"{label}: auth", run_pam_loop(svc, "plain", [PW], env=env), code=expected,
                logged=logged)
        b.check(f"{label}: acct", run_pam_loop(svc, "plain", ops=("acct",), env=env),
                code=expected)
        if expected == PAM_SUCCESS:
            b.check(f"{label}: wrong password", run_pam_loop(svc, "plain", ["x"], env=env),
                    code=PAM_AUTH_ERR)
    b.verify()


def test_database_errors(users, make_service):
    """Wrong SQL login or database: PAM_AUTHINFO_UNAVAIL; SQL errors (bad
    table, column, where): PAM_SERVICE_ERR; for auth and account alike."""
    db = users
    cases = [
        ("wrong SQL password", dict(passwd="wrong-pw"), PAM_AUTHINFO_UNAVAIL),
        ("no SQL password", dict(passwd=None), PAM_AUTHINFO_UNAVAIL),
        ("unknown SQL user", dict(user="nosuchuser"), PAM_AUTHINFO_UNAVAIL),
        ("unknown database", dict(db="nosuchdb"), PAM_AUTHINFO_UNAVAIL),
        ("bad table", dict(table="nosuch"), PAM_SERVICE_ERR),
        ("no table", dict(table=None), PAM_SERVICE_ERR),
        ("bad user column", dict(usercolumn="nosuch"), PAM_SERVICE_ERR),
        ("bad password column", dict(passwdcolumn="nosuch"), PAM_SERVICE_ERR),
        ("bad where", dict(where="nosuch=1"), PAM_SERVICE_ERR),
        ("where syntax error", dict(where="1=("), PAM_SERVICE_ERR),
    ]
    b = Batch()
    for label, kw, expected in cases:
        svc = make_service(f"auth required {{module}} {db.pam_args(crypt=0, **kw)}",
                           f"account required {{module}} {db.pam_args(**kw)}")
        logged = [("MySQL error", LOG_ERR)]
        b.check(f"{label}: auth", run_pam_loop(svc, "plain", [PW]), code=expected, logged=logged)
        b.check(f"{label}: acct", run_pam_loop(svc, "plain", ops=("acct",)), code=expected,
                logged=logged)
    svc = make_service(f"auth required {{module}} {db.pam_args(crypt=0, passwd='wrong-pw')}")
    b.check("wrong SQL password/pamtester", run_pamtester(svc, "plain", [PW]),
            code=PAM_AUTHINFO_UNAVAIL)
    b.verify()


def test_disconnect_every_op_is_accepted(users, make_service):
    db = users
    b = Batch()
    for opt in ("disconnect_every_op", "disconnect_every_op=1", "disconnect_every_op=0"):
        svc = make_service(f"auth required {{module}} {db.pam_args(crypt=0)} {opt}",
                           f"account required {{module}} {db.pam_args(statcolumn='status')} {opt}")
        b.check(f"{opt}", run_pam_loop(svc, "st1", [PW], ops=("auth", "acct", "setcred"),
                                       count=2),
                codes=[PAM_SUCCESS, PAM_ACCT_EXPIRED, PAM_SUCCESS] * 2)
        b.check(f"{opt}/pamtester", run_pamtester(svc, "plain", [PW], ops=("auth", "acct")),
                codes=[PAM_SUCCESS, PAM_SUCCESS])
    b.verify()
