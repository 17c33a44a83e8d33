"""The `pam-mysql` administrator's tool: check (every step, every failure), hash, auth.

Runs build/pam-mysql (set PAM_MYSQL_TOOL to test another binary) against the session's
MariaDB.  Every run's output is checked for secrets: the database password, the user's
password and the stored value must never appear.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import broken_config as bc
import pamharness as ph

TOOL = Path(os.environ.get("PAM_MYSQL_TOOL", ph.BUILD_DIR / "pam-mysql"))
PASSWORD = "S3cret-Pa55-word"
CRYPT_SHA512 = "$6$saltsalt$tu8Wv5x4x2vZqSLrBFC8tk11qPNdpEJHSVjkqZkkdG4lHqGc55wXf2fHn3sDpVYg4XKdNzDCTo6/JxRoknhqD1"


@pytest.fixture(scope="module")
def tool() -> Path:
    if not TOOL.exists():
        pytest.fail(f"{TOOL} is not built (run make)")
    return TOOL


def run(tool, *args, stdin: str | None = None, secrets: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(tool), *args], input=(stdin or "").encode(), capture_output=True, timeout=60,
        env=ph.child_env(),
    )
    out = result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")
    for secret in secrets:
        if secret:
            assert secret not in out, f"secret leaked in output: {out!r}"
    result.text = out  # type: ignore[attr-defined]
    return result


def line(db, **options) -> str:
    options.setdefault("crypt", 1)
    return f"auth required pam_mysql.so {db.pam_args(**options)}"


def secrets_of(db, stored: str | None = None) -> tuple[str, ...]:
    return (db.db_password, PASSWORD) + ((stored,) if stored else ())


def verdict(out: str, step: str) -> str:
    """The verdict word of the (last) line for step."""
    found = [l.split()[0] for l in out.splitlines() if l[6:].startswith(step)]
    assert found, f"no {step!r} line in {out!r}"
    return found[-1]


def test_check_all_ok_with_password(tool, db):
    stored = CRYPT_SHA512
    db.add_user("alice", stored)
    # CRYPT_SHA512 is not PASSWORD's hash: make one with the tool itself.
    made = run(tool, "hash", "--scheme", "sha512-crypt", "--password-stdin", stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.text
    stored = made.stdout.decode().strip()
    db.sql("DELETE FROM users")
    db.add_user("alice", stored)
    r = run(tool, "check", "--line", line(db), "alice", "--password-stdin", stdin=PASSWORD + "\n",
            secrets=secrets_of(db, stored))
    assert r.returncode == 0, r.text
    for step in ("options", "database reachable", "SQL login accepted", "table and columns",
                 "row for user", "stored value", "password"):
        assert verdict(r.text, step) == "OK", r.text


def test_check_service_file(tool, db, pam_service_factory, our_module):
    db.add_user("bob", CRYPT_SHA512)
    args = db.pam_args(crypt=1)
    svc = pam_service_factory(our_module, [f"auth required {{module}} {args}", f"account required {{module}} {args}"])
    r = run(tool, "check", svc, "bob", secrets=secrets_of(db, CRYPT_SHA512))
    assert r.returncode == 0, r.text
    assert r.text.count("== ") == 2
    assert verdict(r.text, "stored value") == "OK"


def test_check_misspelled_option_suggests(tool, db):
    r = run(tool, "check", "--line", line(db) + " usercolum=username", secrets=secrets_of(db))
    assert 'unknown option "usercolum"' in r.text and 'did you mean "usercolumn"?' in r.text, r.text
    assert verdict(r.text, "options") == "WARN"


def test_check_invalid_option_value_fails(tool, db):
    r = run(tool, "check", "--line", line(db, crypt="nonsense"), secrets=secrets_of(db))
    assert r.returncode == 1 and verdict(r.text, "options") == "FAIL", r.text


def test_check_world_readable_config(tool, db, tmp_path):
    conf = tmp_path / "pam-mysql.conf"
    conf.write_text(f"users.db_passwd = {db.db_password}\n")
    conf.chmod(0o644)
    r = run(tool, "check", "--line", line(db, passwd=None, config_file=str(conf)), secrets=secrets_of(db))
    assert "readable by every user" in r.text and "chmod o-r" in r.text, r.text


BROKEN_CASES = [
    "syntax error", "missing file", "directory", "too large", "relative path", "owned by another user",
    "group-writable", "in a world-writable directory", "in another user's directory",
    "misspelt where on the line", "misspelt where in the file", "passwd without =",
]


@pytest.mark.parametrize("case", BROKEN_CASES)
def test_check_fails_on_a_configuration_the_module_refuses(tool, db, tmp_path, case):
    """Each configuration the module answers with PAM_SERVICE_ERR is a FAIL, exit status 1,
    with the module's own log line as the reason, and nothing after it (no connection, and
    no "unknown option" line that could name the word after a bare `passwd`)."""
    c = {c.name: c for c in bc.make_cases(db, tmp_path)}[case]
    r = run(tool, "check", "--line", f"auth required pam_mysql.so {c.args}", secrets=secrets_of(db))
    assert r.returncode == 1, r.text
    option_lines = [l for l in r.text.splitlines() if l[6:].startswith("options")]
    assert len(option_lines) == 1 and option_lines[0].startswith(f"FAIL  options: {c.message} -- fix: "), r.text
    assert "database reachable" not in r.text, r.text


def test_check_never_prints_a_word_after_an_empty_passwd(tool, db):
    # `passwd= SECRET`: a warning that says the word is not shown, and the secret nowhere.
    r = run(tool, "check", "--line", line(db, passwd=None) + f" passwd= {db.db_password}", secrets=secrets_of(db))
    assert "unknown option after passwd= not shown" in r.text, r.text
    assert verdict(r.text, "options") == "WARN", r.text


def test_check_database_unreachable(tool, db):
    r = run(tool, "check", "--line", line(db, host="127.0.0.1:1"), secrets=secrets_of(db))
    assert r.returncode == 1
    assert verdict(r.text, "database reachable") == "FAIL" and "fix: check host=" in r.text, r.text


def test_check_sql_login_refused(tool, db):
    r = run(tool, "check", "--line", line(db, passwd="wrong-db-password"), secrets=secrets_of(db) + ("wrong-db-password",))
    assert r.returncode == 1
    assert verdict(r.text, "database reachable") == "OK"
    assert verdict(r.text, "SQL login accepted") == "FAIL" and "Access denied" in r.text, r.text


def test_check_table_missing(tool, db):
    r = run(tool, "check", "--line", line(db, table="no_such_table"), secrets=secrets_of(db))
    assert r.returncode == 1
    assert verdict(r.text, "table and columns") == "FAIL" and "does not exist" in r.text, r.text


def test_check_column_missing(tool, db):
    r = run(tool, "check", "--line", line(db, passwdcolumn="no_such_column"), secrets=secrets_of(db))
    assert r.returncode == 1
    assert verdict(r.text, "table and columns") == "FAIL" and "no_such_column" in r.text and "usercolumn=" in r.text, r.text


def test_check_no_row(tool, db):
    r = run(tool, "check", "--line", line(db), "nobody", secrets=secrets_of(db))
    assert r.returncode == 1
    assert verdict(r.text, "row for user") == "FAIL" and 'no row for "nobody"' in r.text, r.text


def test_check_two_rows(tool, db):
    db.add_user("twin", CRYPT_SHA512)
    db.add_user("twin", CRYPT_SHA512)
    r = run(tool, "check", "--line", line(db), "twin", secrets=secrets_of(db, CRYPT_SHA512))
    assert r.returncode == 1
    assert verdict(r.text, "row for user") == "FAIL" and '2 rows for "twin"' in r.text, r.text


def test_check_unrecognised_stored_value(tool, db):
    stored = "not-a-crypt-hash-value"
    db.add_user("carol", stored)
    r = run(tool, "check", "--line", line(db, crypt="sha512"), "carol", secrets=secrets_of(db, stored))
    assert r.returncode == 1
    assert verdict(r.text, "stored value") == "FAIL" and "not recognised as crypt=8 (sha512)" in r.text, r.text


def test_check_wrong_password(tool, db):
    db.add_user("dave", CRYPT_SHA512)
    r = run(tool, "check", "--line", line(db), "dave", "--password-stdin", stdin=PASSWORD + "\n",
            secrets=secrets_of(db, CRYPT_SHA512))
    assert r.returncode == 1
    assert verdict(r.text, "stored value") == "OK"
    assert verdict(r.text, "password") == "FAIL" and "does not verify" in r.text, r.text


def test_check_no_module_line(tool, tmp_path):
    f = tmp_path / "svc"
    f.write_text("auth required pam_unix.so\n")
    r = run(tool, "check", "--file", str(f))
    assert r.returncode == 1 and "no pam_mysql.so line" in r.text


@pytest.mark.parametrize(
    "scheme,crypt",
    [
        ("yescrypt", "1"), ("bcrypt", "1"), ("sha512-crypt", "1"), ("md5", "3"), ("sha1", "4"),
        ("sha256", "9"), ("sha512", "8"), ("mysql", "2"), ("drupal7", "5"), ("joomla15", "6"), ("ssha", "7"),
        ("dovecot:SHA512-CRYPT", "dovecot"), ("dovecot:BLF-CRYPT", "dovecot"),
    ],
)
def test_hash_logs_in_through_module(tool, db, our_module, pam_service_factory, scheme, crypt):
    r = run(tool, "hash", "--scheme", scheme, "--password-stdin", stdin=PASSWORD + "\n", secrets=(PASSWORD,))
    assert r.returncode == 0, r.text
    stored = r.stdout.decode().strip()
    assert stored and "\n" not in stored
    db.add_user("erin", stored)
    svc = pam_service_factory(our_module, f"auth required {{module}} {db.pam_args(crypt=crypt)}")
    res = ph.run_pamtester(svc, "erin", [PASSWORD])
    assert res.code == 0, res.describe()
    assert ph.run_pamtester(svc, "erin", ["wrong"]).code == 7


def test_hash_unknown_scheme_suggests(tool):
    r = run(tool, "hash", "--scheme", "yescript", "--password-stdin", stdin="x\n")
    assert r.returncode != 0 and "did you mean yescrypt" in r.text, r.text


def test_hash_dovecot_digest_md5_needs_the_user(tool):
    r = run(tool, "hash", "--scheme", "dovecot:DIGEST-MD5", "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 64 and "--user" in r.text and r.stdout == b"", r.text
    ok = run(tool, "hash", "--scheme", "dovecot:digest-md5", "--user", "alice@example.org", "--password-stdin",
             stdin="secret\n")
    # doveadm pw -s DIGEST-MD5 -u alice@example.org -p secret
    assert ok.returncode == 0 and ok.stdout.decode() == "{DIGEST-MD5}543e1aec5d3614f03141652d6ada51b2\n", ok.text


def test_hash_dovecot_unknown_scheme_and_encoding(tool):
    r = run(tool, "hash", "--scheme", "dovecot:SSHA3", "--password-stdin", stdin="x\n")
    assert r.returncode == 64 and "did you mean dovecot:SSHA" in r.text and "ARGON2ID" in r.text, r.text
    r = run(tool, "hash", "--scheme", "dovecot:SSHA.ROT13", "--password-stdin", stdin="x\n")
    assert r.returncode == 64 and "unknown scheme" in r.text, r.text


def test_hash_weak_dovecot_scheme_warns_and_module_refuses_it_by_default(tool, db, our_module, pam_service_factory):
    r = run(tool, "hash", "--scheme", "dovecot:SMD5", "--password-stdin", stdin=PASSWORD + "\n", secrets=(PASSWORD,))
    assert r.returncode == 0 and "warning: SMD5 is a weak scheme" in r.stderr.decode(), r.text
    db.add_user("gina", r.stdout.decode().strip())
    strict = pam_service_factory(our_module, f"auth required {{module}} {db.pam_args(crypt='dovecot')}")
    assert ph.run_pamtester(strict, "gina", [PASSWORD]).code == 3  # PAM_SERVICE_ERR
    lenient = pam_service_factory(our_module, f"auth required {{module}} {db.pam_args(crypt='dovecot', allow_weak_schemes=1)}")
    assert ph.run_pamtester(lenient, "gina", [PASSWORD]).code == 0


def test_auth_right_and_wrong(tool, db, our_module, pam_service_factory):
    made = run(tool, "hash", "--password-stdin", stdin=PASSWORD + "\n")
    stored = made.stdout.decode().strip()
    db.add_user("frank", stored)
    args = db.pam_args(crypt=1)
    svc = pam_service_factory(our_module, [f"auth required {{module}} {args}", f"account required {{module}} {args}"])
    ok = run(tool, "auth", svc, "frank", "--password-stdin", stdin=PASSWORD + "\n", secrets=secrets_of(db, stored))
    assert ok.returncode == 0, ok.text
    assert "pam_authenticate: Success (0)" in ok.text and "pam_acct_mgmt: Success (0)" in ok.text
    bad = run(tool, "auth", svc, "frank", "--password-stdin", stdin="wrong\n", secrets=secrets_of(db, stored))
    assert bad.returncode == 1
    assert "pam_authenticate: Authentication failure (7)" in bad.text, bad.text


@pytest.mark.parametrize("command", [[], ["check"], ["hash"], ["auth"]])
def test_help(tool, command):
    r = run(tool, *command, "--help")
    assert r.returncode == 0 and "USAGE" in r.text.upper(), r.text


def test_completion_script(tool):
    r = run(tool, "--generate-completion-script", "bash")
    assert r.returncode == 0 and "complete" in r.text and "check" in r.text


@pytest.mark.parametrize("page", ["pam_mysql.8", "pam-mysql.1"])
def test_man_page_renders_without_warnings(page):
    path = ph.REPO / "man" / page
    r = subprocess.run(["man", "--warnings", "-l", str(path)], capture_output=True, timeout=60,
                       env={**os.environ, "MANWIDTH": "80"})
    assert r.returncode == 0, r.stderr
    assert r.stderr.decode().strip() == "", r.stderr.decode()
    assert len(r.stdout) > 1000


def test_deb_installs_works_and_purges(db, pam_service_factory):
    """make deb; install it over libpam-mysql (diverted), log in through the installed module
    and tool, purge, and find the C module and its config file back in place."""
    ma = subprocess.run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"], capture_output=True, text=True).stdout.strip()
    module = Path(f"/lib/{ma}/security/pam_mysql.so")
    conf = Path("/etc/pam-mysql.conf")
    before = (module.read_bytes(), conf.read_bytes() if conf.exists() else None)
    # postinst creates the daemon's system user and purge keeps it: the test removes what it made.
    daemon_user_before = subprocess.run(["getent", "passwd", "pam-mysql-authd"], capture_output=True).returncode == 0
    # Under `make test` this runs inside another make: drop its variables, or the nested make
    # prints "Leaving directory" lines after the package path.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    built = subprocess.run(["make", "-s", "--no-print-directory", "deb"], cwd=ph.REPO, capture_output=True,
                           text=True, timeout=900, env=env)
    assert built.returncode == 0, built.stdout + built.stderr
    debs = [line.strip() for line in built.stdout.splitlines() if line.strip().endswith(".deb")]
    assert debs, built.stdout
    deb = ph.REPO / debs[-1]
    lint = subprocess.run(["lintian", str(deb)], capture_output=True, text=True, timeout=300)
    assert not [l for l in lint.stdout.splitlines() if l.startswith("E:")], lint.stdout
    try:
        inst = subprocess.run(["dpkg", "-i", str(deb)], capture_output=True, text=True, timeout=120)
        assert inst.returncode == 0, inst.stdout + inst.stderr
        assert module.read_bytes() != before[0]
        stored = subprocess.run(["/usr/bin/pam-mysql", "hash", "--password-stdin"], input=PASSWORD + "\n",
                                capture_output=True, text=True).stdout.strip()
        db.add_user("gina", stored)
        args = db.pam_args(crypt=1)
        svc = pam_service_factory("pam_mysql.so", [f"auth required {{module}} {args}", f"account required {{module}} {args}"])
        res = ph.run_pamtester(svc, "gina", [PASSWORD], ops=("authenticate", "acct_mgmt"))
        assert res.code == 0, res.describe()
        auth = run(Path("/usr/bin/pam-mysql"), "auth", svc, "gina", "--password-stdin", stdin=PASSWORD + "\n",
                   secrets=secrets_of(db, stored))
        assert auth.returncode == 0, auth.text
        assert subprocess.run(["man", "-w", "pam_mysql"], capture_output=True).returncode == 0
    finally:
        purge = subprocess.run(["dpkg", "--purge", "libpam-mysql-swift"], capture_output=True, text=True, timeout=120)
    assert purge.returncode == 0, purge.stdout + purge.stderr
    assert module.read_bytes() == before[0], "libpam-mysql's module was not restored"
    if before[1] is not None:
        assert conf.read_bytes() == before[1]
    assert "libpam-mysql-swift" not in subprocess.run(["dpkg-divert", "--list"], capture_output=True, text=True).stdout
    assert not Path("/usr/bin/pam-mysql").exists()

    # Without an /etc/pam-mysql.conf (no libpam-mysql), the package creates the commented one,
    # mode 0640 root:root (it holds the database password), and purge removes it again.
    aside = conf.with_name("pam-mysql.conf.test-aside")
    if conf.exists():
        conf.rename(aside)
    try:
        inst = subprocess.run(["dpkg", "-i", str(deb)], capture_output=True, text=True, timeout=120)
        assert inst.returncode == 0, inst.stdout + inst.stderr
        info = conf.stat()
        assert (info.st_mode & 0o777, info.st_uid, info.st_gid) == (0o640, 0, 0), oct(info.st_mode)
        assert conf.read_bytes() == (ph.REPO / "packaging" / "pam-mysql.conf").read_bytes()
        purge = subprocess.run(["dpkg", "--purge", "libpam-mysql-swift"], capture_output=True, text=True, timeout=120)
        assert purge.returncode == 0, purge.stdout + purge.stderr
        assert not conf.exists()
    finally:
        subprocess.run(["dpkg", "--purge", "libpam-mysql-swift"], capture_output=True, text=True, timeout=120)
        if aside.exists():
            aside.rename(conf)
    assert module.read_bytes() == before[0]
    if before[1] is not None:
        assert conf.read_bytes() == before[1]
    if not daemon_user_before:
        subprocess.run(["deluser", "--system", "pam-mysql-authd"], capture_output=True)
        subprocess.run(["delgroup", "--system", "pam-mysql-authd"], capture_output=True)
