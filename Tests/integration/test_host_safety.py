"""The module is safe in every host: the caller's environment, the programs the host starts
after a login, a rogue database server and the login deadline.

Each test runs the attack the way a local user or a spoofed server would, against our module,
and records what the C module (pam_mysql 0.8.2, our oracle) does in the same case:
- environment: a set-uid root copy of a small PAM client (pam_loop with the syslog capture
  linked in, since a set-uid process ignores LD_PRELOAD), run as `nobody`;
- children: a host that execs a program after the login (pam_exec_probe) and counts the
  database sockets that program holds;
- rogue server: fakemysql.FakeMySQL, which asks for mysql_clear_password and records every
  byte it receives.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

import pamharness as ph
from fakemysql import FakeMySQL

HERE = Path(__file__).resolve().parent
NOBODY = 65534
NOGROUP = 65534
PASSWORD = "envTest-Pw1"
PAM_SERVICE_ERR, PAM_AUTHINFO_UNAVAIL, PAM_ACCT_EXPIRED = 3, 9, 13


# --------------------------------------------------------------------------
# A set-uid root PAM client, made by the test
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def setuid_client():
    """pam_loop and the syslog capture linked into one set-uid root executable in a
    directory `nobody` can reach; removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="pmtest-suid-"))
    tmp.chmod(0o755)
    binary = tmp / "pam_loop_suid"
    subprocess.run(
        ["cc", "-O2", "-rdynamic", "-o", str(binary), str(HERE / "helpers" / "pam_loop.c"),
         str(HERE / "helpers" / "syslog_capture.c"), "-lpam"],
        check=True, capture_output=True, timeout=120)
    os.chown(binary, 0, 0)
    binary.chmod(0o4755)
    yield binary
    shutil.rmtree(tmp, ignore_errors=True)


def run_setuid(binary: Path, service: str, user: str, password: str, env: dict[str, str]) -> ph.Result:
    """Runs the set-uid client as nobody with `env` (the caller's environment)."""
    with tempfile.TemporaryDirectory(prefix="pmtest-suid-run-") as tmp:
        log = Path(tmp) / "syslog"
        log.touch()
        log.chmod(0o666)
        full_env = {"PATH": "/usr/bin:/bin", "PAM_MYSQL_TEST_SYSLOG": str(log), **env}

        def drop() -> None:
            os.setgroups([])
            os.setgid(NOGROUP)
            os.setuid(NOBODY)

        t0 = time.monotonic()
        proc = subprocess.run([str(binary), "-s", service, "-u", user, "-p", password, "-o", "auth"],
                              env=full_env, capture_output=True, timeout=60, preexec_fn=drop)
        res = ph.Result(argv=[str(binary)], rc=proc.returncode, signal=None, timed_out=False,
                        stdout=proc.stdout.decode(errors="replace"), stderr=proc.stderr.decode(errors="replace"),
                        elapsed=time.monotonic() - t0, log=ph._read_syslog(log))
    for line in res.stdout.splitlines():
        if m := ph._RESULT_RE.match(line):
            res.codes.append(int(m[2]))
    res.code = next((c for c in res.codes if c != 0), 0) if res.codes else None
    return res


def new_connections(db, before: int) -> int:
    # Each status query is itself one connection.
    return db.status("Connections") - before - 1


def _service(pam_service_factory, module, db, **options) -> str:
    options.setdefault("crypt", 0)
    return pam_service_factory(module, [f"auth required {{module}} {db.pam_args(**options)}"])


def test_setuid_client_runs_as_nobody_with_effective_root(setuid_client, pam_service_factory, our_module, db):
    # The harness itself: the client really is set-uid, and a plain login works through it.
    db.add_user("alice", PASSWORD)
    svc = _service(pam_service_factory, our_module, db)
    res = run_setuid(setuid_client, svc, "alice", PASSWORD, {})
    assert os.stat(setuid_client).st_mode & 0o4000
    assert res.code == 0, res.describe()
    assert res.log == [] or all("MySQL" not in m for m in res.messages), res.describe()


# The variables that chose the server before every connection parameter was passed explicitly:
# (host option, variable, its value, the code ours gives instead). host=127.0.0.1 without a port
# is the README's example; the caller's server is the test server, holding a hash they chose.
STEERING = [
    ("127.0.0.1", "MYSQL_TCP_PORT", lambda db: str(db.port), PAM_AUTHINFO_UNAVAIL),
    ("localhost", "MYSQL_UNIX_PORT", lambda db: db.socket, None),
]


@pytest.mark.parametrize("module_kind", ["ours", "oracle"])
@pytest.mark.parametrize("host,variable,value,our_code", STEERING, ids=[s[1] for s in STEERING])
def test_environment_does_not_choose_the_server(
        host, variable, value, our_code, module_kind, setuid_client, pam_service_factory, our_module, oracle_module, db):
    db.add_user("alice", PASSWORD)
    module = our_module if module_kind == "ours" else oracle_module
    svc = _service(pam_service_factory, module, db, host=host, connect_timeout=2)
    before = db.status("Connections")
    res = run_setuid(setuid_client, svc, "alice", PASSWORD, {variable: value(db)})
    steered = new_connections(db, before)
    if module_kind == "oracle":
        # pam_mysql 0.8.2 follows the caller's variable: su would let them in.
        assert res.code == 0 and steered >= 1, res.describe()
    else:
        assert res.code != 0 and steered == 0, res.describe()
        if our_code is not None:
            assert res.code == our_code, res.describe()


def test_mysql_pwd_in_environment_is_not_the_database_password(setuid_client, pam_service_factory, our_module, db):
    # No passwd option: Connector/C would send MYSQL_PWD when given a NULL password.
    db.add_user("alice", PASSWORD)
    svc = _service(pam_service_factory, our_module, db, passwd=None)
    res = run_setuid(setuid_client, svc, "alice", PASSWORD, {"MYSQL_PWD": ph.MariaDB.db_password})
    assert res.code == PAM_AUTHINFO_UNAVAIL, res.describe()
    assert res.logged("using password: NO"), res.describe()


@pytest.fixture
def foreign_plugin():
    """A shared object that, when loaded, leaves a marker file: the caller's code."""
    tmp = Path(tempfile.mkdtemp(prefix="pmtest-plugin-"))
    tmp.chmod(0o777)
    marker = tmp / "loaded"
    src = tmp / "x.c"
    src.write_text(
        '#include <stdio.h>\n#include <unistd.h>\n'
        f'__attribute__((constructor)) static void mark(void) {{ FILE *f = fopen("{marker}", "w");'
        ' if (f) { fprintf(f, "%d\\n", (int)geteuid()); fclose(f); } }\n')
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(tmp / "x.so"), str(src)], check=True, timeout=60)
    yield tmp, marker
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.parametrize("variables", [
    {"LIBMYSQL_PLUGINS": "x", "MARIADB_PLUGIN_DIR": "{dir}"},
    {"MARIADB_PLUGIN_DIR": "{dir}"},
    {"LIBMYSQL_PLUGINS": "x"},
], ids=["both", "plugin-dir", "plugins"])
def test_code_loading_variables_refused_in_setuid_host(
        variables, setuid_client, foreign_plugin, pam_service_factory, our_module, db):
    plugin_dir, marker = foreign_plugin
    db.add_user("alice", PASSWORD)
    svc = _service(pam_service_factory, our_module, db)
    env = {k: v.format(dir=plugin_dir) for k, v in variables.items()}
    res = run_setuid(setuid_client, svc, "alice", PASSWORD, env)
    assert not marker.exists(), "the caller's shared object was loaded as root"
    assert res.code == PAM_SERVICE_ERR, res.describe()
    errors = [m for p, m in res.log if p == 3]
    assert len(errors) == 1, res.describe()
    name = "LIBMYSQL_PLUGINS" if "LIBMYSQL_PLUGINS" in variables else "MARIADB_PLUGIN_DIR"
    assert name in errors[0] and "refusing to load the MariaDB client library" in errors[0], res.describe()
    assert str(plugin_dir) not in errors[0]


def test_code_loading_variables_load_the_plugin_without_our_check(
        setuid_client, foreign_plugin, pam_service_factory, oracle_module, db):
    # The control: the C module in the same set-uid client loads the caller's object as root,
    # so the marker test above can fail.
    plugin_dir, marker = foreign_plugin
    db.add_user("alice", PASSWORD)
    svc = _service(pam_service_factory, oracle_module, db)
    run_setuid(setuid_client, svc, "alice", PASSWORD,
               {"LIBMYSQL_PLUGINS": "x", "MARIADB_PLUGIN_DIR": str(plugin_dir)})
    assert marker.exists() and marker.read_text().strip() == "0"


def test_code_loading_variables_are_the_callers_own_business_without_privilege(
        foreign_plugin, pam_service_factory, our_module, db):
    # Not set-uid: the environment is the process's own; the module works as before.
    plugin_dir, marker = foreign_plugin
    db.add_user("alice", PASSWORD)
    svc = _service(pam_service_factory, our_module, db)
    res = ph.run_pam_loop(svc, "alice", [PASSWORD], env={"MARIADB_PLUGIN_DIR": str(plugin_dir)})
    assert res.code == 0, res.describe()


# --------------------------------------------------------------------------
# Programs started after the login hold no database socket
# --------------------------------------------------------------------------


def run_probe(service: str, user: str, password: str, port: int, mode: str) -> ph.Result:
    with tempfile.TemporaryDirectory(prefix="pmtest-probe-") as tmp:
        return ph._run([str(ph.HELPERS_DIR / "pam_exec_probe"), service, user, password, str(port), mode],
                       b"", 60, Path(tmp) / "syslog", None, True)


def _count(res: ph.Result, label: str) -> int:
    m = re.search(rf"^{label} SOCKETS (\d+)$", res.stdout, re.M)
    assert m, res.describe() + "\n" + res.stdout
    return int(m[1])


@pytest.mark.parametrize("mode", ["exec", "exec-after-end"])
def test_program_execed_after_login_inherits_no_database_socket(mode, pam_service_factory, our_module, db):
    db.add_user("alice", PASSWORD)
    svc = pam_service_factory(our_module, [
        f"auth required {{module}} {db.pam_args(crypt=0)}", f"account required {{module}} {db.pam_args(crypt=0)}"])
    res = run_probe(svc, "alice", PASSWORD, db.port, mode)
    assert "AUTH 0" in res.stdout and "ACCT 0" in res.stdout, res.stdout
    assert _count(res, "CHILD") == 0, res.stdout


def test_c_module_hands_its_connection_to_the_execed_program(pam_service_factory, oracle_module, db):
    # The control (and pam_mysql 0.8.2's behaviour inside one transaction): the counting works.
    db.add_user("alice", PASSWORD)
    svc = pam_service_factory(oracle_module, [
        f"auth required {{module}} {db.pam_args(crypt=0)}", f"account required {{module}} {db.pam_args(crypt=0)}"])
    res = run_probe(svc, "alice", PASSWORD, db.port, "exec")
    assert _count(res, "CHILD") == 1, res.stdout


def test_forked_child_closes_parents_pooled_socket_and_parent_keeps_it(pam_service_factory, our_module, db):
    db.add_user("alice", PASSWORD)
    svc = pam_service_factory(our_module, [f"auth required {{module}} {db.pam_args(crypt=0)}"])
    before = db.status("Connections")
    res = run_probe(svc, "alice", PASSWORD, db.port, "fork")
    assert _count(res, "PARENT") == 1, res.stdout  # pooled after pam_end
    assert _count(res, "CHILD") == 0, res.stdout  # closed in the fork handler
    assert "AGAIN 0" in res.stdout, res.stdout  # nothing was sent on the parent's socket
    assert new_connections(db, before) == 1, "the parent had to reconnect"


def test_setuid_host_keeps_no_pooled_connection(setuid_client, pam_service_factory, our_module, db):
    # Two logins in one set-uid process (pam_loop -n 2): each opens its own connection, since
    # nothing is pooled across transactions there.
    db.add_user("alice", PASSWORD)
    svc = _service(pam_service_factory, our_module, db)
    before = db.status("Connections")
    with tempfile.TemporaryDirectory(prefix="pmtest-suid-run-") as tmp:
        log = Path(tmp) / "syslog"
        proc = subprocess.run(
            [str(setuid_client), "-s", svc, "-u", "alice", "-p", PASSWORD, "-n", "2"],
            env={"PATH": "/usr/bin:/bin", "PAM_MYSQL_TEST_SYSLOG": str(log)}, capture_output=True, timeout=60,
            preexec_fn=lambda: (os.setgroups([]), os.setgid(NOGROUP), os.setuid(NOBODY)))
    assert proc.stdout.decode().count("code=0 ") == 2, proc.stdout
    assert new_connections(db, before) == 2
    # The same two logins in a process that is not set-uid share one connection.
    before = db.status("Connections")
    res = ph.run_pam_loop(svc, "alice", [PASSWORD], count=2)
    assert res.codes == [0, 0], res.describe()
    assert new_connections(db, before) == 1


# --------------------------------------------------------------------------
# A rogue server never gets the database password
# --------------------------------------------------------------------------

SSL_MODES = [None, "disable", "preferred", "require", "verify_ca", "verify_identity"]
ROGUE_REQUESTS = [
    ("mysql_clear_password", None),
    ("mysql_native_password", "mysql_clear_password"),
    ("mysql_native_password", "dialog"),
    ("caching_sha2_password", None),
    ("mysql_native_password", "sha256_password"),
]


def _rogue_service(pam_service_factory, module, db, port: int, ssl_mode: str | None) -> str:
    extra = {"ssl_mode": ssl_mode, "connect_timeout": 3, "read_timeout": 3}
    if ssl_mode in ("verify_ca", "verify_identity"):
        extra["ssl_ca"] = "/etc/ssl/certs/ca-certificates.crt"
    return _service(pam_service_factory, module, db, host=f"127.0.0.1:{port}", **extra)


@pytest.mark.parametrize("ssl_mode", SSL_MODES, ids=lambda m: m or "no-ssl-option")
@pytest.mark.parametrize("greeting,switch", ROGUE_REQUESTS, ids=lambda v: v or "-")
def test_rogue_server_never_receives_the_database_password(greeting, switch, ssl_mode, pam_service_factory, our_module, db):
    db.add_user("alice", PASSWORD)
    with FakeMySQL(greeting_plugin=greeting, switch_to=switch) as fake:
        svc = _rogue_service(pam_service_factory, our_module, db, fake.port, ssl_mode)
        res = ph.run_pam_loop(svc, "alice", [PASSWORD])
        time.sleep(0.2)
        received = fake.received
    # Booleans only: pytest would print the received bytes, password included, on failure.
    leaked_db_password = ph.MariaDB.db_password.encode() in received
    leaked_password = PASSWORD.encode() in received
    assert not leaked_db_password, "the database password reached the rogue server"
    assert not leaked_password, "the user's password reached the rogue server"
    assert res.code in (PAM_AUTHINFO_UNAVAIL, PAM_SERVICE_ERR), res.describe()
    if ssl_mode == "verify_identity":
        # Connector/C refuses a server without TLS before sending anything (the plugin list,
        # checked first, may refuse it earlier still).
        assert (res.logged("SSL is required, but the server does not support it")
                or res.logged("asked for an authentication plugin outside")), res.describe()
        sent_user = ph.MariaDB.db_user.encode() in received
        assert not sent_user, "the SQL user name was sent before TLS was refused"
    elif greeting != "mysql_native_password" or switch is not None:
        assert res.logged("asked for an authentication plugin outside mysql_native_password, client_ed25519"), res.describe()
    assert not any(ph.MariaDB.db_password in m for m in res.messages)


@pytest.mark.parametrize("greeting,switch", ROGUE_REQUESTS[:3], ids=lambda v: v or "-")
def test_c_module_hands_the_rogue_server_its_password(greeting, switch, pam_service_factory, oracle_module, db):
    # The control: the fake server does record a clear-text password when a client sends it.
    with FakeMySQL(greeting_plugin=greeting, switch_to=switch) as fake:
        svc = _service(pam_service_factory, oracle_module, db, host=f"127.0.0.1:{fake.port}")
        ph.run_pam_loop(svc, "alice", [PASSWORD])
        time.sleep(0.2)
        sent = ph.MariaDB.db_password.encode() in fake.received
        assert sent, "the C module did not send its password (the fake server cannot see it)"


def test_ssl_auth_plugins_needs_a_verified_tls_link(pam_service_factory, our_module, db):
    db.add_user("alice", PASSWORD)
    svc = _service(pam_service_factory, our_module, db, ssl_mode="require", ssl_auth_plugins="mysql_clear_password")
    res = ph.run_pam_loop(svc, "alice", [PASSWORD])
    assert res.code == PAM_SERVICE_ERR, res.describe()
    assert res.logged("ssl_auth_plugins applies only to a verified TLS link"), res.describe()


def test_ssl_auth_plugins_rejects_unknown_names(pam_service_factory, our_module, db):
    svc = _service(pam_service_factory, our_module, db, ssl_auth_plugins="mysql_native_passwordX")
    res = ph.run_pam_loop(svc, "alice", [PASSWORD])
    assert res.code == PAM_SERVICE_ERR, res.describe()
    assert res.logged("invalid ssl_auth_plugins value (argument ssl_auth_plugins)"), res.describe()
    assert not res.logged("passwordX")


@pytest.fixture(scope="module")
def fake_pki():
    tmp = Path(tempfile.mkdtemp(prefix="pmtest-fakepki-"))

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=tmp, check=True, capture_output=True, timeout=60)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=fake CA",
            "-keyout", "ca.key", "-out", "ca.pem")
    (tmp / "ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "srv.key", "-out", "srv.csr")
    openssl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", "ext", "-out", "srv.pem")
    yield tmp
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.parametrize("widened", [False, True])
def test_ssl_auth_plugins_widens_only_on_verified_tls(widened, fake_pki, pam_service_factory, our_module, db):
    # A TLS server with a verified certificate that asks for the clear-text plugin gets the
    # password (through TLS) only when the administrator listed it.
    import ssl
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(fake_pki / "srv.pem", fake_pki / "srv.key")
    with FakeMySQL(greeting_plugin="mysql_native_password", switch_to="mysql_clear_password", tls=context) as fake:
        extra = {"ssl_auth_plugins": "mysql_clear_password"} if widened else {}
        svc = _service(pam_service_factory, our_module, db, host=f"127.0.0.1:{fake.port}", ssl_mode="verify_identity",
                       ssl_ca=str(fake_pki / "ca.pem"), connect_timeout=3, **extra)
        res = ph.run_pam_loop(svc, "alice", [PASSWORD])
        time.sleep(0.2)
        # Recorded after decryption: what the client sent inside TLS.
        received = fake.received
    assert res.code in (PAM_AUTHINFO_UNAVAIL, PAM_SERVICE_ERR), res.describe()
    if widened:
        sent = ph.MariaDB.db_password.encode() in received
        assert sent, res.describe()
        assert res.logged("Access denied (fake server)"), res.describe()
    else:
        sent = ph.MariaDB.db_password.encode() in received
        assert not sent, "the database password was sent without ssl_auth_plugins"
        assert res.logged("asked for an authentication plugin outside"), res.describe()


# --------------------------------------------------------------------------
# The login deadline
# --------------------------------------------------------------------------


class SilentListener:
    """Accepts TCP connections (through the backlog) and never answers: a frozen server."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()


def test_login_timeout_bounds_failover_across_silent_servers(pam_service_factory, our_module, db):
    db.add_user("alice", PASSWORD)
    silent = [SilentListener() for _ in range(3)]
    try:
        hosts = ",".join(f"127.0.0.1:{s.port}" for s in silent)
        svc = _service(pam_service_factory, our_module, db, host=hosts, connect_timeout=2, login_timeout=3)
        res = ph.run_pam_loop(svc, "alice", [PASSWORD])
    finally:
        for s in silent:
            s.close()
    assert res.code == PAM_AUTHINFO_UNAVAIL, res.describe()
    assert res.logged("login_timeout (3 s) reached before server 3 of 3"), res.describe()
    # Servers 1 and 2 were tried (2 s, then the remaining second), server 3 never.
    assert sum("connecting to server" in m or "MySQL error" in m and "server 2 of 3" in m for m in res.messages) >= 1
    assert res.elapsed < 3 + 1.5, res.describe()


def test_default_login_timeout_keeps_failover_inside_eight_seconds(pam_service_factory, our_module, db):
    # Two frozen servers at the default connect_timeout (5 s each) and then the real one.
    db.add_user("alice", PASSWORD)
    silent = [SilentListener() for _ in range(2)]
    try:
        hosts = ",".join([f"127.0.0.1:{s.port}" for s in silent] + [db.tcp_host])
        svc = _service(pam_service_factory, our_module, db, host=hosts)
        res = ph.run_pam_loop(svc, "alice", [PASSWORD])
    finally:
        for s in silent:
            s.close()
    # A connect with servers left to try gets half of what is left of login_timeout (3.5 s,
    # then 1.75 s), so the third server is still reached and answers, inside 8 s.
    assert res.code == 0, res.describe()
    assert res.logged("using server 3 of 3"), res.describe()
    assert res.elapsed < 8, res.describe()


# --------------------------------------------------------------------------
# The account row read by authentication belongs to its own database
# --------------------------------------------------------------------------


def test_account_line_on_another_database_reads_its_own_row(pam_service_factory, our_module, db):
    db.add_user("alice", PASSWORD, status=0)
    other = "pmtest_other"
    db.sql(f"""
        DROP DATABASE IF EXISTS {other};
        CREATE DATABASE {other};
        CREATE TABLE {other}.users LIKE {db.db_name}.users;
        INSERT INTO {other}.users (username, password, status) VALUES ('alice', '{PASSWORD}', 1);
        GRANT SELECT ON {other}.* TO '{db.db_user}'@'127.0.0.1';
    """, database=None)
    try:
        auth = db.pam_args(crypt=0, statcolumn="status")
        account = db.pam_args(crypt=0, statcolumn="status", db=other)
        svc = pam_service_factory(our_module, [f"auth required {{module}} {auth}", f"account required {{module}} {account}"])
        res = ph.run_pam_loop(svc, "alice", [PASSWORD], ops=["auth", "acct"])
        # status bit 0 in the other database: the account has expired there.
        assert res.codes == [0, PAM_ACCT_EXPIRED], res.describe()
        # The control: the same database on both lines takes the cached row (allowed).
        same = pam_service_factory(our_module, [f"auth required {{module}} {auth}", f"account required {{module}} {auth}"])
        res = ph.run_pam_loop(same, "alice", [PASSWORD], ops=["auth", "acct"])
        assert res.codes == [0, 0], res.describe()
    finally:
        db.sql(f"DROP DATABASE IF EXISTS {other}", database=None)


# --------------------------------------------------------------------------
# Server errors that quote a bound value stay out of the log
# --------------------------------------------------------------------------


def test_server_error_quoting_a_new_password_is_not_logged(pam_service_factory, our_module, db):
    table = "narrow_users"
    db.sql(f"""
        DROP TABLE IF EXISTS {table};
        CREATE TABLE {table} (username VARCHAR(64) NOT NULL, password VARCHAR(255) CHARACTER SET utf8mb3 NULL)
            DEFAULT CHARSET=utf8mb3;
        INSERT INTO {table} VALUES ('alice', '{PASSWORD}');
    """)
    try:
        args = db.pam_args(crypt=0, table=table)
        svc = pam_service_factory(our_module, [f"password required {{module}} {args}"])
        new = "Zq9\U0001F600wxyzSECRETTAIL"
        # As root (real uid 0) the old password is not asked for.
        res = ph.run_pam_loop(svc, "alice", [new, new], ops=["chauthtok"])
        assert res.code != 0, res.describe()
        text = "\n".join(res.messages)
        assert "server error 1366" in text, res.describe()
        assert "wxyz" not in text and "SECRETTAIL" not in text and "\\xF0" not in text, res.describe()
    finally:
        db.sql(f"DROP TABLE IF EXISTS {table}")


# --------------------------------------------------------------------------
# A row larger than the packet limit
# --------------------------------------------------------------------------


def test_row_over_the_packet_limit_is_not_read(pam_service_factory, our_module, db):
    # 3 MiB in one row. Without the 2 MiB packet limit Connector/C would buffer it whole and
    # the module refuse it as a malformed value (7, "more than 4096"); with it the client
    # stops reading. Connector/C 3.3 reports its own refusal as a lost connection.
    db.add_user("huge", "x" * (3 * 1024 * 1024))
    db.add_user("alice", PASSWORD)
    svc = _service(pam_service_factory, our_module, db)
    res = ph.run_pam_loop(svc, "huge", [PASSWORD])
    assert res.code == PAM_AUTHINFO_UNAVAIL, res.describe()
    assert res.logged("MySQL error (Lost connection to server during query)"), res.describe()
    assert not res.logged("4096"), res.describe()
    # A value over 4096 bytes but inside the packet limit is still refused as malformed.
    db.add_user("big", "x" * 100_000)
    res = ph.run_pam_loop(svc, "big", [PASSWORD])
    assert res.code == 7 and res.logged("4096"), res.describe()
    res = ph.run_pam_loop(svc, "alice", [PASSWORD])
    assert res.code == 0, res.describe()


def test_login_timeout_does_not_count_the_users_typing(pam_service_factory, our_module, db):
    # login_timeout bounds the database work: a user who takes longer than it to type the
    # password still logs in (the deadline is paused around the conversation).
    db.add_user("alice", PASSWORD)
    svc = _service(pam_service_factory, our_module, db, login_timeout=1)
    res = ph.run_pam_loop(svc, "alice", [PASSWORD], answer_delay_ms=1500)
    assert res.code == 0, res.describe()
    assert res.elapsed >= 1.5


def test_password_change_with_slow_typing_is_not_cut_by_login_timeout(pam_service_factory, our_module, db):
    db.add_user("alice", PASSWORD)
    args = db.pam_args(crypt=1, login_timeout=1)
    svc = pam_service_factory(our_module, [f"password required {{module}} {args}"])
    new = "Slow-Typist-9"
    res = ph.run_pam_loop(svc, "alice", [new, new], ops=["chauthtok"], answer_delay_ms=700)
    assert res.code == 0, res.describe()
    assert res.logged('password changed for user "alice"'), res.describe()
