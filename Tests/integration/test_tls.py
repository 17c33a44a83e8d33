"""TLS to the database (README, "TLS and failover"): ssl_mode and the ssl_* options.

Three private servers: one with a certificate from our CA (SAN 127.0.0.1 and localhost; it also
listens on 127.0.0.2, a name its certificate does not carry), one with a certificate from an
unrelated CA, and one without TLS. On the TLS servers the SQL login is created `REQUIRE SSL`, so
a login that succeeds there proves the connection was encrypted; a plain one fails on the server.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import pamharness as ph
from pamharness import LOG_ERR, PAM_AUTHINFO_UNAVAIL, PAM_SERVICE_ERR, PAM_SUCCESS, MariaDB, run_pam_loop

PW = "Tls-pw-7q"
OK, UNAVAIL, SERVICE = PAM_SUCCESS, PAM_AUTHINFO_UNAVAIL, PAM_SERVICE_ERR


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _make_ca(d: Path, name: str) -> None:
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
             "-keyout", f"{name}.key", "-out", f"{name}.pem", cwd=d)


def _make_server_cert(d: Path, ca: str, name: str) -> None:
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
             "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=d)
    (d / f"{name}.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
             "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=d)


@pytest.fixture(scope="module")
def pki():
    d = Path(tempfile.mkdtemp(prefix="pmtest-pki-"))
    d.chmod(0o755)
    _make_ca(d, "ourca")
    _make_ca(d, "otherca")
    _make_server_cert(d, "ourca", "good")
    _make_server_cert(d, "otherca", "other")
    for f in d.iterdir():
        f.chmod(0o644)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _tls_args(pki: Path, name: str) -> list[str]:
    return [f"--ssl-ca={pki / 'ourca.pem' if name == 'good' else pki / 'otherca.pem'}",
            f"--ssl-cert={pki / (name + '.pem')}", f"--ssl-key={pki / (name + '.key')}"]


@pytest.fixture(scope="module")
def servers(pki):
    made: dict[str, MariaDB] = {}
    try:
        made["good"] = MariaDB.create([*_tls_args(pki, "good"), "--bind-address=127.0.0.1,127.0.0.2"])
        made["other"] = MariaDB.create(_tls_args(pki, "other"))
        made["plain"] = MariaDB.create()
        for name, srv in made.items():
            require = "" if name == "plain" else " REQUIRE SSL"
            srv.sql(f"""
                CREATE USER 'tlsuser'@'%' IDENTIFIED BY '{MariaDB.db_password}'{require};
                GRANT SELECT ON {MariaDB.db_name}.* TO 'tlsuser'@'%';
                DELETE FROM users;
            """)
            srv.add_user("carol", PW)
        have_ssl = made["good"].sql("SHOW GLOBAL VARIABLES LIKE 'have_ssl'")
        assert have_ssl and have_ssl[0][1] == "YES", have_ssl
        yield made
    finally:
        for srv in made.values():
            srv.destroy()


def _login(pam_service_factory, our_module, srv: MariaDB, host: str | None = None, **options) -> ph.Result:
    args = srv.pam_args(user="tlsuser", crypt=0, connect_timeout=3, read_timeout=3, write_timeout=3,
                        host=host or srv.tcp_host, **options)
    svc = pam_service_factory(our_module, [f"auth required {{module}} {args}"])
    return run_pam_loop(svc, "carol", answers=[PW])


# ssl_mode -> expected code for (server with our CA's certificate, server with another CA's,
# server without TLS), ssl_ca=our CA in every row.
TRUTH_TABLE_WITH_CA = {
    None: (UNAVAIL, UNAVAIL, OK),  # no ssl_mode, no ssl_*: plain, as pam_mysql 0.8.2 (ssl_ca: see below)
    "disable": (UNAVAIL, UNAVAIL, OK),
    "preferred": (OK, UNAVAIL, OK),
    "require": (OK, UNAVAIL, UNAVAIL),
    "enforce": (OK, UNAVAIL, UNAVAIL),
    "verify_ca": (OK, UNAVAIL, UNAVAIL),
    "verify_identity": (OK, UNAVAIL, UNAVAIL),
}


@pytest.mark.parametrize("mode", list(TRUTH_TABLE_WITH_CA), ids=lambda m: f"ssl_mode={m}")
def test_ssl_mode_truth_table_with_our_ca(mode, servers, pki, pam_service_factory, our_module):
    got = []
    for name in ("good", "other", "plain"):
        extra = {} if mode is None else {"ssl_mode": mode, "ssl_ca": pki / "ourca.pem"}
        r = _login(pam_service_factory, our_module, servers[name], **extra)
        assert r.signal is None and not r.timed_out, r.describe()
        if r.code != OK:
            assert any(p == LOG_ERR and "MySQL error (" in m for p, m in r.log), r.describe()
        got.append(r.code)
    assert tuple(got) == TRUTH_TABLE_WITH_CA[mode]


# Without a CA nothing can be verified: require only encrypts, verify_* refuse to run.
TRUTH_TABLE_WITHOUT_CA = {
    "disable": (UNAVAIL, UNAVAIL, OK),
    "preferred": (OK, OK, OK),
    "require": (OK, OK, UNAVAIL),
    "verify_ca": (SERVICE, SERVICE, SERVICE),
    "verify_identity": (SERVICE, SERVICE, SERVICE),
}


@pytest.mark.parametrize("mode", list(TRUTH_TABLE_WITHOUT_CA), ids=lambda m: f"ssl_mode={m}")
def test_ssl_mode_truth_table_without_ca(mode, servers, pam_service_factory, our_module):
    got = tuple(_login(pam_service_factory, our_module, servers[n], ssl_mode=mode).code
                for n in ("good", "other", "plain"))
    assert got == TRUTH_TABLE_WITHOUT_CA[mode]


def test_ssl_ca_alone_means_verify_identity(servers, pki, pam_service_factory, our_module):
    codes = tuple(_login(pam_service_factory, our_module, servers[n], ssl_ca=pki / "ourca.pem").code
                  for n in ("good", "other", "plain"))
    assert codes == (OK, UNAVAIL, UNAVAIL)


def test_verify_identity_checks_the_host_name_and_verify_ca_does_not(servers, pki, pam_service_factory, our_module):
    host = f"127.0.0.2:{servers['good'].port}"  # not in the certificate
    ca = pki / "ourca.pem"
    assert _login(pam_service_factory, our_module, servers["good"], host=host, ssl_mode="verify_ca", ssl_ca=ca).code == OK
    r = _login(pam_service_factory, our_module, servers["good"], host=host, ssl_mode="verify_identity", ssl_ca=ca)
    assert r.code == UNAVAIL, r.describe()
    assert any("MySQL error (" in m and "ssl_mode=verify_identity" in m for m in r.messages), r.describe()


def test_ssl_capath_works_like_ssl_ca(servers, pki, pam_service_factory, our_module, tmp_path):
    capath = tmp_path / "certs"
    capath.mkdir()
    shutil.copy(pki / "ourca.pem", capath / "ourca.pem")
    subprocess.run(["openssl", "rehash", str(capath)], check=True, capture_output=True)
    codes = tuple(_login(pam_service_factory, our_module, servers[n], ssl_mode="verify_identity", ssl_capath=capath).code
                  for n in ("good", "other"))
    assert codes == (OK, UNAVAIL)


def test_other_ca_and_plain_server_give_clear_log_lines(servers, pki, pam_service_factory, our_module):
    ca = pki / "ourca.pem"
    other = _login(pam_service_factory, our_module, servers["other"], ssl_mode="verify_ca", ssl_ca=ca)
    plain = _login(pam_service_factory, our_module, servers["plain"], ssl_mode="verify_ca", ssl_ca=ca)
    for r in (other, plain):
        lines = [m for p, m in r.log if p == LOG_ERR and "MySQL error (" in m]
        assert len(lines) == 1 and "ssl_mode=verify_ca" in lines[0], r.describe()


def test_ssl_mode_in_the_config_file(servers, pki, pam_service_factory, our_module, tmp_path):
    srv = servers["good"]
    conf = tmp_path / "pam_mysql.conf"
    conf.write_text(f"users.ssl_mode = verify_identity\nusers.ssl_ca = {pki / 'ourca.pem'}\n")
    conf.chmod(0o600)
    assert _login(pam_service_factory, our_module, srv, config_file=conf).code == OK
    assert _login(pam_service_factory, our_module, servers["other"], config_file=conf).code == UNAVAIL


def test_unknown_ssl_mode_is_a_service_error(servers, pam_service_factory, our_module):
    r = _login(pam_service_factory, our_module, servers["good"], ssl_mode="sometimes")
    assert r.code == PAM_SERVICE_ERR, r.describe()
    assert any("invalid ssl_mode" in m for m in r.messages), r.describe()
