"""crypt=dovecot against the real Dovecot (Debian 12: dovecot-core 2.3.19.1).

Every scheme `doveadm pw -l` lists is generated with `doveadm pw`, stored in the
test MariaDB, and checked through our module (pamtester, crypt=dovecot) with the
right and a wrong password.  A private Dovecot (its own base_dir, passdb sql on the
same table, the configuration of README "Sharing the user table with Dovecot")
answers `doveadm auth test` for the same rows, and the two must agree on every case.

Needs dovecot-core and dovecot-mysql (scripts/install-deps.sh installs them);
installs nothing itself.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest

from pamharness import (
    BUILD_DIR,
    LOG_ERR,
    PAM_AUTH_ERR,
    PAM_SERVICE_ERR,
    PAM_SUCCESS,
    PAM_USER_UNKNOWN,
    MariaDB,
    child_env,
    run_pam_loop,
    run_pamtester,
)

# What Debian 12's `doveadm pw -l` prints, and what our registry implements
# (Sources/PAMMySQLCore/Schemes/Dovecot/DovecotSchemes.swift).  A Dovecot that
# lists another scheme fails test_doveadm_lists_exactly_our_schemes.
DEBIAN12_SCHEMES = {
    "SHA1", "SSHA512", "SCRAM-SHA-256", "BLF-CRYPT", "PLAIN", "HMAC-MD5", "OTP",
    "SHA512", "SHA", "DES-CRYPT", "CRYPT", "SSHA", "MD5-CRYPT", "PLAIN-MD4",
    "PLAIN-MD5", "SCRAM-SHA-1", "SHA512-CRYPT", "CLEAR", "CLEARTEXT", "ARGON2I",
    "ARGON2ID", "SSHA256", "MD5", "PBKDF2", "SHA256", "CRAM-MD5", "PLAIN-TRUNC",
    "SHA256-CRYPT", "SMD5", "DIGEST-MD5", "LDAP-MD5",
}
# Dovecot 2.4's weak list (auth_allow_weak_schemes); refused by default here.
WEAK = {"MD5", "MD5-CRYPT", "SMD5", "HMAC-MD5", "PLAIN-MD4", "PLAIN-MD5", "LDAP-MD5", "DES-CRYPT"}
# Encoded variants postfixadmin writes, generated the same way.
ENCODED = ["SHA512-CRYPT.B64", "BLF-CRYPT.B64", "SHA256-CRYPT.B64", "ARGON2ID.B64", "SHA256.HEX", "SSHA.HEX"]

PASSWORD = "Pässwörd with spaces & 'quotes'"
WRONG = "wrong-" + PASSWORD

# The one query both sides use (README "Sharing the user table with Dovecot"): Dovecot's
# password_query, and our `query` option, verbatim.
PASSWORD_QUERY = "SELECT password FROM users WHERE username = '%u'"
SPLIT_QUERY = "SELECT password FROM users WHERE username = '%n' AND domain = '%d'"


def doveadm(*args: str) -> str:
    proc = subprocess.run(["doveadm", *args], capture_output=True, text=True, timeout=60, env=child_env())
    assert proc.returncode == 0, f"doveadm {' '.join(args)}: {proc.stderr}"
    return proc.stdout.strip()


def generate(scheme: str, user: str, password: str = PASSWORD) -> str:
    """`doveadm pw` as an administrator (or postfixadmin's dovecot:SCHEME) runs it."""
    return doveadm("pw", "-s", scheme, "-p", password, "-u", user)


def tool_value(scheme: str, user: str, password: str = PASSWORD) -> tuple[str, str]:
    """`pam-mysql hash --scheme dovecot:SCHEME --user USER`: (value, stderr)."""
    tool = BUILD_DIR / "pam-mysql"
    proc = subprocess.run(
        [str(tool), "hash", "--scheme", f"dovecot:{scheme}", "--user", user, "--password-stdin"],
        input=(password + "\n").encode(), capture_output=True, timeout=120, env=child_env())
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 0, f"pam-mysql hash dovecot:{scheme}: rc={proc.returncode} {err}"
    assert password not in err
    if scheme not in ("PLAIN", "CLEAR", "CLEARTEXT", "PLAIN-TRUNC"):  # these store it as it is
        assert password not in out
    return out.strip(), err


def user_for(scheme: str) -> str:
    return f"{scheme.lower()}@example.com"


class PrivateDovecot:
    """A Dovecot with only the auth service, in its own directory, whose passdb sql reads
    the test MariaDB.  Started with `dovecot -c`, stopped by its master pid."""

    def __init__(self, db: MariaDB, query: str):
        self.dir = Path(tempfile.mkdtemp(prefix="pmtest-dovecot-"))
        self.dir.chmod(0o755)  # auth processes run as the dovecot user
        self.conf = self.dir / "dovecot.conf"
        self.log = self.dir / "dovecot.log"
        (self.dir / "dovecot-sql.conf.ext").write_text(
            "driver = mysql\n"
            f"connect = host=127.0.0.1 port={db.port} dbname={db.db_name} "
            f"user={db.db_user} password={db.db_password}\n"
            "default_pass_scheme = CRYPT\n"
            f"password_query = {query}\n"
        )
        self.conf.write_text(
            f"base_dir = {self.dir}/run\n"
            f"state_dir = {self.dir}/state\n"
            f"log_path = {self.log}\n"
            "protocols =\n"
            "ssl = no\n"
            "auth_failure_delay = 0\n"
            "auth_verbose = yes\n"
            "passdb {\n  driver = sql\n"
            f"  args = {self.dir}/dovecot-sql.conf.ext\n}}\n"
            "userdb {\n  driver = static\n  args = uid=nobody gid=nogroup home=/nonexistent\n}\n"
        )
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        # The master daemonizes; its output goes to a file, or the pipe would stay open.
        with open(self.dir / "start.out", "wb") as out:
            proc = subprocess.run(
                ["dovecot", "-c", str(self.conf)], stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                timeout=30, env=child_env(),
            )
        if proc.returncode != 0:
            raise RuntimeError(f"dovecot did not start: {(self.dir / 'start.out').read_text()}")
        socket = self.dir / "run" / "auth-client"
        deadline = time.monotonic() + 15
        while not socket.exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"dovecot's auth-client socket did not appear:\n{self.log_text()}")
            time.sleep(0.05)

    def accepts(self, user: str, password: str) -> bool:
        """`doveadm auth test`: exit 0 = success, 77 = authentication failed."""
        proc = subprocess.run(
            ["doveadm", "-c", str(self.conf), "auth", "test", "-x", "service=smtp", "-x", "no-penalty=1", user, password],
            capture_output=True, text=True, timeout=60, env=child_env(),
        )
        assert proc.returncode in (0, 77), f"doveadm auth test: rc={proc.returncode} {proc.stderr}\n{self.log_text()}"
        return proc.returncode == 0

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def stop(self) -> None:
        pid_file = self.dir / "run" / "master.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().split()[0])
            try:
                os.kill(pid, signal.SIGTERM)
                for _ in range(100):
                    os.kill(pid, 0)
                    time.sleep(0.05)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def dovecot(mariadb: MariaDB) -> Iterator[PrivateDovecot]:
    server = PrivateDovecot(mariadb, PASSWORD_QUERY)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dovecot_service(pam_service_factory, our_module, db):
    """make(**options) -> service with auth+account lines of ours in crypt=dovecot, the
    password SELECT being the same query as Dovecot's."""

    def make(**options):
        options.setdefault("crypt", "dovecot")
        options.setdefault("query", PASSWORD_QUERY)
        args = db.pam_args(**options)
        return pam_service_factory(our_module, [f"auth required {{module}} {args}", f"account required {{module}} {args}"])

    return make


def test_doveadm_pw_works_without_a_running_dovecot():
    assert generate("PLAIN", "x").startswith("{PLAIN}")


def test_doveadm_lists_exactly_our_schemes():
    assert set(doveadm("pw", "-l").split()) == DEBIAN12_SCHEMES


def stored_values() -> dict[str, str]:
    """scheme -> what doveadm writes for PASSWORD (and the user, for DIGEST-MD5)."""
    values = {s: generate(s, user_for(s)) for s in sorted(DEBIAN12_SCHEMES | set(ENCODED))}
    # doveadm writes {PLAIN-TRUNC}<password>, which Dovecot itself refuses ("missing
    # length: prefix"); the documented form carries the stored length.
    values["PLAIN-TRUNC"] = f"{{PLAIN-TRUNC}}{len(PASSWORD.encode())}-{PASSWORD}"
    return values


def test_every_doveadm_scheme_verifies_through_our_module_and_dovecot_agrees(db, dovecot, dovecot_service):
    _assert_both_verify(stored_values(), db, dovecot, dovecot_service)


def test_every_value_our_tool_writes_verifies_through_our_module_and_dovecot_agrees(db, dovecot, dovecot_service):
    # pam-mysql hash writes every scheme doveadm does (and PLAIN-TRUNC with its length,
    # which Dovecot can then verify); a weak scheme comes with a warning on stderr.
    values = {}
    for scheme in sorted(DEBIAN12_SCHEMES | set(ENCODED)):
        values[scheme], err = tool_value(scheme, user_for(scheme))
        assert values[scheme].startswith(f"{{{scheme}}}"), values[scheme]
        assert ("weak scheme" in err) == (scheme in WEAK), f"{scheme}: {err!r}"
    _assert_both_verify(values, db, dovecot, dovecot_service)


def _assert_both_verify(values: dict[str, str], db, dovecot, dovecot_service) -> None:
    for scheme, stored in values.items():
        db.add_user(user_for(scheme), stored)
    service = dovecot_service(allow_weak_schemes=1)
    report = []
    for scheme, stored in values.items():
        user = user_for(scheme)
        right = run_pamtester(service, user, [PASSWORD])
        wrong = run_pamtester(service, user, [WRONG])
        ours = (right.code, wrong.code)
        theirs = (dovecot.accepts(user, PASSWORD), dovecot.accepts(user, WRONG))
        report.append(f"{scheme:18} ours={ours} dovecot={theirs} {stored[:40]}")
        assert ours == (PAM_SUCCESS, PAM_AUTH_ERR), f"{scheme}: {stored}\n{right.describe()}\n{wrong.describe()}"
        assert theirs == (True, False), f"{scheme}: Dovecot disagrees\n{dovecot.log_text()}"
    print("\n".join(report))


def test_libsodium_is_loaded_only_by_a_process_that_meets_an_argon2_value(db, dovecot_service):
    # The module opens libsodium on first use instead of linking it (a cheaper dlopen for
    # everyone else); the dynamic loader's own trace shows which process loads it.
    db.add_user("argon@example.com", generate("ARGON2ID", "argon@example.com"))
    db.add_user("sha@example.com", generate("SHA512-CRYPT", "sha@example.com"))
    service = dovecot_service()
    for user, loads in (("sha@example.com", False), ("argon@example.com", True)):
        r = run_pamtester(service, user, [PASSWORD], env={"LD_DEBUG": "libs"})
        assert r.code == PAM_SUCCESS, r.describe()
        assert ("libsodium.so.23" in r.stderr) == loads, f"{user}: {r.stderr[-3000:]}"


def test_weak_schemes_are_refused_by_default_with_a_clear_log_line(db, dovecot_service):
    values = stored_values()
    for scheme, stored in values.items():
        db.add_user(user_for(scheme), stored)
    service = dovecot_service()
    for scheme in sorted(DEBIAN12_SCHEMES):
        r = run_pamtester(service, user_for(scheme), [PASSWORD])
        # CRYPT's doveadm default is bcrypt, not weak.
        if scheme in WEAK:
            assert r.code == PAM_SERVICE_ERR, f"{scheme}\n{r.describe()}"
            assert r.logged("weak password scheme", LOG_ERR) and r.logged("allow_weak_schemes"), r.describe()
        else:
            assert r.code == PAM_SUCCESS, f"{scheme}\n{r.describe()}"


def test_doveadm_plain_trunc_output_is_refused_by_both(db, dovecot, dovecot_service):
    # The one doveadm output Dovecot cannot verify: no length prefix.
    db.add_user("trunc@example.com", generate("PLAIN-TRUNC", "trunc@example.com"))
    r = run_pamtester(dovecot_service(), "trunc@example.com", [PASSWORD])
    assert r.code == PAM_SERVICE_ERR and r.logged("PLAIN-TRUNC value lacks its <length>- prefix", LOG_ERR), r.describe()
    assert not dovecot.accepts("trunc@example.com", PASSWORD)


def test_unprefixed_values_and_the_default_scheme_agree_with_dovecot(db, dovecot, dovecot_service):
    # What postfixadmin writes without a prefix, and default_pass_scheme = CRYPT on both sides.
    cases = {
        "md5crypt@example.com": generate("MD5-CRYPT", "x").removeprefix("{MD5-CRYPT}"),
        "sha512@example.com": generate("SHA512-CRYPT", "x").removeprefix("{SHA512-CRYPT}"),
        "bcrypt@example.com": generate("BLF-CRYPT", "x").removeprefix("{BLF-CRYPT}"),
        "des@example.com": generate("DES-CRYPT", "x").removeprefix("{DES-CRYPT}"),
    }
    for user, stored in cases.items():
        db.add_user(user, stored)
    service = dovecot_service(allow_weak_schemes=1)
    for user in cases:
        for password, expected in ((PASSWORD, PAM_SUCCESS), (WRONG, PAM_AUTH_ERR)):
            r = run_pamtester(service, user, [password])
            assert r.code == expected, f"{user}\n{r.describe()}"
            assert dovecot.accepts(user, password) == (expected == PAM_SUCCESS), user


def test_malformed_values_are_service_errors_and_dovecot_refuses_them_too(db, dovecot, dovecot_service):
    cases = {
        "unknown@example.com": ("{NOSUCH}abc", "unknown password scheme {NOSUCH}"),
        "badlen@example.com": ("{SHA256}YWJj", "decodes to 3 bytes instead of 32"),
        "scram@example.com": ("{SCRAM-SHA-1}4096,abc", "SCRAM value has 2 fields instead of 4"),
        "costly@example.com": ("{PBKDF2}$1$salt$99999999$50a83cafdc517b9f46519415e53c6a858908680a", "PBKDF2 rounds"),
    }
    for user, (stored, _) in cases.items():
        db.add_user(user, stored)
    service = dovecot_service(verbose=1)
    for user, (stored, reason) in cases.items():
        r = run_pamtester(service, user, [PASSWORD])
        assert r.code == PAM_SERVICE_ERR and not r.crashed, f"{user}\n{r.describe()}"
        assert r.logged(f'stored password of user "{user}" is not a valid crypt=dovecot value: ', LOG_ERR), r.describe()
        assert r.logged(reason, LOG_ERR), r.describe()
        # Never the stored value, never the password, even with verbose.
        assert not any(stored in m or "Pässwörd" in m for m in r.messages), r.describe()
        # Dovecot has no cap: it spends minutes on 99,999,999 PBKDF2 rounds (what our cap prevents).
        if user != "costly@example.com":
            assert not dovecot.accepts(user, PASSWORD)


def test_query_binds_local_part_and_domain(db, dovecot_service):
    # A table keyed by local part and domain, no SQL tricks in usercolumn.
    db.add_user("alice", generate("SHA512-CRYPT", "x"), domain="example.com")
    db.add_user("alice", "{PLAIN}other-domain", domain="example.org")
    service = dovecot_service(query=SPLIT_QUERY)
    assert run_pamtester(service, "alice@example.com", [PASSWORD]).code == PAM_SUCCESS
    assert run_pamtester(service, "alice@example.org", ["other-domain"]).code == PAM_SUCCESS
    assert run_pamtester(service, "alice@example.org", [PASSWORD]).code == PAM_AUTH_ERR
    assert run_pamtester(service, "alice@example.net", [PASSWORD]).code == PAM_USER_UNKNOWN
    # A quote in the user name is a bound byte, not SQL.
    assert run_pamtester(service, "x' OR '1'='1@example.com", [PASSWORD]).code == PAM_USER_UNKNOWN


def test_split_query_agrees_with_dovecot(mariadb, db):
    db.add_user("bob", generate("SSHA256", "x"), domain="example.com")
    server = PrivateDovecot(mariadb, SPLIT_QUERY)
    try:
        assert server.accepts("bob@example.com", PASSWORD)
        assert not server.accepts("bob@example.com", WRONG)
        assert not server.accepts("bob@example.org", PASSWORD)
    finally:
        server.stop()


def test_invalid_query_is_a_service_error(db, dovecot_service):
    db.add_user("carol@example.com", "{PLAIN}pw")
    r = run_pamtester(dovecot_service(query="SELECT password FROM users WHERE username = '%Lu'"), "carol@example.com", ["pw"])
    assert r.code == PAM_SERVICE_ERR, r.describe()
    # Changed: the message named the variable (`%L`); it now gives its position only, since no
    # option-parse error quotes the value (README difference "No value in option errors").
    assert r.logged("invalid query value (argument query): unknown variable at character 46: use %u, %n, %d or %%",
                    LOG_ERR), r.describe()


def test_account_line_keeps_the_standard_status_query(db, dovecot_service):
    db.add_user("dave@example.com", "{PLAIN}pw", status=1)
    r = run_pamtester(dovecot_service(statcolumn="status"), "dave@example.com", ["pw"], ops=("auth", "acct"))
    assert r.codes == [PAM_SUCCESS, 13], r.describe()  # PAM_ACCT_EXPIRED


def test_password_change_stores_a_value_dovecot_accepts(db, dovecot, pam_service_factory, our_module):
    db.add_user("erin@example.com", generate("SHA256-CRYPT", "x"))
    args = db.pam_args(crypt="dovecot", query=PASSWORD_QUERY)
    service = pam_service_factory(our_module, [f"auth required {{module}} {args}", f"password required {{module}} {args}"])
    new = "n3w Pässword"
    r = run_pam_loop(service, "erin@example.com", answers=[new, new], ops=("chauthtok",))
    assert r.code == PAM_SUCCESS, r.describe()
    stored = db.password_of("erin@example.com")
    assert stored.startswith(b"{SHA512-CRYPT}$6$"), stored
    assert dovecot.accepts("erin@example.com", new) and not dovecot.accepts("erin@example.com", PASSWORD)
    assert run_pamtester(service, "erin@example.com", [new]).code == PAM_SUCCESS


def test_unknown_user_still_costs_a_verification(db, dovecot_service):
    r = run_pamtester(dovecot_service(), "nobody@example.com", [PASSWORD])
    assert r.code == PAM_USER_UNKNOWN, r.describe()
