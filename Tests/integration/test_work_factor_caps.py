"""Every work factor a stored value can ask for is capped before any hashing (README
difference "Capped work factors"): one test per cap, through the real module, in crypt=1 and in crypt=dovecot
(`{CRYPT}`, and the scheme's own name where it has one). Each asserts the PAM code and the
exact log lines, not a time: without the cap the value is hashed (seconds to hours of CPU)
and the log line is missing.
"""
from __future__ import annotations

import pytest

from pamharness import LOG_ERR, LOG_NOTICE, PAM_AUTH_ERR, PAM_SERVICE_ERR, run_pam_loop

BCRYPT_TAIL = "a" * 53

# (id, stored crypt(3) value, refusal). Costs chosen where libxcrypt would run long or big.
CRYPT_CAPS = [
    ("sha512crypt-rounds", "$6$rounds=999999999$saltsalt$" + "T" * 86, "SHA-crypt rounds exceed 1000000"),
    ("sha256crypt-rounds", "$5$rounds=1000001$saltsalt$" + "T" * 43, "SHA-crypt rounds exceed 1000000"),
    ("bcrypt-cost", "$2b$17$" + BCRYPT_TAIL, "bcrypt cost exceeds 16"),
    ("bcrypt-2y-cost", "$2y$31$" + BCRYPT_TAIL, "bcrypt cost exceeds 16"),
    ("yescrypt-memory", "$y$jCT$saltsaltsaltsalt$" + "h" * 43, "yescrypt memory 128*N*r exceeds 64 MiB"),
    ("yescrypt-t", "$y$j9T/w.jj$saltsaltsaltsalt$" + "h" * 43, "yescrypt work N*r*p*(t+1) exceeds 2^20 blocks"),
    ("yescrypt-p", "$y$.9T.X$saltsaltsaltsalt$" + "h" * 43, "yescrypt work N*r*p*(t+1) exceeds 2^20 blocks"),
    ("gost-yescrypt-memory", "$gy$jCT$saltsaltsaltsalt$" + "h" * 43, "gost-yescrypt memory 128*N*r exceeds 64 MiB"),
    ("scrypt-memory", "$7$DU..../....saltsalt$" + "h" * 43, "scrypt memory 128*N*r exceeds 64 MiB"),
    ("scrypt-p", "$7$CU..../0...saltsalt$" + "h" * 43, "scrypt work N*r*p*(t+1) exceeds 2^20 blocks"),
    ("sha1crypt-iterations", "$sha1$4294967295$saltsalt$" + "h" * 28, "NetBSD sha1crypt iterations exceed 1000000"),
    ("sha1crypt-minus-one", "$sha1$-1$saltsalt$" + "h" * 28, "NetBSD sha1crypt iteration count is not a decimal number"),
    ("sunmd5-rounds", "$md5,rounds=4294963199$saltsalt$$" + "h" * 22, "SunMD5 rounds exceed 250000"),
    ("sunmd5-dollar-rounds", "$md5$rounds=250001$saltsalt$$" + "h" * 22, "SunMD5 rounds exceed 250000"),
    ("bsdi-count", "_zzzzsalt" + "h" * 11, "BSDi DES iteration count exceeds 1000000"),
]


def dovecot_forms(stored: str) -> list[str]:
    forms = ["{CRYPT}" + stored]
    for prefix, scheme in (("$6$", "SHA512-CRYPT"), ("$5$", "SHA256-CRYPT"), ("$2", "BLF-CRYPT")):
        if stored.startswith(prefix):
            forms.append(f"{{{scheme}}}{stored}")
    return forms


@pytest.fixture
def line(pam_service_factory, db, our_module):
    def make(**options):
        return pam_service_factory(our_module, [f"auth required {{module}} {db.pam_args(**options)}"])
    return make



@pytest.mark.parametrize("stored,refusal", [c[1:] for c in CRYPT_CAPS], ids=[c[0] for c in CRYPT_CAPS])
def test_crypt1_refuses_a_cost_over_its_cap(db, line, stored, refusal):
    db.add_user("cap", stored)
    service = line(crypt=1)
    r = run_pam_loop(service, "cap", answers=["secret"], timeout=30)
    assert r.code == PAM_AUTH_ERR, r.describe()
    assert r.module_log == [
        (LOG_ERR, f'stored password of user "cap" is not a valid crypt=1 (Y) value: {refusal}'),
        (LOG_NOTICE, 'authentication failure for user "cap"'),
    ], r.describe()


@pytest.mark.parametrize("stored,refusal", [c[1:] for c in CRYPT_CAPS], ids=[c[0] for c in CRYPT_CAPS])
def test_dovecot_crypt_schemes_refuse_a_cost_over_its_cap(db, line, stored, refusal):
    service = line(crypt="dovecot", allow_weak_schemes=1)  # BSDi DES is a weak DES-CRYPT value
    for i, value in enumerate(dovecot_forms(stored)):
        db.add_user(f"cap{i}", value)
        r = run_pam_loop(service, f"cap{i}", answers=["secret"], timeout=30)
        assert r.code == PAM_SERVICE_ERR, (value[:20], r.describe())
        assert r.module_log == [
            (LOG_ERR, f'stored password of user "cap{i}" is not a valid crypt=dovecot value: {refusal}'),
        ], r.describe()


ARGON2_CAPS = [
    ("argon2id-m-times-t", "{ARGON2ID}$argon2id$v=19$m=262144,t=4,p=1$c2FsdHNhbHRzYWx0$" + "A" * 43,
     "Argon2 m*t exceeds 786432 (KiB x passes)"),
    ("argon2i-m-times-t", "{ARGON2I}$argon2i$v=19$m=131072,t=7,p=1$c2FsdHNhbHRzYWx0$" + "A" * 43,
     "Argon2 m*t exceeds 786432 (KiB x passes)"),
]


@pytest.mark.parametrize("stored,refusal", [c[1:] for c in ARGON2_CAPS], ids=[c[0] for c in ARGON2_CAPS])
def test_dovecot_argon2_refuses_memory_times_passes_over_its_cap(db, line, stored, refusal):
    db.add_user("argon", stored)
    service = line(crypt="dovecot")
    r = run_pam_loop(service, "argon", answers=["secret"], timeout=30)
    assert r.code == PAM_SERVICE_ERR, r.describe()
    assert r.module_log == [
        (LOG_ERR, f'stored password of user "argon" is not a valid crypt=dovecot value: {refusal}'),
    ], r.describe()


@pytest.mark.parametrize("stored", [
    "$6$rounds=1000000$saltsalt$", "$2b$13$" + "a" * 22, "$y$jBT$saltsaltsaltsalt$", "$7$CU....0....saltsalt$",
    "$sha1$1000000$saltsalt$", "$md5,rounds=250000$saltsalt$", "_/..0salt",
], ids=["sha512crypt", "bcrypt", "yescrypt", "scrypt", "sha1crypt", "sunmd5", "bsdi"])
def test_a_cost_at_its_cap_still_verifies(db, line, stored):
    """The caps refuse only what is over them: a value at each cap logs in."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt as _crypt
    db.add_user("atcap", _crypt.crypt("Right-pw", stored))
    service = line(crypt=1)
    assert run_pam_loop(service, "atcap", answers=["Right-pw"], timeout=30).code == 0
    assert run_pam_loop(service, "atcap", answers=["Wrong-pw"], timeout=30).code == PAM_AUTH_ERR
