"""Issue 16 item 4: pam-mysql-authd's result cache (`result_cache = yes`), like Dovecot's auth_cache.

What the database answered for a user (the stored value and the status row, or "no such user")
is kept per service, pam_mysql line and user, so a login within the TTL runs no SELECT. Measured
on the test server's own counters (SHOW GLOBAL STATUS Com_stmt_execute + Com_select): a hit spares
the SELECT, the TTL and the negative TTL end entries, the size bound evicts the least recently
used, `cache_stale_if_error` answers from an expired entry while the database is stopped (and
without it the answer is a temporary failure), `ctl flush` drops one user / a service / all,
a reload flushes, Dovecot's password-change rule (a mismatch after a success asks the database
again), and the README says what the cache trades.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

import authdharness as ah
import pamharness as ph
from authdharness import AuthDaemon

ROOT = Path(__file__).resolve().parents[2]


def selects(db) -> int:
    """Statements the server ran: the login SELECT is a prepared one; the plain ones counted too."""
    return db.status("Com_stmt_execute") + db.status("Com_select")


def select_delta(db, body) -> int:
    before = selects(db)
    body()
    # SHOW GLOBAL STATUS itself is neither a SELECT nor a prepared statement.
    return selects(db) - before


def daemon(db, **settings) -> AuthDaemon:
    config = "[daemon]\n" + "".join(f"{key} = {value}\n" for key, value in settings.items())
    lines = ah.service_lines(db, crypt=0, **ah.fast_timeouts())
    return AuthDaemon({"smtp": lines, "imap": lines}, config=config, dovecot=False).start()


@pytest.fixture
def cached(db):
    d = daemon(db, result_cache="yes", cache_ttl=60, cache_negative_ttl=60)
    yield d
    d.destroy()


def ok(d, user, password, service="smtp") -> bool:
    reply = d.sasl(user, password, service)
    assert reply.kind in ("OK", "NO"), (reply, d.describe())
    return reply.ok


def ctl(d, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ah.AUTHD), "ctl", "--control", str(d.control), *args],
                          capture_output=True, text=True, timeout=30, env=ph.child_env())


def test_a_hit_spares_the_select_and_the_account_check_reads_nothing(db, cached):
    db.add_user("alice", "pw-alice")
    assert select_delta(db, lambda: ok(cached, "alice", "pw-alice")) >= 1
    assert select_delta(db, lambda: [ok(cached, "alice", "pw-alice") for _ in range(5)]) == 0
    # the password is still verified at every login against the cached value
    assert select_delta(db, lambda: ok(cached, "alice", "wrong")) >= 1  # a mismatch after a success asks again
    assert not ok(cached, "alice", "wrong")
    status = ctl(cached, "status").stdout
    hits = int(re.search(r"^result_cache_hits (\d+)$", status, re.M)[1])
    assert hits >= 5, status


def test_without_the_result_cache_every_login_selects(db):
    d = daemon(db)
    try:
        db.add_user("alice", "pw-alice")
        ok(d, "alice", "pw-alice")
        assert select_delta(db, lambda: [ok(d, "alice", "pw-alice") for _ in range(5)]) >= 5
    finally:
        d.destroy()


def test_an_entry_expires_after_the_ttl(db):
    d = daemon(db, result_cache="yes", cache_ttl=1)
    try:
        db.add_user("alice", "pw-alice")
        assert ok(d, "alice", "pw-alice")
        assert select_delta(db, lambda: ok(d, "alice", "pw-alice")) == 0
        time.sleep(1.3)
        assert select_delta(db, lambda: ok(d, "alice", "pw-alice")) >= 1
    finally:
        d.destroy()


def test_an_unknown_user_is_cached_for_the_negative_ttl(db):
    d = daemon(db, result_cache="yes", cache_ttl=60, cache_negative_ttl=2)
    try:
        assert not ok(d, "newcomer", "pw-new")
        assert select_delta(db, lambda: ok(d, "newcomer", "pw-new")) == 0
        db.add_user("newcomer", "pw-new")
        assert not ok(d, "newcomer", "pw-new"), "the negative entry answers until its TTL"
        time.sleep(2.3)
        assert ok(d, "newcomer", "pw-new")
    finally:
        d.destroy()


def test_negative_ttl_zero_caches_no_unknown_user(db):
    d = daemon(db, result_cache="yes", cache_negative_ttl=0)
    try:
        assert not ok(d, "ghost", "x")
        assert select_delta(db, lambda: ok(d, "ghost", "x")) >= 1
    finally:
        d.destroy()


def test_the_size_bound_evicts_the_least_recently_used(db):
    d = daemon(db, result_cache="yes", cache_size=2)
    try:
        for user in ("a1", "a2", "a3"):
            db.add_user(user, f"pw-{user}")
        for user in ("a1", "a2", "a3"):
            assert ok(d, user, f"pw-{user}")
        assert select_delta(db, lambda: ok(d, "a3", "pw-a3")) == 0
        assert select_delta(db, lambda: ok(d, "a2", "pw-a2")) == 0
        assert select_delta(db, lambda: ok(d, "a1", "pw-a1")) >= 1, "a1 was evicted"
    finally:
        d.destroy()


def test_stale_if_error_answers_from_an_expired_entry_while_the_database_is_down(db):
    stale = daemon(db, result_cache="yes", cache_ttl=1, cache_stale_if_error="yes")
    strict = daemon(db, result_cache="yes", cache_ttl=1)
    try:
        db.add_user("alice", "pw-alice")
        assert ok(stale, "alice", "pw-alice") and ok(strict, "alice", "pw-alice")
        time.sleep(1.3)
        mark = stale.log_mark()
        with db.stopped():
            assert stale.sasl("alice", "pw-alice").kind == "OK", stale.describe()
            assert stale.sasl("alice", "wrong").kind == "NO", "the password is still verified"
            assert strict.sasl("alice", "pw-alice").kind == "EMPTY", "without stale-if-error: a temporary failure"
            assert stale.sasl("nobody", "x").kind == "EMPTY", "no entry: a temporary failure"
        assert stale.wait_log(r"answered from an expired cache entry \(cache_stale_if_error\)", mark)
        assert "pw-alice" not in stale.log_text()
        status = ctl(stale, "status").stdout
        assert re.search(r"^result_cache_stale_answers [12]$", status, re.M), status
    finally:
        stale.destroy()
        strict.destroy()


def test_ctl_flush_drops_one_user_a_service_or_everything(db, cached):
    for user in ("alice", "bob"):
        db.add_user(user, f"pw-{user}")
    for service in ("smtp", "imap"):
        for user in ("alice", "bob"):
            assert ok(cached, user, f"pw-{user}", service)
    r = ctl(cached, "flush", "smtp", "alice")
    assert r.returncode == 0 and "flushed 1 result cache entry and 0 verification cache entries (user alice of service smtp)" in r.stdout, r
    assert select_delta(db, lambda: ok(cached, "bob", "pw-bob")) == 0
    assert select_delta(db, lambda: ok(cached, "alice", "pw-alice", "imap")) == 0
    assert select_delta(db, lambda: ok(cached, "alice", "pw-alice")) >= 1
    r = ctl(cached, "flush", "imap")
    assert r.returncode == 0 and "flushed 2 result cache entries and 0 verification cache entries (service imap)" in r.stdout, r
    assert select_delta(db, lambda: ok(cached, "bob", "pw-bob", "imap")) >= 1
    r = ctl(cached, "flush")
    assert r.returncode == 0 and "flushed 3 result cache entries and 0 verification cache entries (all services)" in r.stdout, r
    assert select_delta(db, lambda: ok(cached, "bob", "pw-bob")) >= 1
    r = ctl(cached, "flush", "nosuch")
    assert r.returncode == 0 and "flushed 0 result cache entries" in r.stdout, r


def test_a_reload_flushes_the_result_cache(db, cached):
    db.add_user("alice", "pw-alice")
    assert ok(cached, "alice", "pw-alice")
    assert select_delta(db, lambda: ok(cached, "alice", "pw-alice")) == 0
    cached.reload()
    assert select_delta(db, lambda: ok(cached, "alice", "pw-alice")) >= 1


def test_a_changed_password_waits_for_the_ttl_unless_the_new_one_is_used(db, cached):
    db.add_user("alice", "old-pw")
    assert ok(cached, "alice", "old-pw")
    db.sql("UPDATE users SET password = 'new-pw' WHERE username = 'alice'")
    # What the cache trades: the old password still works from the cache...
    assert select_delta(db, lambda: ok(cached, "alice", "old-pw")) == 0
    # ...until the new one is used: a mismatch after a success asks the database again.
    assert select_delta(db, lambda: ok(cached, "alice", "new-pw")) >= 1
    assert ok(cached, "alice", "new-pw")
    assert select_delta(db, lambda: ok(cached, "alice", "new-pw")) == 0
    # Now the old one is refused (another fresh lookup, since the last login succeeded).
    assert not ok(cached, "alice", "old-pw")
    # After a failed login a mismatch is answered from the cache (no SELECT).
    assert select_delta(db, lambda: ok(cached, "alice", "old-pw")) == 0
    assert ok(cached, "alice", "new-pw")


def test_the_readme_says_what_the_result_cache_trades():
    text = (ROOT / "README.md").read_text()
    section = re.search(r"(?s)result cache.{0,1500}", text, re.I)
    assert section, "README has no word on the result cache"
    words = section[0].lower()
    for needed in ("changed password", "ttl", "dovecot", "saslauthd", "-c"):
        assert needed in words, needed
