"""Hostile or broken input: password lengths, NUL and non-UTF-8 bytes, broken
stored values, control characters in options, broken config files.

Our module must answer with a clean PAM code (never a crash, never a hang,
never a false success) and name the defect in its log.  Where the C module
survives the same input it runs too; where it crashes (README differences
1-5, and the crashes reproduced against Debian's pam_mysql 0.8.2) the test asserts that crash and our clean answer.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import warnings

import pytest

import broken_config as bc
import pamharness as ph
from pamharness import (
    per_module,
    LOG_ERR,
    LOG_NOTICE,
    LOG_WARNING,
    PAM_ACCT_EXPIRED,
    PAM_PERM_DENIED,
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
    import crypt as _crypt  # Python 3.11: deprecated, still present

SALT6 = "$6$pmTestSalt$"


def sha512_crypt(pw: bytes) -> str:
    out = _crypt.crypt(pw.decode("latin-1"), SALT6)
    assert out and out.startswith(SALT6), f"libxcrypt refused a {len(pw)}-byte password"
    return out


def mysql_password(pw: bytes) -> str:
    return "*" + hashlib.sha1(hashlib.sha1(pw).digest()).hexdigest().upper()


def stored_for(crypt: int, pw: bytes) -> bytes | str:
    if crypt == 0:
        return pw
    if crypt == 1:
        return sha512_crypt(pw)
    if crypt == 2:
        return mysql_password(pw)
    if crypt == 3:
        return hashlib.md5(pw).hexdigest()
    raise ValueError(crypt)


def password(n: int) -> bytes:
    # Printable, no spaces or tabs (OLD_PASSWORD skips those), distinct per length.
    return (b"Lq7-x9Z!" * (n // 8 + 1))[:n]


def clean(r: ph.Result) -> bool:
    return r.signal is None and not r.timed_out and r.rc in (0, 1)


def err_lines(r: ph.Result) -> list[str]:
    return [m for p, m in r.log if p == LOG_ERR]


@pytest.fixture
def svc(pam_service_factory, db):
    """svc(module, **options) -> service: preset line, then auth and account lines."""

    def make(module, **options):
        options.setdefault("crypt", 0)
        args = db.pam_args(**options)
        return pam_service_factory(
            module,
            ["auth required {preset}", f"auth required {{module}} {args}",
             f"account required {{module}} {args}"],
        )

    return make


# --- password lengths ---------------------------------------------------------


# libxcrypt hashes at most 511 bytes, so crypt=1 stops there (see the
# 512-byte crypt=1 test below).
LENGTH_CASES = [(c, n) for c in (0, 1, 2, 3) for n in (0, 1, 57, 511, 512) if (c, n) != (1, 512)]


@pytest.mark.parametrize("crypt,length", LENGTH_CASES, ids=[f"crypt{c}-{n}" for c, n in LENGTH_CASES])
def test_password_up_to_512_bytes_verifies(module, svc, db, crypt, length):
    pw = password(length)
    db.add_user("len", stored_for(crypt, pw))
    service = svc(module, crypt=crypt)
    ok = run_pam_loop(service, "len", answers=[pw])
    if module.kind == "oracle" and crypt == 2 and length >= 58:
        assert ok.crashed, ok.describe()  # README difference "Long crypt=2 passwords"
        return
    if crypt == 0 and length == 0:
        # README difference "Empty stored password": an empty stored password is refused without nullok.
        assert ok.code == per_module(module, oracle=PAM_SUCCESS, ours=PAM_AUTH_ERR), ok.describe()
        return
    assert ok.code == PAM_SUCCESS and clean(ok), ok.describe()
    bad = run_pam_loop(service, "len", answers=[pw[:-1] + b"#" if pw else b"#"])
    assert bad.code == PAM_AUTH_ERR and clean(bad), bad.describe()
    if length:
        tok = run_pam_loop(service, "len", authtok=pw)
        assert tok.code == PAM_SUCCESS and tok.prompts == [], tok.describe()


def test_ssha_salt_longer_than_ten_bytes_verifies_where_the_c_module_aborts(module, svc, db):
    # README difference "Long SSHA salts": pam_mysql overflowed a buffer on salts over 10 bytes; LDAP tools make them.
    db.add_user("longsalt", SSHA_LONG_SALT)
    service = svc(module, crypt=7)
    right = run_pam_loop(service, "longsalt", answers=[b"secret"])
    if module.kind == "oracle":
        assert right.crashed, right.describe()
        return
    assert right.code == PAM_SUCCESS and clean(right), right.describe()
    wrong = run_pam_loop(service, "longsalt", answers=[b"secreT"])
    assert wrong.code == PAM_AUTH_ERR and clean(wrong), wrong.describe()


@pytest.mark.parametrize("crypt", [0, 2, 3])
def test_512_byte_password_verifies_through_preset_authtok(our_module, svc, db, crypt):
    pw = password(512)
    db.add_user("len", stored_for(crypt, pw))
    r = run_pam_loop(svc(our_module, crypt=crypt), "len", authtok=pw)
    assert r.code == PAM_SUCCESS and r.prompts == [], r.describe()


def test_512_byte_password_with_crypt1_is_not_blamed_on_a_valid_stored_hash(our_module, svc, db):
    # libxcrypt takes at most 511 bytes (CRYPT_MAX_PASSPHRASE_SIZE counts the
    # NUL), so a 512-byte password cannot match; that is the password's fault,
    # not a "malformed stored value" worth a LOG_ERR about the database.
    db.add_user("len", sha512_crypt(password(511)))
    r = run_pam_loop(svc(our_module, crypt=1), "len", answers=[password(512)])
    assert r.code == PAM_AUTH_ERR and clean(r), r.describe()
    blamed = [m for m in err_lines(r) if "stored password" in m or "not a valid" in m]
    assert blamed == [], r.describe()


@pytest.mark.parametrize("crypt", [0, 1, 2, 3])
@pytest.mark.parametrize("length", [513, 100_000])
def test_password_over_512_bytes_is_refused_before_hashing(module, svc, db, crypt, length):
    pw = password(length)
    # The stored value is what a naive module would accept for this password.
    stored = SALT6 + "x" * 86 if crypt == 1 else stored_for(crypt, pw)
    db.add_user("long", stored)
    service = svc(module, crypt=crypt)
    for kw in ({"answers": [pw]}, {"authtok": pw}):
        r = run_pam_loop(service, "long", timeout=20, **kw)
        if module.kind == "oracle":
            if crypt == 2:
                assert r.crashed, r.describe()  # README difference "Long crypt=2 passwords"
            else:
                assert clean(r), r.describe()
            continue
        assert r.code == PAM_AUTH_ERR and clean(r), (kw.keys(), r.describe())
        notices = [m for p, m in r.log if p == LOG_NOTICE and "512" in m]
        assert notices, r.describe()
        assert r.elapsed < 5, r.describe()


@pytest.mark.parametrize("length", [58, 100])
def test_crypt2_long_password_aborts_c_but_verifies_in_ours(module, svc, db, length):
    pw = password(length)
    db.add_user("m", mysql_password(pw))
    db.add_user("m-other", mysql_password(b"something else"))
    service = svc(module, crypt=2)
    right = run_pam_loop(service, "m", answers=[pw])
    other = run_pam_loop(service, "m-other", answers=[pw])
    if module.kind == "oracle":
        assert right.crashed and other.crashed, (right.describe(), other.describe())
        return
    assert right.code == PAM_SUCCESS and clean(right), right.describe()
    assert other.code == PAM_AUTH_ERR and clean(other), other.describe()


# --- NUL and non-UTF-8 bytes -------------------------------------------------


def test_nul_in_typed_password_is_cut_by_libpam(module, svc, db):
    db.add_user("nul", "abc")
    service = svc(module)
    prefix_ok = run_pam_loop(service, "nul", answers=[b"abc"])
    with_nul = run_pam_loop(service, "nul", answers=[b"abc\x00def"])
    assert prefix_ok.code == with_nul.code == PAM_SUCCESS, with_nul.describe()
    prefix_bad = run_pam_loop(service, "nul", answers=[b"ab"])
    bad_with_nul = run_pam_loop(service, "nul", answers=[b"ab\x00c"])
    assert prefix_bad.code == bad_with_nul.code == PAM_AUTH_ERR, bad_with_nul.describe()
    tok = run_pam_loop(service, "nul", authtok=b"abc\x00zzz")
    assert tok.code == PAM_SUCCESS and clean(tok), tok.describe()


def test_stored_value_with_nul_does_not_match_its_prefix(module, svc, db):
    # README difference "Constant-time comparison": pam_mysql's strcmp stopped at the NUL.
    db.add_user("snul", b"abc\x00def")
    db.add_user("snul3", hashlib.md5(b"abc").hexdigest().encode() + b"\x00junk")
    r0 = run_pam_loop(svc(module, crypt=0), "snul", answers=[b"abc"])
    r3 = run_pam_loop(svc(module, crypt=3), "snul3", answers=[b"abc"])
    assert clean(r0) and clean(r3)
    if module.kind == "oracle":
        assert r0.code == r3.code == PAM_SUCCESS, (r0.describe(), r3.describe())
    else:
        assert r0.code == r3.code == PAM_AUTH_ERR, (r0.describe(), r3.describe())


@pytest.mark.parametrize("crypt", [0, 3])
def test_non_utf8_password_bytes_are_compared_exactly(module, svc, db, crypt):
    pw = b"\xff\xfe-pw\x80"
    db.add_user("bin", stored_for(crypt, pw))
    service = svc(module, crypt=crypt)
    assert run_pam_loop(service, "bin", answers=[pw]).code == PAM_SUCCESS
    assert run_pam_loop(service, "bin", authtok=pw).code == PAM_SUCCESS
    for other in (b"\xff\xfd-pw\x80", b"\xff\xfe-pw", "\u00ff\u00fe-pw\u0080".encode(), b"?-pw"):
        r = run_pam_loop(service, "bin", answers=[other])
        assert r.code == PAM_AUTH_ERR and clean(r), (other, r.describe())


@pytest.mark.parametrize("name", [b"\xff\xfe", b"bob\xc3", b"alice\xff", b"\xc0\xaf", b"x\x1b[31m"])
def test_non_utf8_or_control_user_name_is_unknown_never_a_crash(module, svc, db, name):
    db.add_user("bob", "pw")
    db.add_user("alice", "pw")
    service = svc(module)
    r = run_pam_loop(service, name, answers=[b"pw"], ops=("auth", "acct"))
    assert clean(r), r.describe()
    assert PAM_SUCCESS not in r.codes, r.describe()
    assert set(r.codes) <= {PAM_USER_UNKNOWN, PAM_SERVICE_ERR, PAM_AUTHINFO_UNAVAIL}, r.describe()
    if module.kind == "ours":
        assert r.codes == [PAM_USER_UNKNOWN, PAM_USER_UNKNOWN], r.describe()
        # A name is logged escaped: no raw control or invalid bytes.
        for m in r.messages:
            assert "\x1b" not in m and "\udcff" not in m and "\udcc3" not in m, m


# --- broken stored values -------------------------------------------------------

SSHA_LONG_SALT = base64.b64encode(
    hashlib.sha1(b"secret" + b"S" * 40).digest() + b"S" * 40
).decode()  # a correct value for "secret", with a 40-byte salt

# (id, crypt, stored, regex the LOG_ERR line must match, C behaviour)
# C behaviour: "clean" (runs, no crash), "crash" (aborts), None (not run: it
# would spend minutes of CPU).
MALFORMED = [
    ("sha512crypt-truncated", 1, "$6$saltsalt$TVLlQcbp", r"crypt=1", "clean"),
    ("sha512crypt-rounds-999999999", 1,
     "$6$rounds=999999999$saltsalt$" + "T" * 86, r"rounds", None),
    ("bcrypt-cost-31", 1, "$2y$31$" + "a" * 53, r"cost", None),
    ("mysql-truncated", 2, "*14E65567ABDB", r"crypt=2", "clean"),
    ("mysql-not-hex", 2, "*14E65567ABDB5135D0CFD9A70B3032C179A49EZZ", r"hex", "clean"),
    ("md5-truncated", 3, "5ebe2294ecd0e0f08eab7690d2a6ee6", r"characters|hex", "clean"),
    ("md5-not-hex", 3, "zz" + "0" * 30, r"hex", "clean"),
    ("sha1-not-hex", 4, "z" * 40, r"hex", "clean"),
    ("drupal-count-z", 5, "$S$z" + "a" * 51, r"iteration", "clean"),
    ("drupal-truncated", 5, "$S$D" + "a" * 10, r"crypt=5", "clean"),
    ("joomla-no-colon", 6, "6bf3889c770c47bc30110df5b371ac2cFtzH9dNdQZ", r"HASH:SALT|format", "clean"),
    ("joomla-not-hex", 6, "zzf3889c770c47bc30110df5b371ac2c:salt", r"hex", "clean"),
    ("ssha-prefix", 7, "{SSHA}" + base64.b64encode(b"x" * 24).decode(), r"base64|SSHA", "crash"),
    ("ssha-not-base64", 7, "!!!notbase64!!!", r"base64", "crash"),
    ("ssha-too-short", 7, "c2hvcnQ=", r"short|SSHA", "clean"),
    ("sha512-truncated", 8, "ab" * 63, r"characters|hex", "clean"),
    ("sha512-not-hex", 8, "x" * 128, r"hex", "clean"),
    ("sha256-not-hex", 9, "gg" * 32, r"hex", "clean"),
    ("plain-1MB", 0, "p" * 1_000_000, r"4096", "clean"),
    ("md5-1MB", 3, "a" * 1_000_000, r"4096", "clean"),
]


@pytest.mark.parametrize(
    "crypt,stored,c_behaviour",
    [(m[1], m[2], m[4]) for m in MALFORMED if m[4]], ids=[m[0] for m in MALFORMED if m[4]],
)
def test_malformed_stored_value_in_c_module_crashes_or_fails(oracle_module, svc, db, crypt, stored, c_behaviour):
    db.add_user("mal", stored)
    r = run_pam_loop(svc(oracle_module, crypt=crypt), "mal", answers=[b"secret"], timeout=30)
    if c_behaviour == "crash":
        assert r.crashed, r.describe()  # README difference "Long SSHA salts"
    else:
        assert r.code == PAM_AUTH_ERR and clean(r), r.describe()


@pytest.mark.parametrize(
    "crypt,stored,defect", [m[1:4] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_malformed_stored_value_fails_fast_with_one_error_line(our_module, svc, db, crypt, stored, defect):
    db.add_user("mal", stored)
    r = run_pam_loop(svc(our_module, crypt=crypt), "mal", answers=[b"secret"], timeout=30)
    assert r.code == PAM_AUTH_ERR and clean(r), r.describe()
    assert r.elapsed < 5, r.describe()
    errors = err_lines(r)
    assert len(errors) == 1, r.describe()
    assert f"crypt={crypt}" in errors[0] and re.search(defect, errors[0]), r.describe()
    # The line names the defect, never the value.
    assert stored[:12] not in errors[0] or len(stored) < 12, errors[0]


@pytest.mark.parametrize("stored", ["$6$rounds=999999999$saltsalt$", "$2b$31$" + "a" * 22,
                                     "$S$z" + "a" * 8, "$P$z" + "a" * 8])
def test_absurd_work_factor_in_a_setting_is_refused_quickly(our_module, svc, db, stored):
    db.add_user("slow", stored)
    crypt = 5 if stored.startswith(("$S$", "$P$")) else 1
    r = run_pam_loop(svc(our_module, crypt=crypt), "slow", answers=[b"secret"], timeout=30)
    assert r.code == PAM_AUTH_ERR and clean(r) and r.elapsed < 5, r.describe()
    assert len(err_lines(r)) == 1, r.describe()


# --- option values with control characters ------------------------------------


@pytest.mark.parametrize(
    "option,raw,escaped",
    [(b"[table=us\ters]", "\t", "\\x09"), (b"table=us\x1bers", "\x1b", "\\x1b"),
     (b"[where=1=1\x1b]", "\x1b", "\\x1b"), (b"usercolumn=user\x07name", "\x07", "\\x07")],
)
def test_control_characters_in_options_are_escaped_in_logs(
    module, pam_service_factory, db, option, raw, escaped
):
    db.add_user("ctl", "pw")
    key = option.strip(b"[").split(b"=", 1)[0].decode()
    args = db.pam_args(crypt=0, verbose=1, **{key: None}).encode()
    line = b"auth required {module} " + args + b" " + option
    service = pam_service_factory(module, [line])
    r = run_pam_loop(service, "ctl", answers=[b"pw"])
    assert clean(r), r.describe()
    assert r.code in (PAM_SERVICE_ERR, PAM_AUTH_ERR, PAM_USER_UNKNOWN), r.describe()
    if module.kind == "ours":
        assert r.code == PAM_SERVICE_ERR, r.describe()
        for m in r.messages:
            assert not any(ord(c) < 0x20 or c == "\x7f" for c in m), repr(m)
        assert any(f"option {key} is set to" in m and escaped in m for m in r.messages), r.describe()


# --- config files ---------------------------------------------------------------


@pytest.fixture
def conf_dir(tmp_path):
    d = tmp_path / "conf"
    d.mkdir()
    return d


def _config_cases(conf_dir, db):
    good = f"users.db_passwd = {db.db_password}\n"
    world = conf_dir / "world.conf"
    world.write_text(good)
    world.chmod(0o644)
    junk = conf_dir / "junk.conf"
    junk.write_bytes(bytes(range(256)) + os.urandom(8192))
    junk.chmod(0o600)
    junk2 = conf_dir / "junk2.conf"
    junk2.write_bytes(b"users.password_crypt = \xff\xfe\nusers.table = x\x00y\n" + os.urandom(512))
    junk2.chmod(0o600)
    return {
        "missing-dir": str(conf_dir / "no-such-dir" / "pam_mysql.conf"),
        "not-a-dir": "/etc/passwd/pam_mysql.conf",
        "directory": str(conf_dir),
        "world-readable": str(world),
        "binary-junk": str(junk),
        "junk-crypt": str(junk2),
    }


@pytest.mark.parametrize(
    "case", ["missing-dir", "not-a-dir", "directory", "world-readable", "binary-junk", "junk-crypt"]
)
@pytest.mark.parametrize("passwd_on_line", [True, False])
def test_broken_config_file_never_crashes_or_accepts_a_wrong_password(
    module, pam_service_factory, db, conf_dir, case, passwd_on_line
):
    path = _config_cases(conf_dir, db)[case]
    db.add_user("cfg", "Cfg-pw-77")
    args = db.pam_args(crypt=0, config_file=path,
                       passwd=db.db_password if passwd_on_line else None)
    service = pam_service_factory(
        module, [f"auth required {{module}} {args}", f"account required {{module}} {args}"]
    )
    wrong = run_pam_loop(service, "cfg", answers=[b"wrong"], ops=("auth",))
    right = run_pam_loop(service, "cfg", answers=[b"Cfg-pw-77"], ops=("auth",))
    for r in (wrong, right):
        assert clean(r), r.describe()
    assert wrong.code in (PAM_AUTH_ERR, PAM_SERVICE_ERR, PAM_AUTHINFO_UNAVAIL), wrong.describe()
    if module.kind == "oracle":
        return
    if case == "world-readable":
        assert right.code == PAM_SUCCESS, right.describe()
        assert any(p == LOG_WARNING and path in m and "readable" in m for p, m in right.log), (
            right.describe()
        )
        return
    # Diff. 15: logged at LOG_ERR without verbose, the path named, in exactly one line.
    # Changed (diff. 40-41): a missing file, a directory or binary junk (a syntax error) used to
    # leave the module arguments in force (PAM_SUCCESS with passwd on the line, else
    # PAM_AUTHINFO_UNAVAIL); every one of them now fails closed, like junk-crypt (diff. 13).
    for r in (wrong, right):
        assert r.code == PAM_SERVICE_ERR, r.describe()
        errors = err_lines(r)
        assert len(errors) == 1 and path in errors[0], r.describe()


# --- broken configuration fails closed (README differences "Config syntax errors" to
# "Value options without =") -------------------------------------------------------------


@pytest.fixture
def broken_cases(db, tmp_path):
    db.add_user(bc.USER, bc.stored_value())
    root = tmp_path / "broken"
    root.mkdir()
    return {c.name: c for c in bc.make_cases(db, root)}


BROKEN_CASES = [
    "syntax error", "missing file", "directory", "too large", "relative path", "owned by another user",
    "group-writable", "in a world-writable directory", "in another user's directory",
    "misspelt where on the line", "misspelt where in the file", "passwd without =",
]


@pytest.mark.parametrize("case", BROKEN_CASES)
def test_broken_configuration_fails_closed_with_one_error_line(module, pam_service_factory, broken_cases, case):
    """Ours: PAM_SERVICE_ERR and exactly the one LOG_ERR line, before the password prompt (and
    so before any database work), for auth and account alike. The C module, measured with the
    right password: it carries on with whatever it could parse (bc.Case.oracle)."""
    c = broken_cases[case]
    service = pam_service_factory(module, [f"auth required {{module}} {c.args}", f"account required {{module}} {c.args}"])
    auth = run_pamtester(service, bc.USER, [bc.PASSWORD], ops=("authenticate",))
    acct = run_pam_loop(service, bc.USER, ops=("acct",))
    assert auth.code == per_module(module, oracle=c.oracle, ours=PAM_SERVICE_ERR), auth.describe()
    if c.secret:
        for r in (auth, acct):
            assert not any(c.secret in m for m in r.messages), r.describe()
    if module.kind == "oracle":
        return
    assert acct.code == PAM_SERVICE_ERR, acct.describe()
    for r in (auth, acct):
        assert [bc.strip_prefix(m) for m in err_lines(r)] == [c.message], r.describe()
        assert len(r.log) == 1, r.describe()
    assert "Password:" not in auth.stderr, auth.describe()


def test_a_refused_line_refuses_the_rest_of_the_transaction(module, pam_service_factory, db, tmp_path):
    """Options are sticky across the lines of one transaction, so the account line below
    inherits the auth line's config_file. The C module keeps the file's lines before the
    syntax error (the status column) and answers PAM_ACCT_EXPIRED for this status-1 user.
    Ours refuses the auth line; were the account line then run on the options from before
    it, the status column would be lost and the expired account let in. So every later call
    on the handle is refused too, with the same log line (difference "Refused configuration changes nothing")."""
    db.add_user(bc.USER, bc.stored_value(), status=1)
    cfg = tmp_path / "status.conf"
    cfg.write_text("users.status_column = status\n  # more to come\n")
    cfg.chmod(0o600)
    service = pam_service_factory(module, [
        f"auth optional {{module}} {db.pam_args(crypt=1)} config_file={cfg}",
        f"account required {{module}} {db.pam_args()}"])
    r = run_pam_loop(service, bc.USER, [bc.PASSWORD], ops=("auth", "acct"))
    # Ours, auth: the only auth module failed, so libpam answers PAM_PERM_DENIED for the stack.
    assert r.codes == per_module(module, oracle=[PAM_SUCCESS, PAM_ACCT_EXPIRED],
                                 ours=[PAM_PERM_DENIED, PAM_SERVICE_ERR]), r.describe()
    if module.kind == "ours":
        errors = [bc.strip_prefix(m) for m in err_lines(r)]
        assert len(errors) == 2 and errors[0] == errors[1] and errors[0].startswith(f"syntax error on line 2 of {cfg}"), r.describe()


def test_word_after_an_empty_value_is_never_logged(module, pam_service_factory, db):
    """`passwd= SECRET` (a blank after the `=`): both modules connect with an empty password
    (PAM_AUTHINFO_UNAVAIL). The C module, with verbose, logs `unknown option: SECRET`; ours
    says an unknown option after passwd= is not shown, and never names it."""
    db.add_user(bc.USER, bc.stored_value())
    args = "verbose=1 " + db.pam_args(crypt=1, passwd=None) + f" passwd= {db.db_password}"
    service = pam_service_factory(module, [f"auth required {{module}} {args}"])
    r = run_pamtester(service, bc.USER, [bc.PASSWORD])
    assert r.code == PAM_AUTHINFO_UNAVAIL, r.describe()
    leaked = any(db.db_password in m for m in r.messages)
    assert leaked == per_module(module, oracle=True, ours=False), r.describe()
    if module.kind == "ours":
        assert r.logged("unknown option after passwd= not shown: it may be the value, cut off by a blank "
                        "(write passwd=VALUE)", LOG_ERR), r.describe()


def test_indented_comment_no_longer_makes_the_stored_hash_the_password(module, pam_service_factory, db, tmp_path):
    """The security issue's measurement: `  # note` is a syntax error in this grammar, the C
    module drops the lines after it, crypt stays plain, and typing the stored `$6$` string
    logs in. Ours refuses the configuration (difference "Config syntax errors")."""
    stored = bc.stored_value()
    db.add_user(bc.USER, stored)
    cfg = tmp_path / "indented.conf"
    cfg.write_text("users.table = users\n  # crypt(3) hashes from pam-mysql hash\nusers.password_crypt = 1\n")
    cfg.chmod(0o600)
    service = pam_service_factory(module, [f"auth required {{module}} {db.pam_args(config_file=str(cfg))}"])
    typed_hash = run_pamtester(service, bc.USER, [stored])
    right = run_pamtester(service, bc.USER, [bc.PASSWORD])
    assert typed_hash.code == per_module(module, oracle=PAM_SUCCESS, ours=PAM_SERVICE_ERR), typed_hash.describe()
    assert right.code == per_module(module, oracle=PAM_AUTH_ERR, ours=PAM_SERVICE_ERR), right.describe()


def test_shipped_config_files_are_accepted(our_module, pam_service_factory, db, tmp_path):
    """Debian's /etc/pam-mysql.conf as installed here (0640 root:root) and our example file
    must pass every rule: the call goes on to the database (which they do not point at, so
    PAM_AUTHINFO_UNAVAIL), with no config-file error logged."""
    example = tmp_path / "pam-mysql.conf"
    example.write_bytes((ph.REPO / "pam.d-examples" / "pam-mysql.conf").read_bytes())
    example.chmod(0o640)
    paths = [str(example)] + (["/etc/pam-mysql.conf"] if os.path.exists("/etc/pam-mysql.conf") else [])
    for path in paths:
        service = pam_service_factory(our_module, [
            f"auth required {{module}} config_file={path} connect_timeout=2",
            f"account required {{module}} config_file={path} connect_timeout=2"])
        r = run_pamtester(service, bc.USER, ["x"])
        assert r.code == PAM_AUTHINFO_UNAVAIL, r.describe()
        assert not any("config file" in m or "syntax error" in m or "unknown option" in m for m in r.messages), r.describe()
