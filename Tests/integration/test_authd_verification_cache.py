"""Issue 16 item 3: pam-mysql-authd's verification cache (`verification_cache = yes`).

Per service and user the daemon keeps an HMAC of the last password that verified and a
fingerprint of the stored value (and options) it verified against. Every login still runs
its SELECT; only the slow hash is skipped when both match. So, with the cache on:

  - the second login of a SHA-512-crypt user is a hit (`cache verification hits` in
    `ctl status`, a "verification cache hit" line at debug with `verbose`, never a secret);
  - a password changed in the table is refused at the very next login;
  - a changed hash of the same password is verified again (a miss), not answered from the
    old entry;
  - a disabled account (statcolumn) is refused at the next login, the account check runs on
    the fresh row;
  - an entry older than cache_ttl is verified again;
  - a reload keeps the entries (the fingerprint covers the options);
  - without the setting nothing is cached.

The password-change and changed-hash tests fail if the cache ignored the stored value in its
fingerprint (checked once by making the fingerprint constant: both failed).
"""

from __future__ import annotations

import re
import subprocess
import time

import pytest

import authdharness as ah
from authdharness import AuthDaemon

PW = "Secret-Cache-1"
NEW_PW = "Secret-Cache-2"


def sha512_crypt(password: str, salt: str = "pmtestSalt") -> str:
    return subprocess.run(["openssl", "passwd", "-6", "-salt", salt, password],
                          check=True, capture_output=True, text=True).stdout.strip()


def config(ttl: int = 3600, cache: bool = True) -> str:
    lines = ["[daemon]"]
    if cache:
        lines += ["verification_cache = yes", f"cache_ttl = {ttl}"]
    return "\n".join(lines) + "\n"


def start(db, ttl: int = 3600, cache: bool = True) -> AuthDaemon:
    lines = ah.service_lines(db, crypt=1, statcolumn="status", verbose=1, **ah.fast_timeouts())
    return AuthDaemon({"smtp": lines}, config=config(ttl, cache), dovecot=False).start()


@pytest.fixture
def daemon_factory():
    started: list[AuthDaemon] = []

    def make(db, **kwargs) -> AuthDaemon:
        d = start(db, **kwargs)
        started.append(d)
        return d

    yield make
    for d in started:
        rc = d.stop()
        text = d.log_text()
        d.destroy()
        assert rc == 0, f"pam-mysql-authd exited {rc} on SIGTERM:\n{text[-4000:]}"
        for secret in (PW, NEW_PW, "pmtestSalt", "otherSalt"):
            assert secret not in text, f"{secret!r} in the daemon's log"


def cache_counters(d: AuthDaemon) -> dict[str, int]:
    r = subprocess.run([str(ah.AUTHD), "ctl", "--control", str(d.control), "status"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^cache verification (\w+) (\d+)$", r.stdout, re.M)}


def login(d: AuthDaemon, user: str, password: str) -> bool | None:
    return d.sasl(user, password, service="smtp").ok


def test_second_login_is_a_hit_without_a_secret_in_the_log(db, daemon_factory):
    db.add_user("alice", sha512_crypt(PW))
    d = daemon_factory(db)
    mark = d.log_mark()
    assert login(d, "alice", PW) is True, d.describe()
    assert cache_counters(d) == {"misses": 1}
    assert login(d, "alice", PW) is True, d.describe()
    assert login(d, "alice", PW) is True, d.describe()
    assert cache_counters(d) == {"misses": 1, "hits": 2}
    text = d.log_since(mark)
    assert len(re.findall(r"verification cache hit", text)) == 2, text
    # A wrong password is hashed (a miss) and refused; the entry stays.
    assert login(d, "alice", PW + "x") is False, d.describe()
    assert login(d, "alice", PW) is True, d.describe()
    assert cache_counters(d) == {"misses": 2, "hits": 3}


def test_password_changed_in_the_table_is_refused_at_the_next_login(db, daemon_factory):
    db.add_user("alice", sha512_crypt(PW))
    d = daemon_factory(db)
    assert login(d, "alice", PW) is True, d.describe()
    assert login(d, "alice", PW) is True, d.describe()
    assert cache_counters(d).get("hits") == 1
    db.sql(f"UPDATE users SET password = '{sha512_crypt(NEW_PW)}' WHERE username = 'alice'")
    assert login(d, "alice", PW) is False, "the old password still worked after the change:\n" + d.describe()
    assert login(d, "alice", NEW_PW) is True, d.describe()
    assert cache_counters(d).get("hits") == 1


def test_changed_hash_of_the_same_password_is_verified_again(db, daemon_factory):
    db.add_user("alice", sha512_crypt(PW))
    d = daemon_factory(db)
    assert login(d, "alice", PW) is True, d.describe()
    assert login(d, "alice", PW) is True, d.describe()
    assert cache_counters(d) == {"misses": 1, "hits": 1}
    db.sql(f"UPDATE users SET password = '{sha512_crypt(PW, 'otherSalt')}' WHERE username = 'alice'")
    assert login(d, "alice", PW) is True, d.describe()
    assert cache_counters(d) == {"misses": 2, "hits": 1}, "a new stored value was answered from the old entry"
    # A hash the password does not verify against is refused, whatever was cached before.
    db.sql("UPDATE users SET password = '$6$pmtestSalt$notTheHash' WHERE username = 'alice'")
    assert login(d, "alice", PW) is False, d.describe()
    assert cache_counters(d) == {"misses": 3, "hits": 1}


def test_disabled_account_is_refused_at_the_next_login(db, daemon_factory):
    db.add_user("alice", sha512_crypt(PW))
    d = daemon_factory(db)
    assert login(d, "alice", PW) is True, d.describe()
    assert login(d, "alice", PW) is True, d.describe()
    db.sql("UPDATE users SET status = 1 WHERE username = 'alice'")
    mark = d.log_mark()
    assert login(d, "alice", PW) is False, "a disabled account logged in from the cache:\n" + d.describe()
    # The password part was a hit; the account check on the fresh row refused.
    assert cache_counters(d).get("hits") == 2
    assert d.wait_log(r"auth failure:.*alice", mark), d.describe()


def test_an_entry_older_than_cache_ttl_is_verified_again(db, daemon_factory):
    db.add_user("alice", sha512_crypt(PW))
    d = daemon_factory(db, ttl=2)
    assert login(d, "alice", PW) is True, d.describe()
    assert login(d, "alice", PW) is True, d.describe()
    assert cache_counters(d) == {"misses": 1, "hits": 1}
    time.sleep(2.5)
    assert login(d, "alice", PW) is True, d.describe()
    assert cache_counters(d) == {"misses": 2, "hits": 1}
    assert login(d, "alice", PW) is True, d.describe()
    assert cache_counters(d) == {"misses": 2, "hits": 2}


def test_a_reload_keeps_the_entries(db, daemon_factory):
    db.add_user("alice", sha512_crypt(PW))
    d = daemon_factory(db)
    assert login(d, "alice", PW) is True, d.describe()
    d.reload()
    assert login(d, "alice", PW) is True, d.describe()
    assert cache_counters(d) == {"misses": 1, "hits": 1}
    # Changed options change the fingerprint: crypt=dovecot reads the same $6$ value as CRYPT.
    d.write_service("smtp", ah.service_lines(db, crypt="dovecot", statcolumn="status", verbose=1, **ah.fast_timeouts()))
    d.reload()
    assert login(d, "alice", PW) is True, d.describe()
    assert cache_counters(d) == {"misses": 2, "hits": 1}, "an entry made under other options was used"


def test_without_the_setting_nothing_is_cached(db, daemon_factory):
    db.add_user("alice", sha512_crypt(PW))
    d = daemon_factory(db, cache=False)
    mark = d.log_mark()
    for _ in range(3):
        assert login(d, "alice", PW) is True, d.describe()
    assert cache_counters(d) == {}
    assert "verification cache" not in d.log_since(mark), d.log_since(mark)
