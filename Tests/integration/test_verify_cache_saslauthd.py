"""Issue 16 item 5: the module's verification cache (`verify_cache=SECONDS`), through saslauthd.

    testsaslauthd -> saslauthd -a pam -n 1 (one long-lived process) -> PAM -> our pam_mysql.so

The module is NODELETE, so its process-wide cache survives libpam's dlclose at pam_end: the
second login of a SHA-512-crypt user in the same saslauthd process skips the hash (shown by
the module's verbose line "verification cache hit", captured from syslog, and by the time of a
login against a deliberately slow hash). Every login still runs its SELECT, so a password
changed in the table is refused at the very next login, a changed hash of the same password is
verified again, and a disabled account (statcolumn) is refused by the account step on the fresh
row. Off by default: without the option nothing is cached.

The password-change and changed-hash tests fail if the cache ignored the stored value in its
fingerprint (checked once by making the fingerprint constant: both failed).
"""

from __future__ import annotations

import ctypes
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import mailchain as mc
import pamharness as ph

PW = "Secret-Cache-1"
NEW_PW = "Secret-Cache-2"
# Slow enough that a skipped hash shows in the time of a whole testsaslauthd round trip
# (0.1 to 0.3 s per verification here), well under the module's cap of 1,000,000.
SLOW_ROUNDS = 200_000


def sha512_crypt(password: str, salt: str = "pmtestSalt", rounds: int | None = None) -> str:
    if rounds is None:
        return subprocess.run(["openssl", "passwd", "-6", "-salt", salt, password],
                              check=True, capture_output=True, text=True).stdout.strip()
    # openssl passwd has no rounds option: libxcrypt itself makes the costly value.
    libcrypt = ctypes.CDLL("libcrypt.so.1")
    libcrypt.crypt.restype = ctypes.c_char_p
    libcrypt.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    return libcrypt.crypt(password.encode(), f"$6$rounds={rounds}${salt}$".encode()).decode()


@pytest.fixture
def saslauthd():
    """One saslauthd process (-n 1): the second login reaches the same module instance. The
    syslog capture is preloaded, so the module's lines land in a file."""
    base = Path(tempfile.mkdtemp(prefix="pmtest-vcache-"))
    run_dir = base / "run"
    run_dir.mkdir(mode=0o700)
    syslog = base / "syslog"
    d = mc.Saslauthd(run_dir, realm=False, workers=1,
                     env={"LD_PRELOAD": str(ph.SYSLOG_CAPTURE), "PAM_MYSQL_TEST_SYSLOG": str(syslog)})
    d.syslog_path = syslog
    d.start()
    try:
        yield d
    finally:
        left = d.stop()
        text = syslog.read_text(errors="replace") if syslog.exists() else ""
        subprocess.run(["rm", "-rf", "--", str(base)], check=False)
        assert left == [], f"saslauthd processes left: {left}"
        for secret in (PW, NEW_PW, "pmtestSalt", "otherSalt"):
            assert secret not in text, f"{secret!r} in the module's log lines"


def module_lines(saslauthd) -> str:
    path = saslauthd.syslog_path
    return path.read_text(errors="replace") if path.exists() else ""


def service(pam_service_factory, our_module, db, **extra):
    args = db.pam_args(**{"crypt": 1, "statcolumn": "status", "verbose": 1, "verify_cache": 300, **extra})
    return pam_service_factory(our_module, [f"auth required {{module}} {args}", f"account required {{module}} {args}"])


def hits(saslauthd) -> int:
    return module_lines(saslauthd).count("verification cache hit")


def misses(saslauthd) -> int:
    return module_lines(saslauthd).count("verification cache miss")


def test_second_login_skips_the_hash(saslauthd, pam_service_factory, our_module, db):
    db.add_user("alice", sha512_crypt(PW))
    svc = service(pam_service_factory, our_module, db)
    assert saslauthd.check(svc, "alice", PW).ok is True, saslauthd.log_text()
    assert (misses(saslauthd), hits(saslauthd)) == (1, 0), module_lines(saslauthd)
    assert saslauthd.check(svc, "alice", PW).ok is True
    assert saslauthd.check(svc, "alice", PW).ok is True
    assert (misses(saslauthd), hits(saslauthd)) == (1, 2), module_lines(saslauthd)
    # A wrong password is hashed and refused; the right one still hits afterwards.
    assert saslauthd.check(svc, "alice", PW + "x").ok is False
    assert saslauthd.check(svc, "alice", PW).ok is True
    assert (misses(saslauthd), hits(saslauthd)) == (2, 3), module_lines(saslauthd)


def test_a_hit_is_faster_than_the_hash(saslauthd, pam_service_factory, our_module, db):
    db.add_user("slow", sha512_crypt(PW, rounds=SLOW_ROUNDS))
    cached = service(pam_service_factory, our_module, db)
    uncached = service(pam_service_factory, our_module, db, verify_cache=0)

    def seconds(svc) -> float:
        t0 = time.monotonic()
        assert saslauthd.check(svc, "slow", PW).ok is True
        return time.monotonic() - t0

    seconds(cached)  # the miss that fills the entry
    times_cached = [seconds(cached) for _ in range(5)]
    times_uncached = [seconds(uncached) for _ in range(3)]
    assert hits(saslauthd) == 5, module_lines(saslauthd)
    fast, slow = statistics.median(times_cached), statistics.median(times_uncached)
    assert fast * 2 < slow, f"cached {times_cached}, uncached {times_uncached}"


def test_password_changed_in_the_table_is_refused_at_the_next_login(saslauthd, pam_service_factory, our_module, db):
    db.add_user("alice", sha512_crypt(PW))
    svc = service(pam_service_factory, our_module, db)
    assert saslauthd.check(svc, "alice", PW).ok is True
    assert saslauthd.check(svc, "alice", PW).ok is True
    assert hits(saslauthd) == 1, module_lines(saslauthd)
    db.sql(f"UPDATE users SET password = '{sha512_crypt(NEW_PW)}' WHERE username = 'alice'")
    assert saslauthd.check(svc, "alice", PW).ok is False, "the old password still worked:\n" + module_lines(saslauthd)
    assert saslauthd.check(svc, "alice", NEW_PW).ok is True
    assert hits(saslauthd) == 1, module_lines(saslauthd)


def test_changed_hash_of_the_same_password_is_verified_again(saslauthd, pam_service_factory, our_module, db):
    db.add_user("alice", sha512_crypt(PW))
    svc = service(pam_service_factory, our_module, db)
    assert saslauthd.check(svc, "alice", PW).ok is True
    assert saslauthd.check(svc, "alice", PW).ok is True
    db.sql(f"UPDATE users SET password = '{sha512_crypt(PW, 'otherSalt')}' WHERE username = 'alice'")
    assert saslauthd.check(svc, "alice", PW).ok is True
    assert (misses(saslauthd), hits(saslauthd)) == (2, 1), "a new stored value was answered from the old entry"
    db.sql("UPDATE users SET password = '$6$pmtestSalt$notTheHash' WHERE username = 'alice'")
    assert saslauthd.check(svc, "alice", PW).ok is False
    assert hits(saslauthd) == 1, module_lines(saslauthd)


def test_disabled_account_is_refused_at_the_next_login(saslauthd, pam_service_factory, our_module, db):
    db.add_user("alice", sha512_crypt(PW))
    svc = service(pam_service_factory, our_module, db)
    assert saslauthd.check(svc, "alice", PW).ok is True
    assert saslauthd.check(svc, "alice", PW).ok is True
    db.sql("UPDATE users SET status = 1 WHERE username = 'alice'")
    assert saslauthd.check(svc, "alice", PW).ok is False, "a disabled account logged in:\n" + module_lines(saslauthd)
    # The password was a hit; the account step refused on the fresh row.
    assert hits(saslauthd) == 2, module_lines(saslauthd)


def test_off_by_default(saslauthd, pam_service_factory, our_module, db):
    db.add_user("alice", sha512_crypt(PW))
    args = db.pam_args(crypt=1, verbose=1)
    svc = pam_service_factory(our_module, [f"auth required {{module}} {args}", f"account required {{module}} {args}"])
    for _ in range(3):
        assert saslauthd.check(svc, "alice", PW).ok is True
    assert "password verified with crypt=1" in module_lines(saslauthd), module_lines(saslauthd)
    assert "verification cache" not in module_lines(saslauthd), module_lines(saslauthd)
