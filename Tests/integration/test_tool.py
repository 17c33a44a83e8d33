"""The `pam-mysql` administrator's tool: check (every step, every failure), hash, auth.

Runs build/pam-mysql (set PAM_MYSQL_TOOL to test another binary) against the session's
MariaDB.  Every run's output is checked for secrets: the database password, the user's
password and the stored value must never appear.
"""

from __future__ import annotations

import json
import os
import pty
import re
import secrets as pysecrets
import select
import subprocess
import termios
import time
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
    # The package's version is the tool's (`pam-mysql --version`) with a Debian revision.
    version = subprocess.run([str(TOOL), "--version"], capture_output=True, text=True).stdout.strip()
    assert f"_{version}-1_" in debs[-1], debs
    deb = ph.REPO / debs[-1]
    lint = subprocess.run(["lintian", str(deb)], capture_output=True, text=True, timeout=300)
    assert not [l for l in lint.stdout.splitlines() if l.startswith("E:")], lint.stdout
    # The quick start in short, and the guide it points at.
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    assert "./usr/share/doc/libpam-mysql-swift/README.Debian" in listing, listing
    assert "./usr/share/doc/libpam-mysql-swift/README.md.gz" in listing, listing
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


# --------------------------------------------------------------------------
# check --json, exit status, and the hints that used to mislead
# --------------------------------------------------------------------------

def text_verdicts(out: str) -> list[tuple[str, str]]:
    """(verdict, step) of every OK/WARN/FAIL line of the text output."""
    found = []
    for l in out.splitlines():
        m = re.match(r"^(OK|WARN|FAIL)\s+([^:]+?)(: | -- fix: |$)", l)
        if m:
            found.append((m.group(1).lower(), m.group(2)))
    return found


def check_json(tool, *args, stdin=None, secrets=()):
    r = run(tool, "check", *args, "--json", stdin=stdin, secrets=secrets)
    assert all(b < 0x80 for b in r.stdout), r.stdout  # ASCII only: every byte beyond is escaped
    assert r.stdout.count(b"\n") == 1 and r.stdout.endswith(b"\n"), r.stdout  # one document, no raw control characters
    return r, json.loads(r.stdout)


@pytest.mark.parametrize("form", ["service", "line", "file"])
def test_check_json_has_the_text_verdicts_in_one_document(tool, db, pam_service_factory, our_module, tmp_path, form):
    db.add_user("jason", CRYPT_SHA512)
    args = db.pam_args(crypt=1) + " usercolum=username"
    body = [f"auth required {{module}} {args}", f"account required {{module}} {args}"]
    if form == "service":
        where = [pam_service_factory(our_module, body)]
    elif form == "file":
        f = tmp_path / "svc"
        f.write_text("\n".join(b.replace("{module}", str(our_module)) for b in body) + "\n")
        where = ["--file", str(f)]
    else:
        where = ["--line", body[0].replace("{module}", "pam_mysql.so")]
    text = run(tool, "check", *where, "jason", "--password-stdin", stdin="wrong\n", secrets=secrets_of(db, CRYPT_SHA512))
    r, doc = check_json(tool, *where, "jason", "--password-stdin", stdin="wrong\n", secrets=secrets_of(db, CRYPT_SHA512))
    assert r.returncode == text.returncode == 1, text.text
    assert doc["result"] == "fail"
    assert [(c["verdict"], c["step"]) for c in doc["checks"]] == text_verdicts(text.text)
    assert set(doc["checks"][0]) == {"verdict", "step", "detail", "fix", "section"}
    warn = next(c for c in doc["checks"] if c["verdict"] == "warn")
    assert warn["step"] == "options" and 'did you mean "usercolumn"?' in warn["fix"], doc
    assert all(c["section"] and "pam_mysql.so" in c["section"] for c in doc["checks"]), doc
    ok = next(c for c in doc["checks"] if c["step"] == "row for user")
    assert ok["verdict"] == "ok" and ok["fix"] is None, doc


def test_check_json_result_ok_and_warn(tool, db):
    db.add_user("olga", CRYPT_SHA512)
    r, doc = check_json(tool, "--line", line(db), "olga", secrets=secrets_of(db, CRYPT_SHA512))
    assert r.returncode == 0 and doc["result"] == "ok" and {c["verdict"] for c in doc["checks"]} == {"ok"}, doc
    r, doc = check_json(tool, "--line", line(db) + " update_table=users", "olga", secrets=secrets_of(db, CRYPT_SHA512))
    assert r.returncode == 0 and doc["result"] == "warn", doc


def test_check_json_escapes_control_characters_and_bytes_that_are_not_utf8(tool, db):
    name = b'we"ird\\\n\t\x01name\xff\xfe'
    r = subprocess.run([str(tool), "check", "--line", line(db).encode(), name, "--json"], capture_output=True, timeout=60,
                       env=ph.child_env())
    assert r.returncode == 1, r.stderr
    assert all(b < 0x80 for b in r.stdout) and r.stdout.count(b"\n") == 1, r.stdout
    doc = json.loads(r.stdout)
    row = next(c for c in doc["checks"] if c["step"] == "row for user")
    assert row["verdict"] == "fail" and 'we"ird\\\n\t\x01name\ufffd\ufffd' in row["detail"], row


@pytest.mark.parametrize("problem", ["unreadable", "no module line"])
def test_check_json_for_a_file_it_cannot_use(tool, tmp_path, problem):
    f = tmp_path / "svc"
    if problem == "no module line":
        f.write_text("auth required pam_unix.so\n")
    r, doc = check_json(tool, "--file", str(f))
    assert r.returncode == 1 and doc["result"] == "fail", doc
    assert doc["checks"][0]["step"] == "PAM configuration" and doc["checks"][0]["section"] is None, doc


@pytest.mark.parametrize("args", [
    ["check"], ["check", "--line", "x", "--file", "y"], ["check", "svc", "--password"],
    ["hash", "--scheme", "nonsense"], ["hash", "--verify", "--password-stdin"], ["hash", "--stored-stdin"],
    ["hash", "--verify", "--scheme", "md5", "--crypt", "3"], ["hash", "--verify", "--scheme", "md5", "5ebe2294ecd0e0f08eab7690d2a6ee69"],
    ["nosuchcommand"],
])
def test_usage_errors_exit_64(tool, args):
    r = run(tool, *args, stdin="")
    assert r.returncode == 64, r.text


def test_help_and_man_page_give_the_exit_statuses_the_tool_returns(tool):
    help_text = run(tool, "check", "--help").text
    assert "64 on a usage error" in help_text and "2 on a usage error" not in help_text, help_text
    page = (ph.REPO / "man" / "pam-mysql.1").read_text()
    statuses = page.split(".SH EXIT STATUS")[1].split(".SH ")[0]
    assert ".B 64" in statuses and ".B 2\n" not in statuses, statuses


def test_version_comes_from_the_one_place_the_package_reads(tool):
    source = (ph.REPO / "Sources" / "pam-mysql" / "PackageVersion.swift").read_text()
    version = re.search(r'static let current = "([^"]+)"', source).group(1)
    r = run(tool, "--version")
    assert r.returncode == 0 and r.stdout.decode().strip() == version, r.text
    assert "PackageVersion.swift" in (ph.REPO / "packaging" / "build-deb.sh").read_text()


def test_check_first_server_down_is_a_warning_in_json(tool, db):
    db.add_user("wanda", CRYPT_SHA512)
    r, doc = check_json(tool, "--line", line(db, host=f"127.0.0.1:1,{db.tcp_host}", connect_timeout=2), "wanda",
                        secrets=secrets_of(db, CRYPT_SHA512))
    reach = next(c for c in doc["checks"] if c["step"] == "database reachable")
    assert r.returncode == 0 and reach["verdict"] == "warn" and "127.0.0.1 port 1" in reach["detail"], doc


@pytest.mark.parametrize("option,word", [("nullok", "PAM_DISALLOW_NULL_AUTHTOK"), ("use_first_pass", "PAM_AUTHTOK")])
def test_check_nullok_and_use_first_pass_warn_under_saslauthd(tool, db, option, word):
    db.add_user("sasha", CRYPT_SHA512)
    r = run(tool, "check", "--line", line(db) + f" {option}", "sasha", "--saslauthd", secrets=secrets_of(db, CRYPT_SHA512))
    assert r.returncode == 0 and verdict(r.text, "saslauthd") == "WARN", r.text
    warning = next(l for l in r.text.splitlines() if l.startswith("WARN  saslauthd"))
    assert warning.startswith(f"WARN  saslauthd: {option}: ") and word in warning and f"remove {option}" in warning, r.text
    plain = run(tool, "check", "--line", line(db) + f" {option}", "sasha", secrets=secrets_of(db, CRYPT_SHA512))
    assert "saslauthd" not in plain.text, plain.text
    healthy = run(tool, "check", "--line", line(db), "sasha", "--saslauthd", secrets=secrets_of(db, CRYPT_SHA512))
    assert "saslauthd" not in healthy.text, healthy.text


def test_auth_says_when_the_service_file_is_missing(tool, db, our_module, pam_service_factory):
    missing = f"pmtest-missing-{pysecrets.token_hex(4)}"
    r = run(tool, "auth", missing, "nobody", "--password-stdin", stdin="x\n")
    assert f"/etc/pam.d/{missing} does not exist: libpam uses /etc/pam.d/other instead" in r.stderr.decode(), r.text
    svc = pam_service_factory(our_module, f"auth required {{module}} {db.pam_args(crypt=1)}")
    present = run(tool, "auth", svc, "nobody", "--password-stdin", stdin="x\n", secrets=secrets_of(db))
    assert "does not exist" not in present.text and "pam_authenticate:" in present.text, present.text


def test_check_row_miss_for_a_name_without_domain_suggests_saslauthd_r(tool, db):
    db.add_user("rita@example.org", CRYPT_SHA512)
    r = run(tool, "check", "--line", line(db), "rita", secrets=secrets_of(db, CRYPT_SHA512))
    assert r.returncode == 1 and verdict(r.text, "row for user") == "FAIL", r.text
    assert 'the table has "rita@…": saslauthd without -r' in r.text and "run saslauthd with -r" in r.text, r.text
    other = run(tool, "check", "--line", line(db), "rolf", secrets=secrets_of(db, CRYPT_SHA512))
    assert "carry a domain (user@domain)" in other.text and "-r" in other.text, other.text
    # A name with a domain, or LIKE's wildcards in the name, get no such hint.
    for name in ("rolf@example.org", "r_ta", "%"):
        plain = run(tool, "check", "--line", line(db), name, secrets=secrets_of(db, CRYPT_SHA512))
        assert f'no row for "{name}"' in plain.text, plain.text
        if "@" in name:
            assert "-r" not in plain.text, plain.text
        else:
            assert "the table has" not in plain.text, plain.text


def test_check_row_miss_without_domains_in_the_table_has_the_usual_fix(tool, db):
    db.add_user("una", CRYPT_SHA512)
    r = run(tool, "check", "--line", line(db), "ursula", secrets=secrets_of(db, CRYPT_SHA512))
    assert "-r" not in r.text and "fix: add the user, or check usercolumn= and where=" in r.text, r.text


def test_check_chroot_hint_says_the_module_runs_outside_the_chroot(tool, db):
    r = run(tool, "check", "--line", line(db, host="/var/spool/postfix/var/run/mysqld/mysqld.sock"), secrets=secrets_of(db))
    assert r.returncode == 1 and verdict(r.text, "database reachable") == "FAIL", r.text
    assert "point host= at the server's own socket" in r.text and "outside Postfix's chroot" in r.text, r.text
    assert "not a path under /var/spool/postfix" in r.text, r.text
    tcp = run(tool, "check", "--line", line(db, host="127.0.0.1:1"), secrets=secrets_of(db))
    assert "fix: check host=" in tcp.text and "not a path under" not in tcp.text, tcp.text


MD5_OF_SECRET = "5ebe2294ecd0e0f08eab7690d2a6ee69"  # md5("secret")


@pytest.mark.parametrize("stored,crypt,step,verdict_word,hint", [
    (CRYPT_SHA512, "3", "stored value", "FAIL", "looks like SHA-512-crypt ($6$): use crypt=1"),
    (MD5_OF_SECRET, "4", "stored value", "FAIL", "looks like an MD5 digest (32 hex) or a plain password: use crypt=3"),
    ("{SHA512-CRYPT}" + CRYPT_SHA512, "8", "stored value", "FAIL", "looks like Dovecot's {SHA512-CRYPT}: use crypt=dovecot"),
    ("*94BDCEBE19083CE2A1F959FD02F964C7AF4CFC29", "9", "stored value", "FAIL", "looks like MySQL's PASSWORD() (*HEX41): use crypt=2"),
    (CRYPT_SHA512, "0", "stored value", "WARN", "accepted by crypt=0 (plain), but it looks like SHA-512-crypt ($6$)"),
    (MD5_OF_SECRET, "0", "password", "FAIL", "does not verify against the stored value, which looks like an MD5 digest"),
])
def test_check_guesses_the_format_of_a_value_that_does_not_verify(tool, db, stored, crypt, step, verdict_word, hint):
    db.add_user("gus", stored)
    r = run(tool, "check", "--line", line(db, crypt=crypt), "gus", "--password-stdin", stdin="secret\n",
            secrets=secrets_of(db, stored) + ("secret",))
    assert verdict(r.text, step) == verdict_word and hint in r.text, r.text


@pytest.mark.parametrize("plain", ["Password12345", "Abcdefgh1234567890ZYXWVUTsrqponm"])
def test_check_plain_passwords_of_a_hash_like_shape_are_no_warning(tool, db, plain):
    # 13 letters and digits are DES-crypt's shape, 32 base64 characters SSHA's: under crypt=0
    # they are most likely what they are, plain passwords.
    db.add_user("pia", plain)
    r = run(tool, "check", "--line", line(db, crypt=0), "pia", "--password-stdin", stdin=plain + "\n", secrets=secrets_of(db, plain))
    assert r.returncode == 0 and verdict(r.text, "stored value") == "OK" and "looks like" not in r.text, r.text


def test_check_gives_no_guess_when_the_format_is_right(tool, db):
    db.add_user("gil", CRYPT_SHA512)
    r = run(tool, "check", "--line", line(db, crypt=1), "gil", "--password-stdin", stdin="secret\n",
            secrets=secrets_of(db, CRYPT_SHA512))
    assert verdict(r.text, "password") == "FAIL" and "looks like" not in r.text, r.text


# --------------------------------------------------------------------------
# hash on a terminal, hash --verify
# --------------------------------------------------------------------------

def run_on_terminal(tool, args, answers, timeout=30.0):
    """Runs the tool with a pseudo-terminal as its controlling terminal (and stdio), answering
    each (prompt, answer) once the prompt is shown and echo is off. Returns (status, output)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: nothing but exec
        os.execve(str(tool), [str(tool), *args], ph.child_env())
    out = b""
    deadline = time.monotonic() + timeout
    pending = list(answers)

    def read_some(wait):
        nonlocal out
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            return True
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return False
        out += chunk
        return bool(chunk)

    try:
        seen = 0
        while pending and time.monotonic() < deadline:
            prompt, answer = pending[0]
            at = out.find(prompt, seen)
            if at >= 0 and not termios.tcgetattr(fd)[3] & termios.ECHO:
                os.write(fd, answer + b"\n")
                seen = at + len(prompt)
                pending.pop(0)
                continue
            if not read_some(0.05):
                break
        while time.monotonic() < deadline and read_some(0.2):
            pass
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    assert not pending, f"prompts not seen: {pending} in {out!r}"
    return os.waitstatus_to_exitcode(status), out


def test_hash_asks_twice_on_a_terminal(tool):
    code, out = run_on_terminal(tool, ["hash", "--scheme", "sha512-crypt"],
                                [(b"Password: ", PASSWORD.encode()), (b"Retype password: ", PASSWORD.encode())])
    assert code == 0, out
    value = out.split(b"Retype password: ")[1].strip().decode()
    assert value.startswith("$6$") and PASSWORD.encode() not in out, out
    check = run(tool, "hash", "--verify", "--scheme", "sha512-crypt", "--password-stdin", "--stored-stdin",
                stdin=f"{PASSWORD}\n{value}\n")
    assert check.returncode == 0, check.text


def test_hash_refuses_two_different_passwords_on_a_terminal(tool):
    code, out = run_on_terminal(tool, ["hash"], [(b"Password: ", b"first-try"), (b"Retype password: ", b"second-try")])
    assert code == 1 and b"the two passwords differ; nothing written" in out, out
    assert b"$y$" not in out and b"first-try" not in out and b"second-try" not in out, out


def test_hash_verify_reads_the_stored_value_from_a_prompt_without_echo(tool):
    code, out = run_on_terminal(tool, ["hash", "--verify", "--scheme", "md5"],
                                [(b"Password: ", b"secret"), (b"Stored value: ", MD5_OF_SECRET.encode())])
    assert code == 0 and b"verified (crypt=3 (md5))" in out and MD5_OF_SECRET.encode() not in out, out


@pytest.mark.parametrize("scheme", ["yescrypt", "bcrypt", "md5", "sha1", "sha256", "sha512", "mysql", "mysql323", "drupal7",
                                    "joomla15", "ssha", "plain", "dovecot:SHA512-CRYPT", "dovecot:ARGON2ID",
                                    "dovecot:SCRAM-SHA-256"])
def test_hash_verify_answers_like_the_module_for_every_scheme(tool, tmp_path, scheme):
    made = run(tool, "hash", "--scheme", scheme, "--password-stdin", stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.text
    stored = made.stdout.decode().strip()
    ok = run(tool, "hash", "--verify", "--scheme", scheme, "--password-stdin", "--stored-stdin",
             stdin=f"{PASSWORD}\n{stored}\n", secrets=(PASSWORD, stored))
    assert ok.returncode == 0 and ok.stdout.decode().startswith("verified"), ok.text
    f = tmp_path / "stored"
    f.write_text(stored + "\n")
    bad = run(tool, "hash", "--verify", "--scheme", scheme, "--password-stdin", "--stored-file", str(f),
              stdin="wrong\n", secrets=(PASSWORD, stored))
    assert bad.returncode == 1 and bad.stdout.decode().startswith("does not verify"), bad.text


def test_hash_verify_needs_the_mode_because_32_hex_digits_are_ambiguous(tool):
    def verify(crypt, password):
        return run(tool, "hash", "--verify", "--crypt", crypt, "--password-stdin", "--stored-stdin",
                   stdin=f"{password}\n{MD5_OF_SECRET}\n", secrets=(MD5_OF_SECRET,)).returncode
    assert verify("3", "secret") == 0 and verify("md5", "secret") == 0
    assert verify("0", "secret") == 1 and verify("plain", MD5_OF_SECRET) == 0
    r = run(tool, "hash", "--verify", "--password-stdin", "--stored-stdin", stdin=f"secret\n{MD5_OF_SECRET}\n")
    assert r.returncode == 64 and "--scheme S or --crypt N" in r.text and "32 hex" in r.text, r.text


def test_hash_verify_guesses_the_format_of_a_value_of_another_scheme(tool):
    r = run(tool, "hash", "--verify", "--crypt", "3", "--password-stdin", "--stored-stdin",
            stdin=f"secret\n{CRYPT_SHA512}\n", secrets=(CRYPT_SHA512,))
    assert r.returncode == 1 and "looks like SHA-512-crypt ($6$): use crypt=1" in r.text, r.text


def test_hash_verify_stored_file_missing_is_a_usage_error(tool, tmp_path):
    r = run(tool, "hash", "--verify", "--crypt", "1", "--password-stdin", "--stored-file", str(tmp_path / "none"), stdin="x\n")
    assert r.returncode == 64 and "cannot open" in r.text, r.text


def test_hash_verify_refuses_a_weak_dovecot_scheme_like_the_module_unless_allowed(tool):
    made = run(tool, "hash", "--scheme", "dovecot:SMD5", "--password-stdin", stdin=PASSWORD + "\n")
    stored = made.stdout.decode().strip()
    args = ["hash", "--verify", "--crypt", "dovecot", "--password-stdin", "--stored-stdin"]
    strict = run(tool, *args, stdin=f"{PASSWORD}\n{stored}\n", secrets=(PASSWORD, stored))
    assert strict.returncode == 1 and "does not verify: not a valid crypt=dovecot value" in strict.text, strict.text
    lenient = run(tool, *args, "--allow-weak-schemes", stdin=f"{PASSWORD}\n{stored}\n", secrets=(PASSWORD, stored))
    assert lenient.returncode == 0 and "verified (crypt=dovecot)" in lenient.text, lenient.text


@pytest.mark.parametrize("args", [["check", "--line", "pam_mysql.so db=x", "u", "--password"], ["hash"],
                                  ["hash", "--verify", "--crypt", "1"]])
def test_no_terminal_to_ask_on_is_a_usage_error(tool, args):
    # A new session has no controlling terminal: /dev/tty cannot be opened.
    r = subprocess.run([str(tool), *args], stdin=subprocess.DEVNULL, capture_output=True, timeout=60, env=ph.child_env(),
                       start_new_session=True)
    assert r.returncode == 64 and b"no terminal to ask for the password on; use --password-stdin" in r.stderr, r.stderr
    assert r.stdout == b"", r.stdout
