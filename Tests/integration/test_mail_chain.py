"""Issue 3: the mail chain end to end.

    swaks -> Postfix smtpd (STARTTLS, AUTH PLAIN/LOGIN) -> Cyrus SASL
          -> saslauthd -a pam -r -> PAM service -> pam_mysql -> MariaDB

saslauthd and Postfix run once per module (module-scoped fixtures in this
file, harness in mailchain.py), each from a private temporary directory,
and are stopped by PID at teardown with an assertion that nothing is left.
saslauthd is asked directly with testsaslauthd and through Postfix with
swaks.  Every test that names the `module` fixture runs against the C
pam_mysql 0.8.2 (the oracle) and against ours with the same expectations;
test_differential_* also compares the two modules' answers side by side.

What is covered:
  saslauthd (testsaslauthd): right / wrong / unknown with crypt=1 ($6$, $5$,
    $1$), crypt=3 and crypt=0; realm handling with -r (user@domain reaches
    PAM whole, recorded by pam_exec) and without -r (bare login only); a
    CONCAT(user,'@',domain) usercolumn; the -c credential cache; process
    bookkeeping (master + workers, nothing left after stop).
  Through PAM for real: pam_deny / pam_permit in place of the module flip
    the answers (saslauthd and Postfix); saslauthd's own limits (empty
    password, > 256 bytes) are shown with pam_permit.
  Differential: a table of cases (options, odd user names, status,
    where, nullok, use_first_pass, bad options, database down or
    restarted) against both modules with expected answers, the same side
    by side with byte-identical answers, and the documented differences
    in SELECTs, connections and sqllog rows per login.
  Postfix (swaks): AUTH only after STARTTLS (503 to AUTH without it),
    AUTH PLAIN and LOGIN -> 235 / 535, relay to example.net only when
    authenticated (250 vs 554), a chrooted smtpd using the Debian socket
    layout, pam.d-examples/smtp as shipped, postfix check clean, clean stop.

The commands of DEVELOPING.md "The mail chain tests" are the ones these tests run
(with test paths): keep the two in step.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import smtplib
import subprocess

import pytest

import mailchain as mc
import pamharness as ph

REALM = "example.org"
PW = "Secret-1"
WRONG = "secret-1"  # differs in case only


@functools.lru_cache(maxsize=None)
def crypt_hash(password: str, scheme: str = "6", salt: str = "pmtestSalt") -> str:
    """crypt(3) hash through openssl passwd (-1 = $1$, -5 = $5$, -6 = $6$)."""
    out = subprocess.run(["openssl", "passwd", f"-{scheme}", "-salt", salt, password],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def stored(password: str, crypt: int) -> str:
    if crypt == 0:
        return password
    if crypt == 1:
        return crypt_hash(password)
    if crypt == 3:
        return hashlib.md5(password.encode()).hexdigest()
    raise ValueError(crypt)


def module_lines(db, **options) -> list[str]:
    """The pam_mysql-style auth + account lines of a service."""
    options.setdefault("crypt", 0)
    args = db.pam_args(**options)
    return [f"auth required {{module}} {args}", f"account required {{module}} {args}"]


# --------------------------------------------------------------------------
# Module-scoped daemons
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mailroot():
    root = mc.MailRoot()
    try:
        yield root
    finally:
        root.destroy()


def _assert_stopped(daemon, left: list[int], marker: str) -> None:
    assert left == [], f"{type(daemon).__name__} processes left after stop: {left}"
    # Nothing else that runs from this instance's directory either.
    stray = mc.processes_mentioning(marker)
    assert stray == [], f"processes still using {marker}: {[mc.cmdline(p) for p in stray]}"


@pytest.fixture(scope="module")
def saslauthd(mailroot):
    """saslauthd -a pam -r, socket where Debian puts it for a chrooted
    Postfix: <queue_directory>/var/run/saslauthd/mux."""
    d = mc.Saslauthd(mailroot.sasl_run, realm=True).start()
    try:
        yield d
    finally:
        _assert_stopped(d, d.stop(), str(d.run_dir))


@pytest.fixture(scope="module")
def saslauthd_norealm(mailroot):
    """A second saslauthd, without -r: only the bare login reaches PAM."""
    d = mc.Saslauthd(mailroot.private_run_dir("saslauthd-norealm"), realm=False).start()
    try:
        yield d
    finally:
        _assert_stopped(d, d.stop(), str(d.run_dir))


@pytest.fixture(scope="module")
def sasl_group():
    """The postfix user in group sasl (adduser postfix sasl), as the doc
    says: the socket directory is root:sasl 0710.  Undone afterwards if this
    fixture did it."""
    added = False
    if not mc.user_in_group("postfix", "sasl"):
        subprocess.run(["adduser", "postfix", "sasl"], check=True, capture_output=True)
        added = True
    try:
        yield
    finally:
        if added:
            subprocess.run(["deluser", "postfix", "sasl"], check=True, capture_output=True)


@pytest.fixture(scope="module")
def smtp_service():
    """The PAM service Postfix names (smtpd_sasl_service); tests write it."""
    svc = mc.FixedPamService()
    try:
        yield svc
    finally:
        svc.remove()


@pytest.fixture(scope="module")
def postfix(mailroot, saslauthd, smtp_service, sasl_group):
    pf = mc.Postfix(mailroot, smtp_service.name, saslauthd.mux).start()
    try:
        yield pf
    finally:
        _assert_stopped(pf, pf.stop(), str(pf.config_dir))


# --------------------------------------------------------------------------
# saslauthd directly (testsaslauthd)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("crypt", [1, 3, 0])
def test_saslauthd_answers(saslauthd, pam_service_factory, module, db, crypt):
    db.add_user(f"alice@{REALM}", stored(PW, crypt))
    svc = pam_service_factory(module, module_lines(db, crypt=crypt))
    check = functools.partial(saslauthd.check, svc)

    # The first link alone, as the guide tests it: pamtester.
    t = ph.run_pamtester(svc, f"alice@{REALM}", [PW], ops=("authenticate", "acct_mgmt"))
    assert t.code == ph.PAM_SUCCESS and t.codes == [0, 0], t.describe()
    t = ph.run_pamtester(svc, f"alice@{REALM}", [WRONG], ops=("authenticate", "acct_mgmt"))
    assert t.code == ph.PAM_AUTH_ERR, t.describe()

    r = check("alice", PW, realm=REALM)
    assert r.ok is True and r.line == '0: OK "Success."', r.describe()
    r = check(f"alice@{REALM}", PW)  # user@domain as one login
    assert r.ok is True, r.describe()
    r = check("alice", WRONG, realm=REALM)
    assert r.ok is False and r.line == '0: NO "authentication failed"', r.describe()
    r = check("alice", PW + "x", realm=REALM)
    assert r.ok is False, r.describe()
    r = check("nobody", PW, realm=REALM)  # unknown user
    assert r.ok is False, r.describe()
    r = check("alice", PW, realm="example.com")  # right login, other domain
    assert r.ok is False, r.describe()
    r = check("alice", PW)  # the bare login is not in the table
    assert r.ok is False, r.describe()
    if crypt == 1:  # other crypt(3) schemes of the same column
        db.add_user(f"md5crypt@{REALM}", crypt_hash(PW, "1"))
        db.add_user(f"sha256@{REALM}", crypt_hash(PW, "5"))
        assert check("md5crypt", PW, realm=REALM).ok is True
        assert check("sha256", PW, realm=REALM).ok is True
        assert check("sha256", WRONG, realm=REALM).ok is False


def test_saslauthd_realm_reaches_pam_whole(saslauthd, saslauthd_norealm, pam_service_factory,
                                           module, db, tmp_path):
    # pam_exec records PAM_USER as libpam hands it to the modules, so this
    # shows what reached PAM independently of the module under test.
    seen = tmp_path / "pam_user.log"
    db.add_user(f"dave@{REALM}", "pw-dave")  # table keyed by user@domain
    db.add_user("carol", "pw-carol")          # table keyed by the bare login
    svc = pam_service_factory(module, [
        f"auth optional pam_exec.so quiet log={seen} /usr/bin/printenv PAM_USER",
        *module_lines(db, crypt=0),
    ])

    def users_seen(run) -> list[str]:
        seen.unlink(missing_ok=True)
        r = run()
        text = seen.read_text() if seen.exists() else ""
        return r, [ln for ln in text.splitlines() if ln and not ln.startswith("***")]

    # -r: login@realm reaches PAM whole.
    r, users = users_seen(lambda: saslauthd.check(svc, "dave", "pw-dave", realm=REALM))
    assert r.ok is True and users == [f"dave@{REALM}"], (r.describe(), users)
    r, users = users_seen(lambda: saslauthd.check(svc, "carol", "pw-carol", realm=REALM))
    assert r.ok is False and users == [f"carol@{REALM}"], (r.describe(), users)
    # No realm: the login as given, either way.
    r, users = users_seen(lambda: saslauthd.check(svc, f"dave@{REALM}", "pw-dave"))
    assert r.ok is True and users == [f"dave@{REALM}"], (r.describe(), users)
    r, users = users_seen(lambda: saslauthd.check(svc, "carol", "pw-carol"))
    assert r.ok is True and users == ["carol"], (r.describe(), users)

    # Without -r: only the bare login reaches PAM, so the user@domain table
    # does not match and the bare-login one does.
    r, users = users_seen(lambda: saslauthd_norealm.check(svc, "dave", "pw-dave", realm=REALM))
    assert r.ok is False and users == ["dave"], (r.describe(), users)
    r, users = users_seen(lambda: saslauthd_norealm.check(svc, "carol", "pw-carol", realm=REALM))
    assert r.ok is True and users == ["carol"], (r.describe(), users)
    # A login that carries its domain itself is passed unchanged.
    r, users = users_seen(lambda: saslauthd_norealm.check(svc, f"dave@{REALM}", "pw-dave"))
    assert r.ok is True and users == [f"dave@{REALM}"], (r.describe(), users)
    # saslauthd's own debug log agrees.
    assert f"[user=dave@{REALM}] [service={svc}]" in saslauthd.log_text()


def test_saslauthd_split_columns(saslauthd, pam_service_factory, module, db):
    # The Postfix mailbox table of pam_mysql's usual saslauthd setup: local part and domain in two columns, joined by a
    # bracketed usercolumn expression.
    db.add_user("erin", stored(PW, 1), domain=REALM)
    db.add_user("erin", stored("other", 1), domain="example.com")
    svc = pam_service_factory(module, module_lines(
        db, crypt=1, usercolumn="CONCAT(username,'@',domain)"))
    assert saslauthd.check(svc, "erin", PW, realm=REALM).ok is True
    assert saslauthd.check(svc, "erin", "other", realm="example.com").ok is True
    assert saslauthd.check(svc, "erin", "other", realm=REALM).ok is False
    assert saslauthd.check(svc, "erin", PW).ok is False


def test_saslauthd_goes_through_pam(saslauthd, pam_service_factory, our_module, db):
    # The answers come from the PAM stack: pam_deny refuses the right
    # password, pam_permit accepts a wrong one; then the module decides.
    db.add_user(f"alice@{REALM}", stored(PW, 1))
    deny = pam_service_factory("pam_deny.so", ["auth required {module}",
                                               "account required pam_permit.so"])
    permit = pam_service_factory("pam_permit.so", ["auth required {module}",
                                                   "account required {module}"])
    ours = pam_service_factory(our_module, module_lines(db, crypt=1))
    assert saslauthd.check(deny, "alice", PW, realm=REALM).ok is False
    assert saslauthd.check(permit, "alice", WRONG, realm=REALM).ok is True
    assert saslauthd.check(permit, "nobody", "anything", realm=REALM).ok is True
    assert saslauthd.check(ours, "alice", PW, realm=REALM).ok is True
    assert saslauthd.check(ours, "alice", WRONG, realm=REALM).ok is False
    # The account line counts too (saslauthd calls pam_acct_mgmt).
    acct_deny = pam_service_factory(our_module, [
        module_lines(db, crypt=1)[0], "account required pam_deny.so"])
    assert saslauthd.check(acct_deny, "alice", PW, realm=REALM).ok is False
    # saslauthd refuses an empty password before PAM is asked: even
    # pam_permit does not make it succeed.
    r = saslauthd.check(permit, "alice", "", realm=REALM)
    assert r.ok is False, r.describe()
    # The same for passwords over 256 bytes (also through Postfix): a limit
    # of saslauthd, not of the module.
    assert saslauthd.check(permit, "alice", "p" * 256, realm=REALM).ok is True
    r = saslauthd.check(permit, "alice", "p" * 257, realm=REALM)
    assert r.ok is False, r.describe()


def test_saslauthd_credential_cache(mailroot, pam_service_factory, our_module, db):
    # -c, as in the documented OPTIONS: a success is cached, so after a
    # password change the old password keeps working until the cache entry
    # expires (-t, default 8 hours) or saslauthd restarts; the new one
    # works at once, wrong ones never.
    run_dir = mailroot.private_run_dir("saslauthd-cache")
    d = mc.Saslauthd(run_dir, realm=True, cache=True).start()
    try:
        assert "timeout    : 28800 seconds" in d.log_text(), d.log_text()
        db.add_user(f"frank@{REALM}", stored("old-pw", 1))
        svc = pam_service_factory(our_module, module_lines(db, crypt=1))
        assert d.check(svc, "frank", "old-pw", realm=REALM).ok is True
        db.sql(f"UPDATE users SET password = '{stored('new-pw', 1)}' "
               f"WHERE username = 'frank@{REALM}'")
        assert d.check(svc, "frank", "old-pw", realm=REALM).ok is True  # from the cache
        assert d.check(svc, "frank", "new-pw", realm=REALM).ok is True  # from PAM
        assert d.check(svc, "frank", "wrong", realm=REALM).ok is False
    finally:
        left = d.stop()
    _assert_stopped(d, left, str(d.run_dir))
    # A restart forgets the cache.
    d = mc.Saslauthd(run_dir, realm=True, cache=True).start()
    try:
        assert d.check(svc, "frank", "old-pw", realm=REALM).ok is False
        assert d.check(svc, "frank", "new-pw", realm=REALM).ok is True
    finally:
        left = d.stop()
    _assert_stopped(d, left, str(d.run_dir))


def test_saslauthd_lifecycle(mailroot, pam_service_factory):
    # The harness records master and worker PIDs and leaves nothing behind.
    d = mc.Saslauthd(mailroot.private_run_dir("saslauthd-life"), realm=True, workers=3).start()
    try:
        assert len(d.worker_pids) == 2 and mc.alive(d.master_pid), (d.pids, d.log_text())
        assert all(mc.alive(p) for p in d.pids), (d.pids, d.log_text())
        assert mc.session_members(d.master_pid) == sorted(d.pids), \
            (mc.session_members(d.master_pid), d.pids, d.log_text())
        svc = pam_service_factory("pam_permit.so", ["auth required {module}",
                                                    "account required {module}"])
        assert d.check(svc, "x", "y", realm=REALM).ok is True
        pids = d.pids
    finally:
        left = d.stop()
    _assert_stopped(d, left, str(d.run_dir))
    assert not any(mc.alive(p) for p in pids), pids
    # Nothing answers on the socket any more, and stop() left no stale socket
    # file (saslauthd unlinks it on SIGTERM only when the master wins the race
    # with its children; the harness removes what it leaves).
    assert not mc.socket_listening(d.mux), d.log_text()
    assert not d.mux.exists(), d.log_text()


# --------------------------------------------------------------------------
# The differential suite: the same requests, both modules, same answers
# --------------------------------------------------------------------------


def _seed_differential(db) -> None:
    db.add_user(f"alice@{REALM}", stored(PW, 1))
    db.add_user(f"bob@{REALM}", stored("b0b", 3))
    db.add_user(f"o'brien@{REALM}", stored("quote'pw", 1))
    db.add_user(f"uni@{REALM}", stored("pässwörd-€", 1))
    db.add_user(f"expired@{REALM}", stored(PW, 1), status=1)
    db.add_user(f"renew@{REALM}", stored(PW, 1), status=2)
    db.add_user(f"nullpw@{REALM}", None)
    db.add_user(f"twice@{REALM}", stored(PW, 1))
    db.add_user(f"twice@{REALM}", stored(PW, 1))
    db.add_user(f"inactive@{REALM}", stored(PW, 1), active=0)
    db.add_user(f"plain@{REALM}", "plain pw with spaces")
    db.add_user(f"a%b_c@{REALM}", "wild")
    db.add_user(f"long@{REALM}", "p" * 256)
    db.add_user(f"longer@{REALM}", "p" * 257)
    db.add_user(f"nullstat@{REALM}", stored(PW, 1), status=None)
    db.add_user(f"dom@{REALM}", stored(PW, 1), domain=REALM)


def _differential_groups(db) -> list[tuple[str, dict, list[tuple]]]:
    """(label, module options, [(user, password, realm, expected ok)]);
    the expectations are the C module's behaviour (pam_mysql 0.8.2's pam_sm_authenticate and pam_sm_acct_mgmt)."""
    return [
        ("crypt=1", {"crypt": 1}, [
            ("alice", PW, REALM, True),
            ("alice", WRONG, REALM, False),
            ("ALICE", PW, REALM.upper(), True),  # case-insensitive collation
            (f"alice@{REALM}", PW, None, True),
            ("alice", PW, None, False),
            ("nobody", PW, REALM, False),
            ("o'brien", "quote'pw", REALM, True),
            ("o'brien", "quote", REALM, False),
            ("alice' OR '1'='1", PW, REALM, False),
            ("uni", "pässwörd-€", REALM, True),
            ("uni", "passwort-€", REALM, False),
            ("expired", PW, REALM, True),   # no statcolumn: status not read
            ("nullpw", "", REALM, False),   # empty: refused by saslauthd itself
            ("nullpw", "x", REALM, False),  # NULL stored, no nullok
            ("twice", PW, REALM, False),    # two rows
            ("alice", PW * 40, REALM, False),
        ]),
        ("crypt=3", {"crypt": 3}, [
            ("bob", "b0b", REALM, True),
            ("bob", "B0B", REALM, False),
            ("alice", PW, REALM, False),  # a $6$ value is no MD5 hex
        ]),
        ("crypt=0", {"crypt": 0}, [
            ("plain", "plain pw with spaces", REALM, True),
            ("plain", "plain pw with spaces ", REALM, False),
            ("alice", crypt_hash(PW), REALM, True),  # compares the stored text
            ("alice", PW, REALM, False),
            ("a%b_c", "wild", REALM, True),
            ("a_b%c", "wild", REALM, False),  # = is no LIKE: no wildcards
            ("a%", "wild", REALM, False),
            ("long", "p" * 256, REALM, True),
            # saslauthd's limit, not the module's: longer passwords never
            # reach PAM intact (both modules say NO).
            ("longer", "p" * 257, REALM, False),
        ]),
        ("statcolumn", {"crypt": 1, "statcolumn": "status"}, [
            ("alice", PW, REALM, True),
            ("expired", PW, REALM, False),  # account: PAM_ACCT_EXPIRED
            ("renew", PW, REALM, False),    # account: PAM_AUTHTOK_EXPIRED
        ]),
        ("statcolumn NULL", {"crypt": 1, "statcolumn": "status"}, [
            ("nullstat", PW, REALM, False),  # NULL status counts as 1: expired
        ]),
        ("where", {"crypt": 1, "where": "active=1"}, [
            ("alice", PW, REALM, True),
            ("inactive", PW, REALM, False),
        ]),
        ("where with spaces", {"crypt": 1, "where": f'domain="{REALM}" AND active=1'}, [
            ("dom", PW, REALM, True),
            ("alice", PW, REALM, False),  # domain NULL
        ]),
        # saslauthd does not pass PAM_DISALLOW_NULL_AUTHTOK: with nullok a
        # NULL stored password accepts any password through the chain.
        ("nullok", {"crypt": 1, "nullok": 1}, [
            ("nullpw", "x", REALM, True),
            ("nullpw", "anything at all", REALM, True),
            ("alice", WRONG, REALM, False),
        ]),
        # No earlier module supplies a password under saslauthd, and
        # use_first_pass never prompts: every login fails.
        ("use_first_pass", {"crypt": 1, "use_first_pass": 1}, [
            ("alice", PW, REALM, False),
        ]),
        ("try_first_pass=0", {"crypt": 1, "try_first_pass": 0}, [
            ("alice", PW, REALM, True),
            ("alice", WRONG, REALM, False),
        ]),
        ("bad table", {"crypt": 1, "table": "no_such_table"}, [("alice", PW, REALM, False)]),
        ("bad crypt", {"crypt": 42}, [("alice", PW, REALM, False)]),
        ("wrong db password", {"crypt": 1, "passwd": "not-it"}, [("alice", PW, REALM, False)]),
        ("socket host", {"crypt": 1, "host": db.socket}, [
            ("alice", PW, REALM, True),
            ("alice", WRONG, REALM, False),
        ]),
    ]


def test_saslauthd_case_table(saslauthd, pam_service_factory, module, db):
    _seed_differential(db)
    wrong = []
    for label, opts, cases in _differential_groups(db):
        svc = pam_service_factory(module, module_lines(db, **opts))
        for user, password, realm, expected in cases:
            r = saslauthd.check(svc, user, password, realm=realm)
            if r.ok is not expected:
                wrong.append(f"{label}: -u {user!r} -r {realm!r} -p {password!r}: "
                             f"{r.describe()} (expected {'OK' if expected else 'NO'})")
    assert not wrong, "\n".join(wrong)


def test_differential_saslauthd(saslauthd, pam_service_factory, oracle_module, our_module, db):
    # Same requests through the same saslauthd, the two modules alternating:
    # byte-identical testsaslauthd answers.
    _seed_differential(db)
    diffs = []
    for label, opts, cases in _differential_groups(db):
        svc = {kind: pam_service_factory(mod, module_lines(db, **opts))
               for kind, mod in (("oracle", oracle_module), ("ours", our_module))}
        for user, password, realm, _ in cases:
            o = saslauthd.check(svc["oracle"], user, password, realm=realm)
            u = saslauthd.check(svc["ours"], user, password, realm=realm)
            if (o.line, o.rc) != (u.line, u.rc):
                diffs.append(f"{label}: -u {user!r} -r {realm!r} -p {password!r}: "
                             f"oracle {o.describe()} / ours {u.describe()}")
    # The database down: both say NO (PAM_AUTHINFO_UNAVAIL inside).
    db.add_user(f"down@{REALM}", stored(PW, 1))
    svc = {kind: pam_service_factory(mod, module_lines(db, crypt=1))
           for kind, mod in (("oracle", oracle_module), ("ours", our_module))}
    with db.stopped():
        o = saslauthd.check(svc["oracle"], "down", PW, realm=REALM)
        u = saslauthd.check(svc["ours"], "down", PW, realm=REALM)
    assert o.ok is False, o.describe()
    if (o.line, o.rc) != (u.line, u.rc):
        diffs.append(f"database down: oracle {o.describe()} / ours {u.describe()}")
    # Back up; then a restart behind warm (pooled) connections: the next
    # login still succeeds with both modules.
    for _ in range(3):
        for kind in ("oracle", "ours"):
            assert saslauthd.check(svc[kind], "down", PW, realm=REALM).ok is True, kind
    with db.stopped():
        pass
    for kind in ("oracle", "ours"):
        r = saslauthd.check(svc[kind], "down", PW, realm=REALM)
        assert r.ok is True, (kind, r.describe())
    assert not diffs, "\n".join(diffs)


def test_differential_queries_and_sqllog(saslauthd, pam_service_factory, oracle_module,
                                         our_module, db):
    # pam_mysql's usual saslauthd setup (crypt=3 on Postfix's mailbox table): through saslauthd (no password from an earlier
    # module) pam_mysql 0.8.2 first queries with no password, logs
    # AUTHENTICATION FALURE (FIRST_PASS), then prompts and queries again.
    # Ours prompts at once (README differences "Prompt before querying" and "FIRST_PASS rows"): one SELECT and
    # one log row fewer; the answers are the same.
    db.add_user(f"alice@{REALM}", stored(PW, 1))
    opts = dict(crypt=1, sqllog=1, logtable="log", logmsgcolumn="msg", logusercolumn="user",
                logpidcolumn="pid", loghostcolumn="host", logrhostcolumn="rhost",
                logtimecolumn="logtime")
    seen = {}
    for kind, mod in (("oracle", oracle_module), ("ours", our_module)):
        svc = pam_service_factory(mod, module_lines(db, **opts))
        for pw in (PW, WRONG):
            db.clear_log()
            before = db.status("Com_select")
            r = saslauthd.check(svc, "alice", pw, realm=REALM)
            selects = db.status("Com_select") - before
            rows = [(x["msg"], x["user"], x["rhost"]) for x in db.log_rows()]
            seen[(kind, pw)] = (r.line, selects, rows)
    first = ("AUTHENTICATION FALURE (FIRST_PASS)", f"alice@{REALM}", "(unknown)")
    ok_rows = [("AUTHENTICATION SUCCESS", f"alice@{REALM}", "(unknown)"),
               ("QUERYING SUCCESS", f"alice@{REALM}", "(unknown)")]
    bad_rows = [("AUTHENTICATION FAILURE", f"alice@{REALM}", "(unknown)")]
    # SELECTs per login (README, Performance): pam_mysql 2 + 1 for the
    # account line; ours 1, the account line reusing the row.
    assert seen[("oracle", PW)] == ('0: OK "Success."', 3, [first, *ok_rows]), seen
    assert seen[("ours", PW)] == ('0: OK "Success."', 1, ok_rows), seen
    assert seen[("oracle", WRONG)] == ('0: NO "authentication failed"', 2, [first, *bad_rows]), seen
    assert seen[("ours", WRONG)] == ('0: NO "authentication failed"', 1, bad_rows), seen

    # Connections: pam_mysql connects anew for every PAM call; ours keeps
    # one per saslauthd process (the master and its worker both accept).
    conns = {}
    for kind, mod in (("oracle", oracle_module), ("ours", our_module)):
        svc = pam_service_factory(mod, module_lines(db, crypt=1))
        assert saslauthd.check(svc, "alice", PW, realm=REALM).ok is True
        assert saslauthd.check(svc, "alice", PW, realm=REALM).ok is True  # warm both processes
        before = db.status("Connections")
        for _ in range(6):
            assert saslauthd.check(svc, "alice", PW, realm=REALM).ok is True
        # minus 1: db.status() itself connects once
        conns[kind] = db.status("Connections") - before - 1
    assert conns["oracle"] == 12, conns  # two connections per login (auth, account)
    # ours: none, or one if a process got no warm-up request above.
    assert conns["ours"] <= 1, conns


# --------------------------------------------------------------------------
# Through Postfix (swaks)
# --------------------------------------------------------------------------


def _auth_code(postfix, mech: str, user: str, password: str, **kw) -> tuple[str | None, mc.SmtpResult]:
    r = postfix.smtp(auth=mech, user=user, password=password, **kw)
    return r.auth_code(), r


def test_postfix_config_is_clean(postfix, smtp_service):
    # postfix check printed no warning, and postconf -e wrote what the guide says.
    assert postfix.check_output == "", postfix.check_output
    r = postfix.postfix("check")
    assert r.returncode == 0 and r.stdout + r.stderr == "", r
    conf = subprocess.run(["postconf", "-c", str(postfix.config_dir), "-n"],
                          capture_output=True, text=True, check=True).stdout
    for line in mc.SMTP_AUTH_SETTINGS:
        if "{" not in line:
            assert line in conf.splitlines(), (line, conf)
    assert f"smtpd_sasl_service = {smtp_service.name}" in conf.splitlines()


def test_postfix_auth_only_after_starttls(postfix, saslauthd, smtp_service, our_module, db):
    db.add_user(f"alice@{REALM}", stored(PW, 1))
    smtp_service.write(our_module, module_lines(db, crypt=1))
    for port in (postfix.port, postfix.chroot_port):
        plain = postfix.smtp(tls=False, quit_after="EHLO", port=port)
        kws = plain.ehlo_keywords(after_tls=False)
        assert "STARTTLS" in kws, plain.describe()
        assert not any(k.startswith("AUTH") for k in kws), plain.describe()
        tls = postfix.smtp(tls=True, quit_after="EHLO", port=port)
        assert "AUTH PLAIN LOGIN" in tls.ehlo_keywords(after_tls=True), tls.describe()

    # An AUTH command without STARTTLS is refused before SASL is asked.
    mark = saslauthd.log_mark()
    token = base64.b64encode(f"\0alice@{REALM}\0{PW}".encode()).decode()
    with smtplib.SMTP("127.0.0.1", postfix.port, local_hostname="client.pmtest.invalid",
                      timeout=30) as s:
        s.ehlo()
        code, msg = s.docmd("AUTH", f"PLAIN {token}")
    assert code == 503, (code, msg)
    # swaks does not even try: the server did not advertise AUTH.
    r = postfix.smtp(tls=False, auth="PLAIN", user=f"alice@{REALM}", password=PW)
    assert r.rc != 0 and r.auth_code() is None, r.describe()
    assert "auth success" not in saslauthd.log_since(mark)
    assert "[user=" not in saslauthd.log_since(mark)


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_postfix_smtp_auth(postfix, saslauthd, smtp_service, module, db, mech):
    db.add_user(f"alice@{REALM}", stored(PW, 1))
    smtp_service.write(module, module_lines(db, crypt=1))
    mark = saslauthd.log_mark()
    code, r = _auth_code(postfix, mech, f"alice@{REALM}", PW)
    assert code == "235", r.describe()
    # What saslauthd got: login and realm split by Cyrus SASL, joined by -r.
    assert (f"auth success: [user=alice@{REALM}] [service={smtp_service.name}] "
            f"[realm={REALM}]") in saslauthd.log_since(mark), saslauthd.log_since(mark)
    code, r = _auth_code(postfix, mech, f"alice@{REALM}", WRONG)
    assert code == "535", r.describe()
    code, r = _auth_code(postfix, mech, f"nobody@{REALM}", PW)
    assert code == "535", r.describe()
    code, r = _auth_code(postfix, mech, "alice", PW)  # bare login: not in the table
    assert code == "535", r.describe()


def test_postfix_chroot_listener(postfix, smtp_service, module, db):
    # chroot = y: smtpd reaches saslauthd at /var/run/saslauthd/mux inside
    # its chroot (the queue directory), the Debian layout of the doc.
    db.add_user(f"alice@{REALM}", stored(PW, 3))
    smtp_service.write(module, module_lines(db, crypt=3))
    code, r = _auth_code(postfix, "PLAIN", f"alice@{REALM}", PW, port=postfix.chroot_port)
    assert code == "235", r.describe()
    code, r = _auth_code(postfix, "LOGIN", f"alice@{REALM}", WRONG, port=postfix.chroot_port)
    assert code == "535", r.describe()


def test_postfix_relay_needs_auth(postfix, smtp_service, our_module, db):
    db.add_user(f"alice@{REALM}", stored(PW, 0))
    smtp_service.write(our_module, module_lines(db, crypt=0))
    r = postfix.smtp(auth="LOGIN", user=f"alice@{REALM}", password=PW, quit_after="RCPT")
    assert r.auth_code() == "235", r.describe()
    reply = r.reply_after("RCPT TO:<rcpt@example.net>")
    assert reply is not None and reply.startswith("250"), r.describe()

    for tls in (True, False):
        r = postfix.smtp(tls=tls, quit_after="RCPT")
        reply = r.reply_after("RCPT TO:<rcpt@example.net>")
        assert reply is not None and re.match(r"(554|454) .*Relay access denied", reply), \
            r.describe()
    # A failed AUTH does not open the relay either.
    r = postfix.smtp(auth="PLAIN", user=f"alice@{REALM}", password=WRONG, quit_after="RCPT")
    assert r.auth_code() == "535", r.describe()
    assert r.reply_after("RCPT TO:<rcpt@example.net>") is None, r.describe()  # swaks stops
    assert f"sasl_method=LOGIN, sasl_username=alice@{REALM}" in postfix.log_text()


def test_postfix_goes_through_pam(postfix, smtp_service, our_module, db):
    db.add_user(f"alice@{REALM}", stored(PW, 1))
    user = f"alice@{REALM}"
    smtp_service.write("pam_deny.so", ["auth required {module}", "account required pam_permit.so"])
    assert _auth_code(postfix, "PLAIN", user, PW)[0] == "535"
    smtp_service.write("pam_permit.so", ["auth required {module}", "account required {module}"])
    assert _auth_code(postfix, "PLAIN", user, WRONG)[0] == "235"
    assert _auth_code(postfix, "LOGIN", "nobody", "anything")[0] == "235"
    assert _auth_code(postfix, "PLAIN", user, "p" * 256)[0] == "235"
    assert _auth_code(postfix, "PLAIN", user, "p" * 257)[0] == "535"  # saslauthd's limit
    smtp_service.write(our_module, module_lines(db, crypt=1))
    assert _auth_code(postfix, "PLAIN", user, PW)[0] == "235"
    assert _auth_code(postfix, "PLAIN", user, WRONG)[0] == "535"
    assert _auth_code(postfix, "LOGIN", "nobody", "anything")[0] == "535"


def test_postfix_shipped_pam_example(postfix, smtp_service, module, db):
    # pam.d-examples/smtp, as shipped, with only the database coordinates
    # and the table name replaced: the active flag works through the chain.
    text = (ph.REPO / "pam.d-examples" / "smtp").read_text()
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    subst = {"user": db.db_user, "passwd": db.db_password, "host": db.tcp_host,
             "db": db.db_name, "table": "users"}
    out = []
    for ln in lines:
        ln = ln.replace("pam_mysql.so", "{module}", 1)
        for key, value in subst.items():
            ln, n = re.subn(rf"(?<=\s){key}=\S+", f"{key}={value}", ln)
            assert n == 1, (key, ln)
        out.append(ln)
    smtp_service.write(module, out)
    db.add_user(f"alice@{REALM}", stored(PW, 1))
    db.add_user(f"gone@{REALM}", stored(PW, 1), active=0)
    assert _auth_code(postfix, "PLAIN", f"alice@{REALM}", PW)[0] == "235"
    assert _auth_code(postfix, "PLAIN", f"alice@{REALM}", WRONG)[0] == "535"
    assert _auth_code(postfix, "LOGIN", f"gone@{REALM}", PW)[0] == "535"  # account: inactive


def test_postfix_stops_cleanly(postfix, saslauthd):
    # Last test of the file: stop Postfix here (the fixture's teardown then
    # has nothing left to do) and check nothing of it remains.
    pids = postfix.running_pids()
    assert postfix.master_pid in pids and len(pids) >= 3, pids
    names = {mc.cmdline(p)[0].rsplit("/", 1)[-1] for p in pids if mc.cmdline(p)}
    assert {"master", "smtpd", "qmgr"} <= names, names
    left = postfix.stop()
    _assert_stopped(postfix, left, str(postfix.config_dir))
    assert not any(mc.alive(p) for p in pids)
    log = postfix.log_text()
    assert "stopping the Postfix mail system" in log
    assert not re.search(r"\b(fatal|panic):", log), log[-5000:]
