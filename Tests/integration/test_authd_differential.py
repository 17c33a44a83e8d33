"""Issue 14: the differential.  The saslauthd case table of test_mail_chain.py
(_differential_groups: right, wrong, unknown, case, quotes, UTF-8, NULL stored, two rows,
over-long, statcolumn with expired / NULL status, where, nullok, socket host, ...) through
`saslauthd -a pam -r` + our pam_mysql.so and through pam-mysql-authd, the same pam.d
lines for both (/etc/pam.d/<service> for saslauthd, <pam-dir>/<service> for the daemon),
asked with the same testsaslauthd command: the answers are the same, byte for byte.

Where the daemon differs on purpose, both answers are written down:
  the database unreachable: saslauthd + PAM say NO (PAM_AUTHINFO_UNAVAIL); the daemon
    gives the empty reply, a temporary failure (Postfix 454, not 535);
  use_first_pass: under saslauthd no earlier module supplies the password, so every
    login fails; the daemon is handed the password with the request;
  two rows for one login: saslauthd + PAM say NO; the daemon gives the temporary failure
    (an administrator must act; nothing for fail2ban to count).
Broken configurations (no such table, crypt=42, wrong database password): see BROKEN.
"""

from __future__ import annotations

import pytest

import authdharness as ah
import mailchain as mc
from authdharness import AuthDaemon
from test_mail_chain import PW, REALM, WRONG, _differential_groups, _seed_differential, module_lines, stored

# Groups whose answers must be identical; the rest are listed in the docstring.
DIFFERENT_ON_PURPOSE = {"use_first_pass"}
# Broken configurations: saslauthd + PAM say NO; the daemon says NO for a service it refuses
# at load (crypt=42) and gives the temporary failure (None) for what only the database
# reveals (no such table, wrong database password): an administrator must act.
BROKEN = {"bad table": None, "bad crypt": False, "wrong db password": None}
# Single cases the daemon answers with the temporary failure where saslauthd + PAM say NO:
# an administrator must act (two rows for one login), the user did nothing wrong, so no NO
# that fail2ban would count (Sources/pam-mysql-authd/Login/LoginVerdictMapping.swift).
TEMPORARY_IN_THE_DAEMON = {("crypt=1", "twice")}


@pytest.fixture(scope="module")
def saslauthd():
    root = mc.MailRoot()
    d = mc.Saslauthd(root.private_run_dir("saslauthd"), realm=True).start()
    try:
        yield d
    finally:
        left = d.stop()
        root.destroy()
        assert left == [], left


def _extra_groups() -> list[tuple[str, dict, list[tuple]]]:
    return [
        ("empty stored", {"crypt": 0}, [
            ("empty", "", REALM, False),
            ("empty", "x", REALM, False),
        ]),
        ("over-long login", {"crypt": 0}, [
            ("u" * 250, "pw", REALM, False),
        ]),
    ]


def test_saslauthd_and_the_daemon_give_the_same_answers(saslauthd, pam_service_factory, our_module, db):
    _seed_differential(db)
    db.add_user(f"empty@{REALM}", "")
    groups = _differential_groups(db) + _extra_groups()
    svcs = {label: pam_service_factory(our_module, module_lines(db, **opts)) for label, opts, _ in groups}
    authd = AuthDaemon(dovecot=False)
    for label, opts, _ in groups:
        authd.write_service(str(svcs[label]), module_lines(db, **opts))
    try:
        authd.start()
        diffs, count = [], 0
        for label, _, cases in groups:
            svc = str(svcs[label])
            for user, password, realm, expected in cases:
                s = saslauthd.check(svc, user, password, realm=realm)
                a = authd.testsaslauthd(user, password, service=svc, realm=realm)
                count += 1
                where = f"{label}: -u {user[:40]!r} -r {realm!r}"
                if (label, user) in TEMPORARY_IN_THE_DAEMON:
                    if s.ok is not False or a.ok is not None or "bad response" not in a.stderr:
                        diffs.append(f"{where}: expected saslauthd NO and authd's temporary failure: "
                                     f"{s.describe()} / {a.describe()}")
                elif label in BROKEN:
                    if s.ok is not False or a.ok is not BROKEN[label]:
                        diffs.append(f"{where}: broken configuration: saslauthd {s.describe()} / "
                                     f"authd {a.describe()} (expected NO / {BROKEN[label]})")
                elif label in DIFFERENT_ON_PURPOSE:
                    if s.ok is not False or a.ok is not True:
                        diffs.append(f"{where}: expected saslauthd NO and authd OK: {s.describe()} / "
                                     f"{a.describe()}")
                elif (s.line, s.rc) != (a.line, a.rc) or s.ok is not expected:
                    diffs.append(f"{where}: saslauthd {s.describe()} / authd {a.describe()} "
                                 f"(expected {'OK' if expected else 'NO'})")
        assert count > 40
        assert not diffs, f"{len(diffs)} of {count} cases differ:\n" + "\n".join(diffs)
    finally:
        rc = authd.stop()
        text = authd.log_text()
        authd.destroy()
    assert rc == 0, text[-3000:]


def test_database_down_saslauthd_says_no_the_daemon_says_try_again(saslauthd, pam_service_factory,
                                                                   our_module, db):
    db.add_user(f"down@{REALM}", stored(PW, 1))
    lines = module_lines(db, crypt=1, **ah.fast_timeouts())
    svc = pam_service_factory(our_module, lines)
    authd = AuthDaemon(dovecot=False)
    authd.write_service(str(svc), lines)
    try:
        authd.start()
        assert saslauthd.check(svc, "down", PW, realm=REALM).ok is True
        assert authd.testsaslauthd("down", PW, service=str(svc), realm=REALM).ok is True
        with db.stopped():
            s = saslauthd.check(svc, "down", PW, realm=REALM)
            a = authd.sasl("down", PW, str(svc), REALM)
            t = authd.testsaslauthd("down", PW, service=str(svc), realm=REALM)
        assert s.ok is False and s.line == '0: NO "authentication failed"', s.describe()
        assert a.raw == b"\x00\x00", a
        assert t.ok is None, t.describe()
        assert authd.sasl("down", WRONG, str(svc), REALM).kind == "NO"  # back up
    finally:
        authd.destroy()
