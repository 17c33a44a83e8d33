"""crypt=dovecot values whose secret is empty once decoded (README difference "Empty Dovecot secrets").

`{PLAIN}` with nothing after it (also `{CLEAR}`, `{CLEARTEXT}`, a `.b64`/`.hex` body that
decodes to nothing, `{PLAIN-TRUNC}<n>-` with nothing after the dash) is an empty stored
password: refused like an empty column unless `nullok` is set and the application did not
pass PAM_DISALLOW_NULL_AUTHTOK (Dovecot itself lets the empty password in). And
`{PLAIN-TRUNC}0-...` compared a 0-byte prefix, so any password matched: it is malformed now.
Each case asserts the PAM code and the exact log line.
"""
from __future__ import annotations

import pytest

from pamharness import LOG_ERR, LOG_NOTICE, PAM_AUTH_ERR, PAM_SERVICE_ERR, PAM_SUCCESS, run_pam_loop

EMPTY_SECRETS = ["{PLAIN}", "{CLEAR}", "{CLEARTEXT}", "{PLAIN.b64}", "{PLAIN.hex}", "{PLAIN-TRUNC}8-"]


@pytest.fixture
def dovecot_line(pam_service_factory, db, our_module):
    def make(**options):
        return pam_service_factory(our_module, [f"auth required {{module}} {db.pam_args(crypt='dovecot', **options)}"])
    return make



@pytest.mark.parametrize("stored", EMPTY_SECRETS)
def test_empty_decoded_secret_is_refused_without_nullok(db, dovecot_line, stored):
    db.add_user("empty", stored)
    service = dovecot_line()
    for flags in ((), ("disallow_null",)):
        r = run_pam_loop(service, "empty", answers=[""], flags=flags)
        assert r.code == PAM_AUTH_ERR, (stored, flags, r.describe())
        assert r.module_log == [
            (LOG_NOTICE, 'user "empty" has an empty stored password: refused (nullok is not set)'),
            (LOG_NOTICE, 'authentication failure for user "empty"'),
        ], r.describe()


@pytest.mark.parametrize("stored", EMPTY_SECRETS)
def test_empty_decoded_secret_needs_nullok_and_no_disallow_null_flag(db, dovecot_line, stored):
    db.add_user("empty", stored)
    service = dovecot_line(nullok=1)
    refused = run_pam_loop(service, "empty", answers=[""], flags=("disallow_null",))
    assert refused.code == PAM_AUTH_ERR, (stored, refused.describe())
    assert refused.module_log[0] == (
        LOG_NOTICE, 'user "empty" has an empty stored password: refused (the application passed PAM_DISALLOW_NULL_AUTHTOK)'
    ), refused.describe()
    accepted = run_pam_loop(service, "empty", answers=[""])
    assert accepted.code == PAM_SUCCESS and accepted.module_log == [], (stored, accepted.describe())
    # nullok lets only the empty password in: the stored secret is empty, not absent.
    typed = run_pam_loop(service, "empty", answers=["something"])
    assert typed.code == PAM_AUTH_ERR, (stored, typed.describe())


@pytest.mark.parametrize("stored", ["{PLAIN-TRUNC}0-", "{PLAIN-TRUNC}0-secret"])
def test_plain_trunc_length_zero_is_malformed(db, dovecot_line, stored):
    db.add_user("trunc0", stored)
    service = dovecot_line()
    for typed in ("anything", "secret", ""):
        r = run_pam_loop(service, "trunc0", answers=[typed])
        assert r.code == PAM_SERVICE_ERR, (stored, typed, r.describe())
        assert r.module_log == [
            (LOG_ERR, 'stored password of user "trunc0" is not a valid crypt=dovecot value: PLAIN-TRUNC length is 0'),
        ], r.describe()
