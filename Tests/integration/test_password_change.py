"""Password change (pam_sm_chauthtok) through real libpam, differentially:
every test runs against the C module (Debian's libpam-mysql 0.8.2, the
oracle) and against ours (the `module` fixture).

Expected values are the C module's measured behaviour (reference 2.2, 3.4).
Where our module deliberately differs, the test writes both results down
with per_module(oracle=..., ours=...) and names the difference:

  a  crypt=1: C derives the salt from the new password (deterministic);
     ours uses a random salt, and crypt_method= picks the method.
  b  crypt=5 / crypt=7: C writes an empty password; ours a valid hash.
  c  crypt=6: C's salt is printable ASCII 33-126; ours is alphanumeric.
  d  old password: C skips the check with use_first_pass and no old token,
     and asks `Current Password:` even after a correct old token with
     try_first_pass; ours refuses the first and does not ask in the second.
  e  empty or NULL first `New Password:` answer: C stores an empty password
     (or crashes on NULL); ours refuses with PAM_AUTHTOK_RECOVERY_ERR.

libpam calls pam_sm_chauthtok twice (PRELIM_CHECK, UPDATE_AUTHTOK);
pam_loop and pamtester see the final code of pam_chauthtok().
"""

from __future__ import annotations

import base64
import hashlib
import re
import warnings

import pytest

from pamharness import (
    LOG_ERR,
    PAM_AUTH_ERR,
    PAM_AUTHTOK_ERR,
    PAM_AUTHTOK_LOCK_BUSY,
    PAM_AUTHTOK_RECOVERY_ERR,
    PAM_PERM_DENIED,
    PAM_PROMPT_ECHO_OFF,
    PAM_SUCCESS,
    PAM_TRY_AGAIN,
    Batch,
    drupal7_hash,
    per_module,
    run_pam_loop,
    run_pamtester,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt as _crypt  # libxcrypt's crypt(3), an independent check of crypt=1 values

OLD = "secret"
NEW = "newpw"
WRONG = "not-the-password"

CURRENT_PROMPT = [(PAM_PROMPT_ECHO_OFF, "Current Password:")]
NEW_PROMPTS = [(PAM_PROMPT_ECHO_OFF, "New Password:"), (PAM_PROMPT_ECHO_OFF, "Retype New Password:")]
ONLY_NEW = [(PAM_PROMPT_ECHO_OFF, "New Password:")]

# `secret` stored in each mode: reference 2.3 (a), all accepted by the C module.
OLD_STORED = {
    "0": "secret",
    "1": "$1$saltsalt$9xy1btjgzLYfb7hivXtC//",
    "2": "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7",
    "2+323": "428567f408994404",
    "3": "5ebe2294ecd0e0f08eab7690d2a6ee69",
    "4": "e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4",
    "5": "$S$DabcdefgHfXMbf9OyFMSVcS/N49jwADQzIK0dANyHgtR3O0rUTzK",
    "6": "6f3ca84e08269eefb6105e695411eafc:SALTsaltSALTsaltSALTsaltSALTsalt",
    "7": "KnpQ4g1j1OR0Fb9Lksze2BcmJdZhYmNkMTIzNA==",
    "8": "bd2b1aaf7ef4f09be9f52ce2d8d599674d81aa9d6a4421696dc4d93dd0619d682ce56b4d64a9ef097761"
    "ced99e0f67265b5f76085e5b0ee7ca4696b2ad6fe2b2",
    "9": "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b",
}
MODE_OPTIONS = {"2+323": {"crypt": 2, "use_323_passwd": 1}}

# What the C module wrote for `newpw` with crypt=1 (reference 2.2, measured).
C_CRYPT1_MD5 = "$1$mdmrR2kH$9i/3nU3SNKSccqXT3nZHC/"
C_CRYPT1_DES = "mXyJz/GEKxq5I"
B64 = r"[./0-9A-Za-z]"


def _options(mode: str) -> dict:
    if mode in MODE_OPTIONS:
        return dict(MODE_OPTIONS[mode])
    return {"crypt": int(mode)}


def _expected_deterministic(db, mode: str, pw: str) -> bytes:
    """The stored value for `pw`, computed independently of both modules."""
    p = pw.encode()
    if mode == "0":
        return p
    if mode in ("2", "2+323"):
        # MariaDB's own PASSWORD() / OLD_PASSWORD() (the password has no quote).
        old, new = db.sql(f"SELECT OLD_PASSWORD('{pw}'), PASSWORD('{pw}')")[0]
        return (old if mode == "2+323" else new).encode()
    algo = {"3": "md5", "4": "sha1", "8": "sha512", "9": "sha256"}[mode]
    return hashlib.new(algo, p).hexdigest().encode()


def _crypt_ok(pw: str, stored: bytes) -> bool:
    return _crypt.crypt(pw, stored.decode()) == stored.decode()


class Checks(Batch):
    """Batch plus free-form expectations (stored values, pamtester prompts)."""

    def expect(self, label: str, ok: bool, detail: str) -> None:
        self.count += 1
        if not ok:
            self.failures.append(f"[{label}] {detail}")

    def stored(self, db, label: str, user: str, expected) -> None:
        got = db.password_of(user)
        exp = expected.encode() if isinstance(expected, str) else expected
        self.expect(label, got == exp, f"stored {got!r}, expected {exp!r}")


@pytest.fixture
def make(pam_service_factory, module, db):
    """make(preset=False, **options) -> service with auth, account and
    password lines of the module under test (crypt=0 unless given);
    preset=True puts the pam_preset_authtok helper first in the password
    group (for authtok= / oldauthtok=)."""

    def _make(preset: bool = False, **options):
        options.setdefault("crypt", 0)
        args = db.pam_args(**options)
        lines = [f"auth required {{module}} {args}", f"account required {{module}} {args}"]
        if preset:
            lines.append("password required {preset}")
        lines.append(f"password required {{module}} {args}")
        return pam_service_factory(module, lines)

    return _make


def chauthtok(service, user, answers=(), **kw):
    kw.setdefault("timeout", 20)
    return run_pam_loop(service, user, answers, ops=["chauthtok"], **kw)


def pamtester_prompts(res) -> str:
    """pamtester writes the prompts to stderr without newlines."""
    idx = res.stderr.find("pamtester: ")
    return res.stderr if idx < 0 else res.stderr[:idx]


def auth_code(service, user, pw):
    return run_pam_loop(service, user, [pw], timeout=20).code


# ---- deterministic modes: identical on both ----------------------------------


@pytest.mark.parametrize("mode", ["0", "2", "2+323", "3", "4", "8", "9"])
def test_change_stores_the_exact_hash_of_each_deterministic_mode(db, make, mode):
    """pam_loop and pamtester: two echo-off prompts, PAM_SUCCESS, the exact
    hash of the new password stored (computed here with hashlib / MariaDB),
    then the new password authenticates and the old one does not."""
    svc = make(**_options(mode))
    expected = _expected_deterministic(db, mode, NEW)
    b = Checks()
    db.add_user("via-loop", OLD_STORED[mode])
    db.add_user("via-pamtester", OLD_STORED[mode])
    b.check("old works before the change", run_pam_loop(svc, "via-loop", [OLD]), code=PAM_SUCCESS)

    b.check("pam_loop chauthtok", chauthtok(svc, "via-loop", [NEW, NEW]),
            code=PAM_SUCCESS, prompts=NEW_PROMPTS)
    b.stored(db, "pam_loop stored", "via-loop", expected)

    res = run_pamtester(svc, "via-pamtester", [NEW, NEW], ops=["chauthtok"])
    b.check("pamtester chauthtok", res, code=PAM_SUCCESS)
    b.expect("pamtester prompts", pamtester_prompts(res) == "New Password:Retype New Password:",
             f"stderr {res.stderr!r}")
    b.stored(db, "pamtester stored", "via-pamtester", expected)

    for user in ("via-loop", "via-pamtester"):
        b.check(f"{user}: new password authenticates", run_pam_loop(svc, user, [NEW]),
                code=PAM_SUCCESS)
        b.check(f"{user}: old password is rejected", run_pam_loop(svc, user, [OLD]),
                code=PAM_AUTH_ERR)
    b.verify()


# ---- difference a: crypt=1 salts ---------------------------------------------


@pytest.mark.parametrize("md5", [None, 0], ids=["md5-default", "md5=0"])
def test_crypt1_new_password_salt(db, make, module, md5):
    """Difference a: C derives the crypt=1 salt from the password, so two
    changes to `newpw` store the same value ($1$ by default, DES with
    md5=0); ours stores a fresh random salt each time.  Both verify with
    crypt(3) and authenticate."""
    svc = make(crypt=1, md5=md5)
    db.add_user("bob", OLD_STORED["1"])
    b = Checks()
    b.check("first change (pam_loop)", chauthtok(svc, "bob", [NEW, NEW]),
            code=PAM_SUCCESS, prompts=NEW_PROMPTS)
    first = db.password_of("bob")
    b.check("second change (pamtester)",
            run_pamtester(svc, "bob", [NEW, NEW], ops=["chauthtok"]), code=PAM_SUCCESS)
    second = db.password_of("bob")

    c_value = C_CRYPT1_MD5 if md5 is None else C_CRYPT1_DES
    shape = rf"\$1\${B64}{{8}}\${B64}{{22}}" if md5 is None else rf"{B64}{{13}}"
    for label, value in (("first", first), ("second", second)):
        b.expect(f"{label} value is crypt(3) of the new password", _crypt_ok(NEW, value),
                 f"{value!r}")
        b.expect(f"{label} value shape", re.fullmatch(shape, value.decode()) is not None,
                 f"{value!r} !~ {shape}")
        if module.kind == "oracle":
            b.expect(f"{label} value is C's deterministic one", value == c_value.encode(),
                     f"{value!r} != {c_value!r}")
    # Difference a: identical with C, different with ours.
    b.expect("two changes to the same password",
             (first == second) == per_module(module, oracle=True, ours=False),
             f"first {first!r}, second {second!r}")
    b.check("new password authenticates", run_pam_loop(svc, "bob", [NEW]), code=PAM_SUCCESS)
    b.check("old password is rejected", run_pam_loop(svc, "bob", [OLD]), code=PAM_AUTH_ERR)
    b.verify()


@pytest.mark.parametrize(
    "method,md5,prefix",
    [
        ("yescrypt", None, "$y$"),
        ("sha512", None, "$6$"),
        ("sha256", None, "$5$"),
        ("bcrypt", None, "$2b$"),
        ("md5", None, "$1$"),
        ("des", None, ""),
        ("sha256", 0, "$5$"),
    ],
    ids=["yescrypt", "sha512", "sha256", "bcrypt", "md5", "des", "sha256-with-md5=0"],
)
def test_crypt_method_option_chooses_the_crypt1_method(db, make, module, method, md5, prefix):
    """Difference a (new option): crypt_method= picks the crypt(3) method of
    new crypt=1 passwords in ours (and wins over md5=0).  C does not know
    the option (ignored) and writes its deterministic $1$ / DES value."""
    svc = make(crypt=1, crypt_method=method, md5=md5)
    db.add_user("bob", OLD_STORED["1"])
    b = Checks()
    b.check("change", chauthtok(svc, "bob", [NEW, NEW]), code=PAM_SUCCESS, prompts=NEW_PROMPTS)
    value = db.password_of("bob")
    if module.kind == "oracle":
        b.expect("C ignores crypt_method", value == (C_CRYPT1_DES if md5 == 0 else C_CRYPT1_MD5).encode(),
                 f"{value!r}")
    elif prefix:
        b.expect(f"{method} prefix", value.startswith(prefix.encode()), f"{value!r}")
    else:
        b.expect("DES value", re.fullmatch(rf"{B64}{{13}}", value.decode()) is not None, f"{value!r}")
    b.expect("value is crypt(3) of the new password", _crypt_ok(NEW, value), f"{value!r}")
    b.check("new password authenticates", run_pam_loop(svc, "bob", [NEW]), code=PAM_SUCCESS)
    b.check("old password is rejected", run_pam_loop(svc, "bob", [OLD]), code=PAM_AUTH_ERR)
    b.verify()


# ---- difference b: crypt=5 and crypt=7 ---------------------------------------


def test_drupal_helper_reproduces_the_reference_vector():
    # Guards the independent check used below.
    setting = OLD_STORED["5"]
    assert drupal7_hash(OLD, setting) == setting


@pytest.mark.parametrize("mode", ["5", "7"])
def test_crypt5_and_crypt7_new_password_is_a_valid_hash(db, make, module, mode):
    """Difference b: C writes an empty password for crypt=5 (drupal7) and
    crypt=7 (ssha), locking the user out; ours writes a $S$ / SSHA value
    with a random salt that then authenticates."""
    svc = make(crypt=int(mode))
    db.add_user("bob", OLD_STORED[mode])
    b = Checks()
    b.check("old works before the change", run_pam_loop(svc, "bob", [OLD]), code=PAM_SUCCESS)
    b.check("change", chauthtok(svc, "bob", [NEW, NEW]), code=PAM_SUCCESS, prompts=NEW_PROMPTS)
    value = db.password_of("bob")
    if module.kind == "oracle":
        b.expect("C stores an empty password", value == b"", f"{value!r}")
    elif mode == "5":
        text = value.decode()
        b.expect("$S$ shape", re.fullmatch(rf"\$S\$D{B64}{{51}}", text) is not None, text)
        b.expect("Drupal 7 hash of the new password", drupal7_hash(NEW, text) == text, text)
    else:
        raw = base64.b64decode(value, validate=True)
        b.expect("SSHA shape", len(raw) > 20 and base64.b64encode(raw) == value, f"{value!r}")
        b.expect("SHA1(new || salt) || salt", hashlib.sha1(NEW.encode() + raw[20:]).digest() == raw[:20],
                 f"{value!r}")
    b.check("new password after the change",
            run_pam_loop(svc, "bob", [NEW]), code=per_module(module, oracle=PAM_AUTH_ERR, ours=PAM_SUCCESS))
    b.check("old password is rejected", run_pam_loop(svc, "bob", [OLD]), code=PAM_AUTH_ERR)
    b.verify()


# ---- difference c: crypt=6 salt ----------------------------------------------


def test_crypt6_new_password_salt(db, make, module):
    """Difference c: C's 32-character Joomla salt is printable ASCII 33-126
    (time-seeded random()); ours is 32 alphanumeric characters.  Both store
    md5hex(new || salt):salt (pam_loop and pamtester) and authenticate
    afterwards."""
    svc = make(crypt=6)
    db.add_user("via-loop", OLD_STORED["6"])
    db.add_user("via-pamtester", OLD_STORED["6"])
    b = Checks()
    b.check("pam_loop change", chauthtok(svc, "via-loop", [NEW, NEW]), code=PAM_SUCCESS,
            prompts=NEW_PROMPTS)
    b.check("pamtester change", run_pamtester(svc, "via-pamtester", [NEW, NEW], ops=["chauthtok"]),
            code=PAM_SUCCESS)
    alphabet = per_module(
        module,
        oracle=set(range(33, 127)),
        ours=set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
    )
    for user in ("via-loop", "via-pamtester"):
        value = db.password_of(user)
        digest, _, salt = value.partition(b":")
        b.expect(f"{user}: md5hex(new || salt):salt",
                 hashlib.md5(NEW.encode() + salt).hexdigest().encode() == digest, f"{value!r}")
        b.expect(f"{user}: 32-character salt", len(salt) == 32, f"{value!r}")
        b.expect(f"{user}: salt alphabet", set(salt) <= alphabet, f"salt {salt!r}")
        b.check(f"{user}: new password authenticates", run_pam_loop(svc, user, [NEW]),
                code=PAM_SUCCESS)
        b.check(f"{user}: old password is rejected", run_pam_loop(svc, user, [OLD]),
                code=PAM_AUTH_ERR)
    b.verify()


# ---- who must give the current password --------------------------------------


def test_root_caller_is_not_asked_for_the_current_password(db, make):
    """Real uid 0: only New/Retype are asked; the old password is not
    checked (an administrator resets it)."""
    svc = make()
    db.add_user("bob", OLD)
    b = Checks()
    b.check("root", chauthtok(svc, "bob", [NEW, NEW]), code=PAM_SUCCESS, prompts=NEW_PROMPTS)
    b.stored(db, "root", "bob", NEW)
    b.verify()


def test_nonroot_caller_must_give_the_current_password(db, make):
    """Real uid 1000, effective uid 0 (a set-uid passwd): `Current Password:`
    first; wrong -> PAM_AUTH_ERR, NULL -> PAM_AUTHTOK_RECOVERY_ERR, PAM_SILENT
    -> PAM_AUTHTOK_RECOVERY_ERR, nothing changed; right -> changed.  A NULL
    stored password is not checked (no Current prompt)."""
    svc = make()
    for user in ("right", "wrong", "null-answer", "silent"):
        db.add_user(user, OLD)
    db.add_user("null-stored", None)
    b = Checks()
    b.check("right", chauthtok(svc, "right", [OLD, NEW, NEW], ruid=1000),
            code=PAM_SUCCESS, prompts=CURRENT_PROMPT + NEW_PROMPTS)
    b.stored(db, "right", "right", NEW)
    b.check("wrong", chauthtok(svc, "wrong", [WRONG, NEW, NEW], ruid=1000),
            code=PAM_AUTH_ERR, prompts=CURRENT_PROMPT)
    b.stored(db, "wrong", "wrong", OLD)
    b.check("NULL answer", chauthtok(svc, "null-answer", [None, NEW, NEW], ruid=1000),
            code=PAM_AUTHTOK_RECOVERY_ERR, prompts=CURRENT_PROMPT)
    b.stored(db, "NULL answer", "null-answer", OLD)
    b.check("PAM_SILENT", chauthtok(svc, "silent", [OLD, NEW, NEW], ruid=1000, flags=["silent"]),
            code=PAM_AUTHTOK_RECOVERY_ERR, prompts=[])
    b.stored(db, "PAM_SILENT", "silent", OLD)
    b.check("NULL stored password", chauthtok(svc, "null-stored", [NEW, NEW], ruid=1000),
            code=PAM_SUCCESS, prompts=NEW_PROMPTS)
    b.stored(db, "NULL stored password", "null-stored", NEW)
    b.verify()


def test_old_token_from_an_earlier_module(db, make):
    """Identical on both: with use_first_pass a preset PAM_OLDAUTHTOK is
    checked without prompting (right -> changed to the preset PAM_AUTHTOK,
    wrong -> PAM_AUTH_ERR); with try_first_pass a wrong old token falls back
    to the `Current Password:` prompt."""
    use_first = make(preset=True, use_first_pass=1)
    try_first = make(preset=True)
    for user in ("uf-right", "uf-wrong", "tf-wrong"):
        db.add_user(user, OLD)
    b = Checks()
    b.check("use_first_pass, right old token",
            chauthtok(use_first, "uf-right", ruid=1000, oldauthtok=OLD, authtok=NEW),
            code=PAM_SUCCESS, prompts=[])
    b.stored(db, "use_first_pass, right old token", "uf-right", NEW)
    b.check("use_first_pass, wrong old token",
            chauthtok(use_first, "uf-wrong", ruid=1000, oldauthtok=WRONG, authtok=NEW),
            code=PAM_AUTH_ERR, prompts=[])
    b.stored(db, "use_first_pass, wrong old token", "uf-wrong", OLD)
    b.check("try_first_pass, wrong old token",
            chauthtok(try_first, "tf-wrong", [OLD, NEW, NEW], ruid=1000, oldauthtok=WRONG),
            code=PAM_SUCCESS, prompts=CURRENT_PROMPT + NEW_PROMPTS)
    b.stored(db, "try_first_pass, wrong old token", "tf-wrong", NEW)
    b.verify()


def test_use_first_pass_without_old_token(db, make, module):
    """Difference d: caller ruid=1000/euid 0, use_first_pass, a new token
    from an earlier module but no old one.  C changes the password without
    verifying the old one; ours refuses with PAM_AUTHTOK_RECOVERY_ERR and
    leaves the stored value alone."""
    svc = make(preset=True, use_first_pass=1)
    db.add_user("bob", OLD)
    res = chauthtok(svc, "bob", ruid=1000, authtok=NEW)
    b = Checks()
    b.check("no old token", res, prompts=[],
            code=per_module(module, oracle=PAM_SUCCESS, ours=PAM_AUTHTOK_RECOVERY_ERR))
    b.stored(db, "no old token", "bob", per_module(module, oracle=NEW, ours=OLD))
    if module.kind == "ours":
        b.check("log", res, logged=[("use_first_pass is set but no earlier module supplied the old password", LOG_ERR)])
    b.verify()


def test_try_first_pass_with_correct_old_token(db, make, module):
    """Difference d: try_first_pass (the default) with a correct
    PAM_OLDAUTHTOK from an earlier module.  C verifies it and still prompts
    `Current Password:`; ours does not ask again."""
    svc = make(preset=True)
    db.add_user("bob", OLD)
    answers = per_module(module, oracle=[OLD, NEW, NEW], ours=[NEW, NEW])
    b = Checks()
    b.check("correct old token", chauthtok(svc, "bob", answers, ruid=1000, oldauthtok=OLD),
            code=PAM_SUCCESS,
            prompts=per_module(module, oracle=CURRENT_PROMPT + NEW_PROMPTS, ours=NEW_PROMPTS))
    b.stored(db, "correct old token", "bob", NEW)
    b.verify()


# ---- the new password --------------------------------------------------------


def test_empty_new_password(db, make, module):
    """Difference e: an empty first `New Password:` answer.  C asks for the
    retype and stores the empty password (which then authenticates with an
    empty answer); ours refuses at once with PAM_AUTHTOK_RECOVERY_ERR."""
    svc = make()
    db.add_user("bob", OLD)
    b = Checks()
    b.check("empty new password", chauthtok(svc, "bob", ["", ""]),
            code=per_module(module, oracle=PAM_SUCCESS, ours=PAM_AUTHTOK_RECOVERY_ERR),
            prompts=per_module(module, oracle=NEW_PROMPTS, ours=ONLY_NEW))
    b.stored(db, "empty new password", "bob", per_module(module, oracle="", ours=OLD))
    b.check("empty password afterwards", run_pam_loop(svc, "bob", [""]),
            code=per_module(module, oracle=PAM_SUCCESS, ours=PAM_AUTH_ERR))
    b.check("old password afterwards", run_pam_loop(svc, "bob", [OLD]),
            code=per_module(module, oracle=PAM_AUTH_ERR, ours=PAM_SUCCESS))
    b.verify()


def test_null_first_new_password(db, make, module):
    """Difference e: a NULL first `New Password:` answer.  With a non-NULL
    retype C crashes (strcmp(NULL, ...), SIGSEGV); ours refuses with
    PAM_AUTHTOK_RECOVERY_ERR.  With a NULL retype too, both refuse (C after
    asking the retype, ours without).  Nothing is stored either way."""
    svc = make()
    db.add_user("bob", OLD)
    res = chauthtok(svc, "bob", [None, NEW], timeout=10)
    assert not res.timed_out, res.describe()
    if module.kind == "oracle":
        assert res.crashed, res.describe()
    else:
        assert not res.crashed and res.code == PAM_AUTHTOK_RECOVERY_ERR, res.describe()
        assert res.prompts == ONLY_NEW, res.describe()
    assert db.password_of("bob") == OLD.encode()

    res = chauthtok(svc, "bob", [None, None])
    assert res.code == PAM_AUTHTOK_RECOVERY_ERR, res.describe()
    assert res.prompts == per_module(module, oracle=NEW_PROMPTS, ours=ONLY_NEW), res.describe()
    assert db.password_of("bob") == OLD.encode()


def test_mismatched_retype_is_refused(db, make):
    svc = make()
    db.add_user("bob", OLD)
    b = Checks()
    b.check("pam_loop", chauthtok(svc, "bob", [NEW, NEW + "x"]),
            code=PAM_AUTHTOK_RECOVERY_ERR, prompts=NEW_PROMPTS)
    b.check("NULL retype", chauthtok(svc, "bob", [NEW, None]),
            code=PAM_AUTHTOK_RECOVERY_ERR, prompts=NEW_PROMPTS)
    res = run_pamtester(svc, "bob", [NEW, NEW + "x"], ops=["chauthtok"])
    b.check("pamtester", res, code=PAM_AUTHTOK_RECOVERY_ERR)
    b.expect("pamtester prompts", pamtester_prompts(res) == "New Password:Retype New Password:",
             f"stderr {res.stderr!r}")
    b.stored(db, "unchanged", "bob", OLD)
    b.verify()


def test_silent_without_token_is_refused(db, make):
    """PAM_SILENT and no PAM_AUTHTOK: nothing can be asked ->
    PAM_AUTHTOK_RECOVERY_ERR, no prompt, nothing changed."""
    svc = make()
    db.add_user("bob", OLD)
    b = Checks()
    b.check("pam_loop", chauthtok(svc, "bob", [NEW, NEW], flags=["silent"]),
            code=PAM_AUTHTOK_RECOVERY_ERR, prompts=[])
    res = run_pamtester(svc, "bob", [NEW, NEW], ops=["chauthtok"], flags=["silent"])
    b.check("pamtester", res, code=PAM_AUTHTOK_RECOVERY_ERR)
    b.expect("pamtester did not prompt", pamtester_prompts(res) == "", f"stderr {res.stderr!r}")
    b.stored(db, "unchanged", "bob", OLD)
    b.verify()


def test_new_password_from_an_earlier_module_is_not_prompted(db, make):
    """A PAM_AUTHTOK preset by an earlier password module is stored without
    any prompt (try_first_pass and use_first_pass, pam_loop and pamtester)."""
    try_first = make(preset=True, crypt=3)
    use_first = make(preset=True, crypt=3, use_first_pass=1)
    for user in ("loop", "pamtester", "use-first"):
        db.add_user(user, OLD_STORED["3"])
    expected = hashlib.md5(NEW.encode()).hexdigest()
    b = Checks()
    b.check("pam_loop", chauthtok(try_first, "loop", authtok=NEW), code=PAM_SUCCESS, prompts=[])
    b.stored(db, "pam_loop", "loop", expected)
    res = run_pamtester(try_first, "pamtester", ops=["chauthtok"], authtok=NEW)
    b.check("pamtester", res, code=PAM_SUCCESS)
    b.expect("pamtester did not prompt", pamtester_prompts(res) == "", f"stderr {res.stderr!r}")
    b.stored(db, "pamtester", "pamtester", expected)
    b.check("use_first_pass", chauthtok(use_first, "use-first", authtok=NEW),
            code=PAM_SUCCESS, prompts=[])
    b.stored(db, "use_first_pass", "use-first", expected)
    b.verify()


# ---- refusals before the prompt ----------------------------------------------


def test_unknown_user_is_permission_denied(db, make):
    svc = make()
    db.add_user("bob", OLD)
    b = Checks()
    b.check("pam_loop", chauthtok(svc, "nobody", [NEW, NEW]), code=PAM_PERM_DENIED, prompts=[])
    b.check("pamtester", run_pamtester(svc, "nobody", [NEW, NEW], ops=["chauthtok"]),
            code=PAM_PERM_DENIED)
    b.expect("no row created", db.sql("SELECT COUNT(*) FROM users")[0][0] == "1", "users changed")
    b.verify()


def test_database_down_fails_the_preliminary_check(db, make):
    """The PRELIM_CHECK pass cannot connect -> PAM_TRY_AGAIN is what
    pam_chauthtok returns; nothing is prompted."""
    svc = make()
    db.add_user("bob", OLD)
    b = Checks()
    with db.stopped():
        b.check("pam_loop", chauthtok(svc, "bob", [NEW, NEW]), code=PAM_TRY_AGAIN, prompts=[],
                logged=[("MySQL error (", LOG_ERR)])
        res = run_pamtester(svc, "bob", [NEW, NEW], ops=["chauthtok"])
        b.check("pamtester", res, code=PAM_TRY_AGAIN)
        b.expect("pamtester did not prompt", pamtester_prompts(res) == "", f"stderr {res.stderr!r}")
    b.stored(db, "unchanged", "bob", OLD)
    b.verify()


def test_expired_account_needs_change_expired_flag(db, make):
    """Status bit 1 (expired): without PAM_CHANGE_EXPIRED_AUTHTOK ->
    PAM_AUTHTOK_LOCK_BUSY and no prompt; with it the change goes through.
    Bit 2 alone (password expired) does not block."""
    svc = make(statcolumn="status")
    db.add_user("expired", OLD, status=1)
    db.add_user("expired-flag", OLD, status=1)
    db.add_user("expired-pamtester", OLD, status=1)
    db.add_user("pw-expired", OLD, status=2)
    b = Checks()
    b.check("expired", chauthtok(svc, "expired", [NEW, NEW]), code=PAM_AUTHTOK_LOCK_BUSY, prompts=[])
    b.stored(db, "expired", "expired", OLD)
    b.check("expired + PAM_CHANGE_EXPIRED_AUTHTOK",
            chauthtok(svc, "expired-flag", [NEW, NEW], flags=["change_expired"]),
            code=PAM_SUCCESS, prompts=NEW_PROMPTS)
    b.stored(db, "expired + flag", "expired-flag", NEW)
    b.check("pamtester expired + flag",
            run_pamtester(svc, "expired-pamtester", [NEW, NEW], ops=["chauthtok"],
                          flags=["change_expired"]),
            code=PAM_SUCCESS)
    b.stored(db, "pamtester expired + flag", "expired-pamtester", NEW)
    b.check("status 2", chauthtok(svc, "pw-expired", [NEW, NEW]), code=PAM_SUCCESS,
            prompts=NEW_PROMPTS)
    b.stored(db, "status 2", "pw-expired", NEW)
    b.verify()


def test_failed_update_is_authtok_error(db, make):
    """The UPDATE fails (table is a derived table, readable but not
    updatable) -> PAM_AUTHTOK_ERR, `MySQL error (` logged, nothing changed."""
    svc = make(table="(SELECT * FROM users) AS u")
    db.add_user("bob", OLD)
    b = Checks()
    b.check("update fails", chauthtok(svc, "bob", [NEW, NEW]), code=PAM_AUTHTOK_ERR,
            prompts=NEW_PROMPTS, logged=[("MySQL error (", LOG_ERR)])
    b.stored(db, "unchanged", "bob", OLD)
    b.verify()


def test_sql_metacharacters_in_user_name(db, make):
    """User names with quotes, backslashes and SQL reach the UPDATE as data:
    only that row changes."""
    svc = make(crypt=4)
    names = ["o'brien\\\" x", "x'); DROP TABLE users; --", "bystander"]
    for name in names:
        db.add_user(name, OLD_STORED["4"])
    b = Checks()
    for name in names[:2]:
        b.check(name, chauthtok(svc, name, [NEW, NEW]), code=PAM_SUCCESS, prompts=NEW_PROMPTS)
        b.stored(db, name, name, hashlib.sha1(NEW.encode()).hexdigest())
        b.check(f"{name} authenticates", run_pam_loop(svc, name, [NEW]), code=PAM_SUCCESS)
    b.stored(db, "bystander unchanged", "bystander", OLD_STORED["4"])
    b.verify()
