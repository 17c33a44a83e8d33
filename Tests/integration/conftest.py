"""pytest fixtures for the pam_mysql integration tests.

The machinery lives in pamharness.py (import constants and runners from
there); this file only wires it into fixtures:

    mariadb               session: the throw-away MariaDB server (pamharness.MariaDB)
    db                    function: the same server, running and answering,
                          users/log tables emptied before the test, restarted /
                          thawed after it if the test stopped or froze it
    module                function, parametrized ["oracle", "ours"]: module path
    oracle_module, our_module   the two paths, unparametrized
    pam_service_factory   function: make(module_path, lines, private=False)
                          -> PamService, files removed after the test

Run as root (the tests write to /etc/pam.d and start mariadbd --user=mysql).
Set PAM_MYSQL_ORACLE_ONLY=1 to skip the "ours" parameter; otherwise a missing
build/pam_mysql.so fails those tests.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from typing import Iterator

import pytest

import pamharness as ph
from pamharness import MariaDB, PamService


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: long-running test (timeouts, loops)")
    # mariadbd runs in its own session (so ^C reaches only pytest); make a
    # SIGTERM (e.g. a CI timeout) unwind like ^C so the finalizers stop it.
    signal.signal(signal.SIGTERM, _sigterm_to_interrupt)


def _sigterm_to_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session", autouse=True)
def _harness_preflight() -> None:
    """Fail early and clearly instead of in every test."""
    if os.geteuid() != 0:
        pytest.exit("the integration tests must run as root (/etc/pam.d, mariadbd --user=mysql)")
    ph.ensure_helpers()


@pytest.fixture(scope="session")
def mariadb() -> Iterator[MariaDB]:
    """One private MariaDB server for the whole session.

    Tests that only read should still prefer the `db` fixture, which also
    puts the server back into a usable state afterwards.
    """
    srv = MariaDB.create()
    try:
        yield srv
    finally:
        srv.destroy()


@pytest.fixture
def db(mariadb: MariaDB) -> Iterator[MariaDB]:
    """The session server, clean for this test and restored after it.

    Empties `users` and `log` before the test.  A test may stop() / freeze()
    the server (or use `with db.stopped():` / `with db.frozen():`); it is
    thawed or restarted at teardown either way.
    """
    mariadb.restore()
    mariadb.sql("DELETE FROM users; DELETE FROM log;")
    try:
        yield mariadb
    finally:
        mariadb.restore()


class ModulePath(str):
    """Path of a PAM module (a str) plus .kind: "oracle" or "ours"."""

    kind: str

    def __new__(cls, path: str | os.PathLike, kind: str) -> "ModulePath":
        obj = super().__new__(cls, str(path))
        obj.kind = kind
        return obj


def _module_path(kind: str) -> ModulePath:
    if kind == "oracle":
        if not ph.ORACLE_MODULE.exists():
            pytest.fail(f"oracle module {ph.ORACLE_MODULE} missing (apt-get install libpam-mysql)")
        return ModulePath(ph.ORACLE_MODULE, "oracle")
    if ph.ORACLE_ONLY:
        pytest.skip("PAM_MYSQL_ORACLE_ONLY=1")
    if not ph.OUR_MODULE.exists():
        pytest.fail(
            f"{ph.OUR_MODULE} is not built (run make, or set PAM_MYSQL_ORACLE_ONLY=1 "
            "to test the C oracle only)"
        )
    return ModulePath(ph.OUR_MODULE, "ours")


@pytest.fixture(params=["oracle", "ours"])
def module(request: pytest.FixtureRequest) -> ModulePath:
    """The module under test; every test using it runs once per module."""
    return _module_path(request.param)


@pytest.fixture
def oracle_module() -> ModulePath:
    return _module_path("oracle")


@pytest.fixture
def our_module() -> ModulePath:
    return _module_path("ours")


@pytest.fixture
def pam_service_factory():
    """Factory: make(module_path, body_lines, private=False) -> PamService.

    body_lines: a str/bytes or a list of them; `{module}` is replaced by
    module_path.  private=False writes /etc/pam.d/pmtest-<random> (works with
    pamtester and pam_loop); private=True writes into a fresh directory,
    passed to pam_loop as -c automatically (service.confdir).  Everything is
    removed at teardown.
    """
    services: list[PamService] = []
    confdirs: list[str] = []

    def make(module_path, body_lines, private: bool = False) -> PamService:
        confdir = None
        if private:
            confdir = tempfile.mkdtemp(prefix="pmtest-pamd-")
            confdirs.append(confdir)
        svc = ph.write_pam_service(module_path, body_lines, confdir)
        services.append(svc)
        return svc

    try:
        yield make
    finally:
        for svc in services:
            ph.remove_pam_service(svc)
        for d in confdirs:
            shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def standard_service(pam_service_factory, module: ModulePath, db: MariaDB):
    """Factory for the common case: auth+account lines of one module against
    the test server.  make(private=False, preset=False, **options) ->
    PamService; options are module arguments on top of db.pam_args()
    (crypt=0 by default), e.g. make(crypt=1, verbose=1).  preset=True puts
    the pam_preset_authtok helper first (for run_*(authtok=...))."""

    def make(private: bool = False, preset: bool = False, **options) -> PamService:
        options.setdefault("crypt", 0)
        args = db.pam_args(**options)
        lines = [f"auth required {{module}} {args}", f"account required {{module}} {args}"]
        if preset:
            lines.insert(0, "auth required {preset}")
        return pam_service_factory(module, lines, private=private)

    return make


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Fixture finalizers remove what they created; this catches anything a
    # crashed finalizer left behind (only files this process created).
    ph.remove_leftover_pam_files()
