"""Differential tests, authentication and account: the same cases through
real libpam (pamtester and pam_loop) against the C module (the oracle,
Debian's libpam-mysql 0.8.2) and against ours.

Every test runs once per module (the `module` fixture).  The expected
values are the C module's measured behaviour (the published vectors, pam_mysql 0.8.2's pam_sm_authenticate,
3.3); the oracle run proves the expectation, the "ours" run holds our module
to it.  Where the README lists a deliberate difference, the test writes both
results down with per_module(oracle=..., ours=...) and names the README
difference number.  Many cases share one PAM service; Batch reports every
mismatching case of a test at once.
"""

from __future__ import annotations

import pytest

from pamharness import (
    LOG_ERR,
    PAM_ACCT_EXPIRED,
    PAM_AUTH_ERR,
    PAM_AUTHINFO_UNAVAIL,
    PAM_AUTHTOK_EXPIRED,
    PAM_NEW_AUTHTOK_REQD,
    PAM_PROMPT_ECHO_OFF,
    PAM_PROMPT_ECHO_ON,
    PAM_SERVICE_ERR,
    PAM_SUCCESS,
    PAM_USER_UNKNOWN,
    Batch,
    per_module,
    run_pam_loop,
    run_pamtester,
    scheme_vectors,
)

PROMPT = [(PAM_PROMPT_ECHO_OFF, "Password:")]
NO_PROMPT: list = []

PW_A = "secret"
PW_B = "this is a passwd"

# (crypt number, label, stored value, password): every published vector both modules accept
# without use_323_passwd (that one and Drupal's U$, which the C module rejects, have tests below).
VECTORS = [
    (v["crypt"], v["label"], v["stored"], v["password"])
    for v in scheme_vectors()
    if not v.get("use_323_passwd") and v.get("c_module") != "rejects"
]
STORED = {v["label"]: v["stored"] for v in scheme_vectors()}
CRYPT_NAMES = ["plain", "Y", "mysql", "md5", "sha1", "drupal7", "joomla15", "ssha", "sha512",
               "sha256"]

MD5_SECRET = STORED["a-md5"]


@pytest.fixture
def make_service(pam_service_factory, module):
    """make_service(line, line, ...) -> PamService of the module under test."""

    def make(*lines: str):
        return pam_service_factory(module, list(lines))

    return make


def _wrong(password: str) -> str:
    # First character changed: DES (only 8 characters count) rejects it too.
    return "x" + password[1:]


# ---- test vectors -----------------------------------------------------------


def test_every_reference_vector_by_number_and_by_name(db, make_service):
    """The published vectors (`secret` and `this is a passwd`): every crypt
    mode, selected by digit (pamtester) and by name (pam_loop), accepts the
    right password and rejects a wrong and an empty one with PAM_AUTH_ERR."""
    for _, label, stored, _ in VECTORS:
        db.add_user(label, stored)
    b = Batch()
    for num in range(10):
        cases = [(label, pw) for n, label, _, pw in VECTORS if n == num]
        by_number = make_service(f"auth required {{module}} {db.pam_args(crypt=num)}")
        by_name = make_service(f"auth required {{module}} {db.pam_args(crypt=CRYPT_NAMES[num])}")
        for label, pw in cases:
            b.check(f"crypt={num} {label} right", run_pamtester(by_number, label, [pw]),
                    code=PAM_SUCCESS, prompted=True)
            b.check(f"crypt={num} {label} wrong", run_pamtester(by_number, label, [_wrong(pw)]),
                    code=PAM_AUTH_ERR)
            name = CRYPT_NAMES[num]
            b.check(f"crypt={name} {label} right", run_pam_loop(by_name, label, [pw]),
                    code=PAM_SUCCESS, prompts=PROMPT)
            b.check(f"crypt={name} {label} wrong", run_pam_loop(by_name, label, [_wrong(pw)]),
                    code=PAM_AUTH_ERR, prompts=PROMPT)
            b.check(f"crypt={name} {label} empty", run_pam_loop(by_name, label, [""]),
                    code=PAM_AUTH_ERR)
    b.verify()


def test_crypt_names_are_case_insensitive(db, make_service):
    db.add_user("md5u", MD5_SECRET)
    db.add_user("sha256u", [v for v in VECTORS if v[1] == "a-sha256"][0][2])
    db.add_user("desu", STORED["a-des"])
    b = Batch()
    for value, user in [("MD5", "md5u"), ("Md5", "md5u"), ("SHA256", "sha256u"), ("y", "desu")]:
        svc = make_service(f"auth required {{module}} {db.pam_args(crypt=value)}")
        b.check(f"crypt={value} right", run_pam_loop(svc, user, [PW_A]), code=PAM_SUCCESS)
        b.check(f"crypt={value} wrong", run_pam_loop(svc, user, ["wrong"]), code=PAM_AUTH_ERR)
    b.verify()


def test_des_crypt_uses_only_first_eight_characters(db, make_service):
    # libxcrypt's traditional DES: `this is ` decides (crypt=1).
    db.add_user("des", STORED["b-des"])
    svc = make_service(f"auth required {{module}} {db.pam_args(crypt=1)}")
    b = Batch()
    b.check("same 8 chars", run_pam_loop(svc, "des", ["this is X"]), code=PAM_SUCCESS)
    b.check("9th char only", run_pam_loop(svc, "des", ["this is "]), code=PAM_SUCCESS)
    b.check("7 chars", run_pam_loop(svc, "des", ["this is"]), code=PAM_AUTH_ERR)
    b.verify()


def test_use_323_passwd_selects_old_password_hash(db, make_service):
    db.add_user("old", STORED["a-mysql323"])  # OLD_PASSWORD('secret')
    db.add_user("old-upper", "428567F408994404")
    db.add_user("new", STORED["a-mysql"])
    with323 = make_service(f"auth required {{module}} {db.pam_args(crypt=2, use_323_passwd=1)}")
    bare = make_service(f"auth required {{module}} {db.pam_args(crypt='mysql')} use_323_passwd")
    without = make_service(f"auth required {{module}} {db.pam_args(crypt=2)}")
    b = Batch()
    for name, svc in (("use_323_passwd=1", with323), ("bare use_323_passwd", bare)):
        b.check(f"{name} right", run_pam_loop(svc, "old", [PW_A]), code=PAM_SUCCESS)
        b.check(f"{name} right/pamtester", run_pamtester(svc, "old", [PW_A]), code=PAM_SUCCESS)
        b.check(f"{name} wrong", run_pam_loop(svc, "old", ["xecret"]), code=PAM_AUTH_ERR)
        # OLD_PASSWORD() skips blanks in the password.
        b.check(f"{name} blanks skipped", run_pam_loop(svc, "old", ["sec ret\t"]),
                code=PAM_SUCCESS)
        b.check(f"{name} uppercase hex", run_pam_loop(svc, "old-upper", [PW_A]),
                code=PAM_AUTH_ERR)
        b.check(f"{name} 4.1 hash", run_pam_loop(svc, "new", [PW_A]), code=PAM_AUTH_ERR)
    b.check("without: 323 hash", run_pam_loop(without, "old", [PW_A]), code=PAM_AUTH_ERR)
    b.check("without: 4.1 hash", run_pam_loop(without, "new", [PW_A]), code=PAM_SUCCESS)
    b.verify()


def test_hex_comparisons_are_case_sensitive(db, make_service):
    """Uppercase hex is rejected for crypt=3/4/8/9, lowercase for crypt=2."""
    by_label = {label: stored for _, label, stored, _ in VECTORS}
    cases = [
        (3, "md5-upper", by_label["a-md5"].upper()),
        (4, "sha1-upper", by_label["a-sha1"].upper()),
        (8, "sha512-upper", by_label["a-sha512"].upper()),
        (9, "sha256-upper", by_label["a-sha256"].upper()),
        (2, "mysql-lower", by_label["a-mysql"].lower()),
        (6, "joomla-upper", by_label["a-joomla"].split(":")[0].upper() + ":SALTsaltSALTsaltSALT"
         "saltSALTsalt"),
    ]
    b = Batch()
    for num, user, stored in cases:
        db.add_user(user, stored)
        db.add_user(user + "-as-is", by_label[{2: "a-mysql", 3: "a-md5", 4: "a-sha1", 6: "a-joomla",
                                                8: "a-sha512", 9: "a-sha256"}[num]])
        svc = make_service(f"auth required {{module}} {db.pam_args(crypt=num)}")
        b.check(f"crypt={num} {user}-as-is", run_pam_loop(svc, user + "-as-is", [PW_A]),
                code=PAM_SUCCESS)
        b.check(f"crypt={num} {user}", run_pam_loop(svc, user, [PW_A]), code=PAM_AUTH_ERR)
        b.check(f"crypt={num} {user}/pamtester", run_pamtester(svc, user, [PW_A]),
                code=PAM_AUTH_ERR)
    b.verify()


def test_drupal_updated_U_hash(module, db, make_service):
    # README difference "Drupal U$ hashes": pam_mysql compared without the `U`, never matched.
    db.add_user("drupal-u", STORED["a-drupal-U"])
    svc = make_service(f"auth required {{module}} {db.pam_args(crypt=5)}")
    b = Batch()
    b.check("right", run_pam_loop(svc, "drupal-u", [PW_A]),
            code=per_module(module, oracle=PAM_AUTH_ERR, ours=PAM_SUCCESS))
    b.check("right/pamtester", run_pamtester(svc, "drupal-u", [PW_A]),
            code=per_module(module, oracle=PAM_AUTH_ERR, ours=PAM_SUCCESS))
    b.check("wrong", run_pam_loop(svc, "drupal-u", ["xecret"]), code=PAM_AUTH_ERR)
    b.verify()


def test_nul_byte_in_stored_value(module, db, make_service):
    # README difference "Constant-time comparison": strcmp() stopped at the NUL, ours compares all bytes.
    db.add_user("nul-plain", b"sec\0ret")
    db.add_user("nul-md5", MD5_SECRET.encode() + b"\0junk")
    db.add_user("control-plain", "sec")
    db.add_user("control-md5", MD5_SECRET)
    plain = make_service(f"auth required {{module}} {db.pam_args(crypt=0)}")
    md5 = make_service(f"auth required {{module}} {db.pam_args(crypt=3)}")
    b = Batch()
    b.check("plain, typed part before NUL", run_pam_loop(plain, "nul-plain", ["sec"]),
            code=per_module(module, oracle=PAM_SUCCESS, ours=PAM_AUTH_ERR))
    b.check("plain, typed part before NUL/pamtester", run_pamtester(plain, "nul-plain", ["sec"]),
            code=per_module(module, oracle=PAM_SUCCESS, ours=PAM_AUTH_ERR))
    b.check("plain, typed everything", run_pam_loop(plain, "nul-plain", ["secret"]),
            code=PAM_AUTH_ERR)
    b.check("control plain", run_pam_loop(plain, "control-plain", ["sec"]), code=PAM_SUCCESS)
    b.check("control md5", run_pam_loop(md5, "control-md5", [PW_A]), code=PAM_SUCCESS)
    b.check("md5 + NUL junk", run_pam_loop(md5, "nul-md5", [PW_A]),
            code=per_module(module, oracle=PAM_SUCCESS, ours=PAM_AUTH_ERR))
    b.verify()


# ---- results of authenticate and acct_mgmt ----------------------------------


@pytest.fixture
def bob_service(db, standard_service):
    db.add_user("bob", PW_A)
    return standard_service(crypt=0)


def test_unknown_user_is_prompted_then_user_unknown(bob_service):
    # try_first_pass (default): the prompt still happens (pam_mysql 0.8.2's pam_sm_authenticate).
    b = Batch()
    no_result = [("SELECT returned no result.", LOG_ERR)]
    b.check("pam_loop", run_pam_loop(bob_service, "nobody", [PW_A]),
            code=PAM_USER_UNKNOWN, prompts=PROMPT, logged=no_result)
    b.check("pamtester", run_pamtester(bob_service, "nobody", [PW_A]),
            code=PAM_USER_UNKNOWN, prompted=True, logged=no_result)
    b.check("pam_loop acct", run_pam_loop(bob_service, "nobody", ops=("acct",)),
            code=PAM_USER_UNKNOWN, prompts=NO_PROMPT, logged=no_result)
    b.check("pamtester acct", run_pamtester(bob_service, "nobody", ops=("acct_mgmt",)),
            code=PAM_USER_UNKNOWN, prompted=False)
    b.verify()


def test_wrong_and_right_password(bob_service):
    b = Batch()
    b.check("pam_loop wrong", run_pam_loop(bob_service, "bob", ["Secret"]),
            code=PAM_AUTH_ERR, prompts=PROMPT)
    b.check("pamtester wrong", run_pamtester(bob_service, "bob", ["secre"]),
            code=PAM_AUTH_ERR, prompted=True)
    b.check("pam_loop right + acct", run_pam_loop(bob_service, "bob", [PW_A], ops=("auth", "acct")),
            codes=[PAM_SUCCESS, PAM_SUCCESS], prompts=PROMPT)
    b.check("pamtester right + acct",
            run_pamtester(bob_service, "bob", [PW_A], ops=("authenticate", "acct_mgmt")),
            codes=[PAM_SUCCESS, PAM_SUCCESS], prompted=True)
    b.verify()


def test_account_status_codes(db, make_service):
    """pam_mysql 0.8.2's pam_sm_acct_mgmt: bit 0 -> ACCT_EXPIRED, bit 1 -> AUTHTOK_EXPIRED or
    (NULL password) NEW_AUTHTOK_REQD, NULL status counts as 1, bit 2 is
    ignored, values are read like strtol()."""
    rows = [
        # user, status, password, expected
        ("s0", 0, "x", PAM_SUCCESS),
        ("s1", 1, "x", PAM_ACCT_EXPIRED),
        ("s2", 2, "x", PAM_AUTHTOK_EXPIRED),
        ("s2-nullpw", 2, None, PAM_NEW_AUTHTOK_REQD),
        ("s-null", None, "x", PAM_ACCT_EXPIRED),
        ("s3", 3, "x", PAM_ACCT_EXPIRED),
        ("s4", 4, "x", PAM_SUCCESS),
        ("s4-nullpw", 4, None, PAM_SUCCESS),
        ("s6", 6, "x", PAM_AUTHTOK_EXPIRED),
        ("s-1", -1, "x", PAM_ACCT_EXPIRED),
        ("s0-nullpw", 0, None, PAM_SUCCESS),
        ("s1-nullpw", 1, None, PAM_ACCT_EXPIRED),
    ]
    for user, status, pw, _ in rows:
        db.add_user(user, pw, status=status)
    svc = make_service(f"account required {{module}} {db.pam_args(statcolumn='status')}")
    b = Batch()
    for user, _, _, expected in rows:
        b.check(f"status {user}", run_pam_loop(svc, user, ops=("acct",)),
                code=expected, prompts=NO_PROMPT)
    for user in ("s2", "s2-nullpw"):
        expected = next(e for u, _, _, e in rows if u == user)
        b.check(f"status {user}/pamtester", run_pamtester(svc, user, ops=("acct_mgmt",)),
                code=expected, prompted=False)
    b.check("unknown user", run_pam_loop(svc, "nobody", ops=("acct",)), code=PAM_USER_UNKNOWN)
    b.verify()


def test_account_status_text_is_read_like_strtol(db, make_service):
    texts = [
        ("t-abc", "abc", PAM_SUCCESS),
        ("t-2x", "2x", PAM_AUTHTOK_EXPIRED),
        ("t-sp3", " 3", PAM_ACCT_EXPIRED),
        ("t-0x3", "0x3", PAM_SUCCESS),
        ("t-plus2", "+2", PAM_AUTHTOK_EXPIRED),
        ("t-empty", "", PAM_SUCCESS),
        ("t-null", None, PAM_ACCT_EXPIRED),
        ("t-huge", "99999999999999999999", PAM_ACCT_EXPIRED),
        ("t-neg2", "-2", PAM_AUTHTOK_EXPIRED),
        ("t-2.9", "2.9", PAM_AUTHTOK_EXPIRED),
    ]
    for user, text, _ in texts:
        db.add_user(user, "x", domain=text)
    svc = make_service(f"account required {{module}} {db.pam_args(statcolumn='domain')}")
    b = Batch()
    for user, text, expected in texts:
        b.check(f"status text {text!r}", run_pam_loop(svc, user, ops=("acct",)), code=expected)
    b.verify()


def test_account_status_expression_and_default(db, make_service):
    db.add_user("active", "x", active=1, status=3)
    db.add_user("inactive", "x", active=0)
    db.add_user("nullpw", None, status=3)
    expr = make_service(
        f"account required {{module}} {db.pam_args(statcolumn='IF(active=1,0,1)')}")
    spaced = make_service(
        f"account required {{module}} {db.pam_args(statcolumn='IF(active = 1, 0, 1)')}")
    default = make_service(f"account required {{module}} {db.pam_args()}")
    b = Batch()
    for name, svc in (("expr", expr), ("bracketed expr", spaced)):
        b.check(f"{name} active", run_pam_loop(svc, "active", ops=("acct",)), code=PAM_SUCCESS)
        b.check(f"{name} inactive", run_pam_loop(svc, "inactive", ops=("acct",)),
                code=PAM_ACCT_EXPIRED)
        b.check(f"{name} inactive/pamtester", run_pamtester(svc, "inactive", ops=("acct_mgmt",)),
                code=PAM_ACCT_EXPIRED)
    # Default statcolumn "0": every existing user is fine, status ignored.
    b.check("default, status 3", run_pam_loop(default, "active", ops=("acct",)), code=PAM_SUCCESS)
    b.check("default, NULL password", run_pam_loop(default, "nullpw", ops=("acct",)),
            code=PAM_SUCCESS)
    b.check("default, unknown", run_pam_loop(default, "nobody", ops=("acct",)),
            code=PAM_USER_UNKNOWN)
    b.verify()


@pytest.mark.parametrize("nullok", [None, "0", "1", ""], ids=["no-nullok", "nullok=0",
                                                              "nullok=1", "bare-nullok"])
def test_nullok_and_disallow_null_authtok_matrix(module, db, make_service, nullok):
    """pam_mysql 0.8.2's pam_sm_authenticate: a NULL stored password accepts any password only
    with a true nullok and without PAM_DISALLOW_NULL_AUTHTOK; an empty stored
    password with crypt=0 accepts an empty answer in every combination in
    pam_mysql, and only under the same condition in ours."""
    db.add_user("nullpw", None)
    db.add_user("emptypw", "")
    db.add_user("emptymd5", "")
    opt = "" if nullok is None else ("nullok" if nullok == "" else f"nullok={nullok}")
    svc = make_service(f"auth required {{module}} {db.pam_args(crypt=0)} {opt}",
                       f"account required {{module}} {db.pam_args(crypt=0)} {opt}")
    md5 = make_service(f"auth required {{module}} {db.pam_args(crypt=3)} {opt}")
    nullok_on = nullok in ("1", "")
    b = Batch()
    for flags in ((), ("disallow_null",)):
        accepts_null = nullok_on and not flags
        expected = PAM_SUCCESS if accepts_null else PAM_AUTH_ERR
        # README difference "Prompt before querying": pam_mysql's first pass (no token) already
        # succeeds for a NULL password with nullok, so it never prompts; ours
        # prompts first.  Either way the typed answer is irrelevant.
        prompts = per_module(module, oracle=NO_PROMPT, ours=PROMPT) if accepts_null else PROMPT
        for answer in ("anything", ""):
            b.check(f"NULL stored, {answer!r}, {flags}",
                    run_pam_loop(svc, "nullpw", [answer], flags=flags),
                    code=expected, prompts=prompts)
        b.check(f"NULL stored, pamtester, {flags}",
                run_pamtester(svc, "nullpw", ["anything"], flags=flags), code=expected)
        # README difference "Empty stored password": an empty stored password is refused like a NULL one unless
        # nullok allows it (pam_mysql accepted an empty answer in every combination).
        empty_ok = per_module(module, oracle=PAM_SUCCESS, ours=expected)
        b.check(f"empty stored+typed, {flags}", run_pam_loop(svc, "emptypw", [""], flags=flags),
                code=empty_ok, prompts=PROMPT)
        b.check(f"empty stored+typed, pamtester, {flags}",
                run_pamtester(svc, "emptypw", [""], flags=flags), code=empty_ok)
        b.check(f"empty stored, typed x, {flags}", run_pam_loop(svc, "emptypw", ["x"], flags=flags),
                code=PAM_AUTH_ERR)
        b.check(f"empty stored crypt=3, {flags}", run_pam_loop(md5, "emptymd5", [""], flags=flags),
                code=PAM_AUTH_ERR)
        # acct_mgmt does not look at nullok: NULL password with status 0 is fine.
        b.check(f"acct NULL stored, {flags}",
                run_pam_loop(svc, "nullpw", ops=("acct",), flags=flags), code=PAM_SUCCESS)
    b.verify()


def test_row_counts(module, db, make_service):
    db.add_user("two", "first", status=1)
    db.add_user("two", "second", status=0)
    db.add_user("three", "first", status=1)
    db.add_user("three", "second", status=0)
    db.add_user("three", "third", status=0)
    args = db.pam_args(crypt=0, statcolumn="status")
    svc = make_service(f"auth required {{module}} {args}", f"account required {{module}} {args}")
    indetermined = [("SELECT returned an indetermined result.", LOG_ERR)]
    b = Batch()
    # Exactly two rows: PAM_SERVICE_ERR on both.
    for pw in ("first", "second"):
        b.check(f"2 rows, {pw}", run_pam_loop(svc, "two", [pw]), code=PAM_SERVICE_ERR,
                logged=indetermined)
        b.check(f"2 rows, {pw}/pamtester", run_pamtester(svc, "two", [pw]), code=PAM_SERVICE_ERR)
    b.check("2 rows, acct", run_pam_loop(svc, "two", ops=("acct",)), code=PAM_SERVICE_ERR,
            logged=indetermined)
    # Three rows. README difference "Duplicate rows": pam_mysql used the first row.
    b.check("3 rows, first row's password", run_pam_loop(svc, "three", ["first"]),
            code=per_module(module, oracle=PAM_SUCCESS, ours=PAM_SERVICE_ERR))
    b.check("3 rows, second row's password", run_pam_loop(svc, "three", ["second"]),
            code=per_module(module, oracle=PAM_AUTH_ERR, ours=PAM_SERVICE_ERR))
    b.check("3 rows, acct (first row status 1)", run_pam_loop(svc, "three", ops=("acct",)),
            code=per_module(module, oracle=PAM_ACCT_EXPIRED, ours=PAM_SERVICE_ERR))
    b.verify()


# ---- user names -------------------------------------------------------------

AWKWARD_NAMES = [
    "o'brien",
    'dq"uote',
    "back\\slash",
    "o'brien\\\" x",
    "100%",
    "a_c",
    "abc",
    "jürgen@exämple.org",
    "user@domain.example",
    "tab\tname",
    "x' OR '1'='1' -- ",
]
LONG_NAME = "L" * 290  # over 255 characters; the column holds 300


def test_awkward_user_names_match_exactly_themselves(db, make_service):
    names = AWKWARD_NAMES + [LONG_NAME]
    for i, name in enumerate(names):
        db.add_user(name, f"pw{i}")
    svc = make_service(f"auth required {{module}} {db.pam_args(crypt=0)}",
                       f"account required {{module}} {db.pam_args(crypt=0)}")
    b = Batch()
    for i, name in enumerate(names):
        b.check(f"{name[:40]!r} right", run_pam_loop(svc, name, [f"pw{i}"], ops=("auth", "acct")),
                codes=[PAM_SUCCESS, PAM_SUCCESS])
        b.check(f"{name[:40]!r} wrong", run_pam_loop(svc, name, [f"pw{i + 1}"]),
                code=PAM_AUTH_ERR)
        if name != LONG_NAME:
            b.check(f"{name!r} right/pamtester", run_pamtester(svc, name, [f"pw{i}"]),
                    code=PAM_SUCCESS)
    b.verify()


def test_wildcards_and_sql_metacharacters_are_not_interpreted(db, make_service):
    for name in ("abc", "alice", "100%", "a_c"):
        db.add_user(name, "pw")
    db.add_user("x", "pw")
    db.add_user(LONG_NAME, "pw")
    svc = make_service(f"auth required {{module}} {db.pam_args(crypt=0)}",
                       f"account required {{module}} {db.pam_args(crypt=0)}")
    b = Batch()
    for name in ["a%", "%", "_", "_bc", "ab_", "a_", "%%", "100_", "1%",
                 "x' OR '1'='1", "\\'; DROP TABLE users; --", "x'; DROP TABLE users; --",
                 "x\\", "x\\'", "' OR 1=1 #", "alice' -- ", "\\\\",
                 LONG_NAME[:-1] + "%", LONG_NAME + "x"]:
        b.check(f"{name[:40]!r} auth", run_pam_loop(svc, name, ["pw"]), code=PAM_USER_UNKNOWN,
                prompts=PROMPT)
        b.check(f"{name[:40]!r} acct", run_pam_loop(svc, name, ops=("acct",)),
                code=PAM_USER_UNKNOWN)
    for name in ("x' OR '1'='1", "\\'; DROP TABLE users; --"):
        b.check(f"{name!r} pamtester", run_pamtester(svc, name, ["pw"]), code=PAM_USER_UNKNOWN)
    # `a_c` exists, `abc` exists; each finds only itself (passwords differ).
    db.sql("UPDATE users SET password = 'pw-abc' WHERE BINARY username = 'abc'")
    b.check("a_c is not abc", run_pam_loop(svc, "a_c", ["pw-abc"]), code=PAM_AUTH_ERR)
    b.check("a_c itself", run_pam_loop(svc, "a_c", ["pw"]), code=PAM_SUCCESS)
    b.verify()
    assert db.sql("SELECT COUNT(*) FROM users") == [["6"]], "users table was modified"


def test_collation_case_and_trailing_space(db, make_service):
    """MariaDB's default collation (utf8mb4_general_ci, PAD SPACE): case,
    accents and trailing spaces do not matter; leading blanks and trailing
    tabs do.  PAM_USER keeps the spelling that was typed."""
    db.add_user("alice", "pw-alice")
    db.add_user("jürgen@exämple.org", "pw-j")
    svc = make_service(f"auth required {{module}} {db.pam_args(crypt=0)}",
                       f"account required {{module}} {db.pam_args(crypt=0)}")
    b = Batch()
    for typed, pw in [("ALICE", "pw-alice"), ("alice ", "pw-alice"), ("Alice   ", "pw-alice"),
                      ("ålice", "pw-alice"), ("JÜRGEN@EXÄMPLE.ORG", "pw-j"),
                      ("jurgen@example.org", "pw-j")]:
        r = run_pam_loop(svc, typed, [pw], ops=("auth", "acct"))
        b.check(f"{typed!r}", r, codes=[PAM_SUCCESS, PAM_SUCCESS])
        if r.user != typed:
            b.fail(f"{typed!r}", f"PAM_USER changed to {r.user!r}")
        b.check(f"{typed!r} wrong", run_pam_loop(svc, typed, ["nope"]), code=PAM_AUTH_ERR)
    b.check("ALICE pamtester", run_pamtester(svc, "ALICE", ["pw-alice"]), code=PAM_SUCCESS)
    b.check("'alice ' pamtester", run_pamtester(svc, "alice ", ["pw-alice"]), code=PAM_SUCCESS)
    for typed in (" alice", "alice\t", "alic", "alice_"):
        b.check(f"{typed!r} unknown", run_pam_loop(svc, typed, ["pw-alice"]),
                code=PAM_USER_UNKNOWN)
    b.verify()


def test_empty_and_non_utf8_user_names_are_unknown(db, make_service):
    db.add_user("bob", "pw")
    svc = make_service(f"auth required {{module}} {db.pam_args(crypt=0)}")
    b = Batch()
    b.check("empty name", run_pam_loop(svc, "", ["pw"]), code=PAM_USER_UNKNOWN, prompts=PROMPT)
    b.check("invalid UTF-8", run_pam_loop(svc, b"\xff\xfebob", ["pw"]), code=PAM_USER_UNKNOWN)
    b.check("latin-1 bytes", run_pam_loop(svc, b"j\xfcrgen", ["pw"]), code=PAM_USER_UNKNOWN)
    b.verify()


def test_no_user_prompts_login_first(bob_service):
    b = Batch()
    b.check("login prompt", run_pam_loop(bob_service, None, ["bob", PW_A]), code=PAM_SUCCESS,
            prompts=[(PAM_PROMPT_ECHO_ON, "login:"), (PAM_PROMPT_ECHO_OFF, "Password:")])
    b.verify()


# ---- tokens of earlier modules, prompts, conversation -----------------------


def _first_pass_service(db, make_service, option: str):
    return make_service("auth required {preset}",
                        f"auth required {{module}} {db.pam_args(crypt=3)} {option}")


@pytest.mark.parametrize("option", ["", "try_first_pass", "try_first_pass=1"])
def test_try_first_pass_with_token_of_earlier_module(db, make_service, option):
    db.add_user("bob", MD5_SECRET)
    svc = _first_pass_service(db, make_service, option)
    b = Batch()
    b.check("right token", run_pam_loop(svc, "bob", authtok=PW_A), code=PAM_SUCCESS,
            prompts=NO_PROMPT)
    b.check("right token/pamtester", run_pamtester(svc, "bob", [], authtok=PW_A),
            code=PAM_SUCCESS, prompted=False)
    b.check("wrong token, right answer", run_pam_loop(svc, "bob", [PW_A], authtok="wrong"),
            code=PAM_SUCCESS, prompts=PROMPT)
    b.check("wrong token, wrong answer", run_pam_loop(svc, "bob", ["wrong2"], authtok="wrong"),
            code=PAM_AUTH_ERR, prompts=PROMPT)
    b.check("wrong token, answer/pamtester", run_pamtester(svc, "bob", [PW_A], authtok="wrong"),
            code=PAM_SUCCESS, prompted=True)
    b.check("unknown user with token", run_pam_loop(svc, "nobody", [PW_A], authtok=PW_A),
            code=PAM_USER_UNKNOWN, prompts=PROMPT)
    b.check("empty token, right answer", run_pam_loop(svc, "bob", [PW_A], authtok=""),
            code=PAM_SUCCESS, prompts=PROMPT)
    b.verify()


@pytest.mark.parametrize("option", ["use_first_pass", "use_first_pass=1",
                                    "use_first_pass try_first_pass"])
def test_use_first_pass_never_prompts(db, make_service, option):
    db.add_user("bob", MD5_SECRET)
    svc = _first_pass_service(db, make_service, option)
    b = Batch()
    b.check("right token", run_pam_loop(svc, "bob", [PW_A], authtok=PW_A), code=PAM_SUCCESS,
            prompts=NO_PROMPT)
    b.check("wrong token", run_pam_loop(svc, "bob", [PW_A], authtok="wrong"), code=PAM_AUTH_ERR,
            prompts=NO_PROMPT)
    b.check("wrong token/pamtester", run_pamtester(svc, "bob", [PW_A], authtok="wrong"),
            code=PAM_AUTH_ERR, prompted=False)
    b.check("no token, known user", run_pam_loop(svc, "bob", [PW_A]), code=PAM_AUTH_ERR,
            prompts=NO_PROMPT)
    b.check("no token, known user/pamtester", run_pamtester(svc, "bob", [PW_A]),
            code=PAM_AUTH_ERR, prompted=False)
    b.check("no token, unknown user", run_pam_loop(svc, "nobody", [PW_A]),
            code=PAM_USER_UNKNOWN, prompts=NO_PROMPT)
    b.check("token, unknown user", run_pam_loop(svc, "nobody", [PW_A], authtok=PW_A),
            code=PAM_USER_UNKNOWN, prompts=NO_PROMPT)
    b.verify()


def test_typed_password_is_stored_for_later_modules(db, make_service):
    """The answer becomes PAM_AUTHTOK, before the lookup: a later
    use_first_pass line gets it even when this line failed."""
    db.add_user("bob", MD5_SECRET)
    args = db.pam_args(crypt=3)
    chained = make_service(f"auth required {{module}} {args}",
                           f"auth required {{module}} {args} use_first_pass")
    # The first line cannot find the user (where), the second (options are
    # sticky, `where` overridden) uses the stored answer.
    first_fails = make_service(f"auth optional {{module}} {args} where=active=0",
                               f"auth required {{module}} where=active=1 use_first_pass")
    b = Batch()
    b.check("chained right", run_pam_loop(chained, "bob", [PW_A]), code=PAM_SUCCESS,
            prompts=PROMPT)
    b.check("chained right/pamtester", run_pamtester(chained, "bob", [PW_A]), code=PAM_SUCCESS)
    b.check("chained wrong", run_pam_loop(chained, "bob", ["wrong"]), code=PAM_AUTH_ERR,
            prompts=PROMPT)
    b.check("first line fails", run_pam_loop(first_fails, "bob", [PW_A]), code=PAM_SUCCESS,
            prompts=PROMPT)
    b.check("first line fails, wrong", run_pam_loop(first_fails, "bob", ["wrong"]),
            code=PAM_AUTH_ERR, prompts=PROMPT)
    b.verify()


def test_prompt_text_and_style(bob_service):
    b = Batch()
    b.check("pam_loop", run_pam_loop(bob_service, "bob", [PW_A]), code=PAM_SUCCESS,
            prompts=[(PAM_PROMPT_ECHO_OFF, "Password:")])
    r = run_pamtester(bob_service, "bob", [PW_A])
    b.check("pamtester", r, code=PAM_SUCCESS, prompted=True)
    if not r.stderr.startswith("Password:"):
        b.fail("pamtester", f"stderr does not start with the prompt: {r.stderr!r}")
    b.check("silent", run_pam_loop(bob_service, "bob", [PW_A], flags=("silent",)),
            code=PAM_SUCCESS, prompts=PROMPT)
    b.verify()


def test_null_answer_and_conversation_error(db, bob_service):
    b = Batch()
    b.check("NULL answer", run_pam_loop(bob_service, "bob", [None]), code=PAM_AUTH_ERR,
            prompts=PROMPT)
    b.check("no answer left", run_pam_loop(bob_service, "bob", []), code=PAM_AUTH_ERR)
    b.check("pamtester EOF", run_pamtester(bob_service, "bob", []), code=PAM_AUTH_ERR)
    b.check("conversation error", run_pam_loop(bob_service, "bob", conv_error_when_exhausted=True),
            code=PAM_SERVICE_ERR, prompts=PROMPT)
    b.check("conversation error, unknown user",
            run_pam_loop(bob_service, "nobody", conv_error_when_exhausted=True),
            code=PAM_SERVICE_ERR, prompts=PROMPT)
    b.check("NULL answer, unknown user", run_pam_loop(bob_service, "nobody", [None]),
            code=PAM_AUTH_ERR)
    b.verify()


def test_failed_lookup_decides_even_without_an_answer(module, db, make_service):
    """pam_mysql looks the user up before it prompts (first pass without a
    token): a database failure, an SQL error, two rows or a NULL password
    with nullok decide the result, whatever the conversation then does.
    README difference "Prompt before querying" only promises the same results with an earlier
    prompt; the prompt itself is the documented difference."""
    db.add_user("bob", PW_A)
    db.add_user("dup", "a")
    db.add_user("dup", "b")
    db.add_user("nullpw", None)
    down = make_service(f"auth required {{module}} {db.pam_args(crypt=0, host='127.0.0.1:1')}")
    badsql = make_service(f"auth required {{module}} {db.pam_args(crypt=0, table='nosuch')}")
    plain = make_service(f"auth required {{module}} {db.pam_args(crypt=0)} nullok")
    prompts = per_module(module, oracle=NO_PROMPT, ours=PROMPT)  # difference "Prompt before querying"
    b = Batch()
    for how, kw in (("NULL answer", dict(answers=[None])),
                    ("conversation error", dict(conv_error_when_exhausted=True))):
        b.check(f"server unreachable, {how}", run_pam_loop(down, "bob", **kw),
                code=PAM_AUTHINFO_UNAVAIL, prompts=prompts)
        b.check(f"SQL error, {how}", run_pam_loop(badsql, "bob", **kw),
                code=PAM_SERVICE_ERR, prompts=prompts)
        b.check(f"two rows, {how}", run_pam_loop(plain, "dup", **kw),
                code=PAM_SERVICE_ERR, prompts=prompts)
        b.check(f"NULL password + nullok, {how}", run_pam_loop(plain, "nullpw", **kw),
                code=PAM_SUCCESS, prompts=prompts)
    # With an answer the results agree (the case difference "Prompt before querying" describes).
    b.check("server unreachable, answered", run_pam_loop(down, "bob", [PW_A]),
            code=PAM_AUTHINFO_UNAVAIL, prompts=prompts)
    b.check("SQL error, answered", run_pam_loop(badsql, "bob", [PW_A]),
            code=PAM_SERVICE_ERR, prompts=prompts)
    b.verify()


def test_lookup_failure_with_a_token_returns_without_prompt(db, make_service):
    """With a token from an earlier module both modules query first: a
    database or SQL failure, or two rows, ends the call without a prompt."""
    db.add_user("bob", PW_A)
    db.add_user("dup", "a")
    db.add_user("dup", "b")
    down = make_service("auth required {preset}",
                        f"auth required {{module}} {db.pam_args(crypt=0, host='127.0.0.1:1')}")
    badsql = make_service("auth required {preset}",
                          f"auth required {{module}} {db.pam_args(crypt=0, passwdcolumn='nosuch')}")
    plain = make_service("auth required {preset}",
                         f"auth required {{module}} {db.pam_args(crypt=0)}")
    b = Batch()
    for token in (PW_A, "wrong"):
        b.check(f"unreachable, token {token}", run_pam_loop(down, "bob", [PW_A], authtok=token),
                code=PAM_AUTHINFO_UNAVAIL, prompts=NO_PROMPT)
        b.check(f"SQL error, token {token}", run_pam_loop(badsql, "bob", [PW_A], authtok=token),
                code=PAM_SERVICE_ERR, prompts=NO_PROMPT)
    b.check("two rows, token", run_pam_loop(plain, "dup", ["a"], authtok="a"),
            code=PAM_SERVICE_ERR, prompts=NO_PROMPT)
    b.check("control", run_pam_loop(plain, "bob", [PW_A], authtok=PW_A), code=PAM_SUCCESS,
            prompts=NO_PROMPT)
    b.verify()


def test_crypt1_failure_tokens_and_empty_value_never_match(db, make_service):
    # libxcrypt returns "*0"/"*1" for an unusable setting; neither a stored
    # failure token nor an empty value may ever match.
    for user, stored in (("star0", "*0"), ("star1", "*1"), ("empty", ""), ("junk", "!!")):
        db.add_user(user, stored)
    db.add_user("control", STORED["a-des"])
    svc = make_service(f"auth required {{module}} {db.pam_args(crypt=1)}")
    b = Batch()
    for user in ("star0", "star1", "empty", "junk"):
        for typed in (PW_A, "", "*0", "*1"):
            b.check(f"{user} typed {typed!r}", run_pam_loop(svc, user, [typed]), code=PAM_AUTH_ERR)
    b.check("control", run_pam_loop(svc, "control", [PW_A]), code=PAM_SUCCESS)
    b.verify()
