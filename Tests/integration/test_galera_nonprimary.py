"""A Galera node outside the primary component answers ER 1047 ("WSREP has not yet prepared
node for application use") to the login's SELECT while it still accepts connections: the
module and the daemon treat that as a reason to fail over, like a connection failure, and with
no other server as a temporary failure, never as a refusal of the user.

A real 2-node cluster (galeraharness, galera-4): node 1 (pc.weight=2) bootstraps, node 2 joins
by rsync SST and is then cut off the group (gmcast.isolate=1). Node 2 is non-Primary, node 1
keeps the primary component alone. `host` lists name node 2 first. The 3-node cluster under
load, with a node killed and rejoined, is `make galera` (galera_under_load.py).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import authdharness as ah
import pamharness as ph
from galeraharness import GaleraCluster
from pamharness import LOG_ERR, LOG_WARNING, PAM_AUTH_ERR, PAM_AUTHINFO_UNAVAIL, PAM_SUCCESS, PAM_USER_UNKNOWN

PW = "Galera-pw-7q"
USER = "gail"
RETRY = 30  # failover_retry: the isolated node stays skipped for the whole file
DRIVER = Path(__file__).parent / "helpers" / "pam_driver.py"
NOT_READY = "WSREP has not yet prepared node for application use"


@pytest.fixture(scope="module")
def cluster():
    cluster = GaleraCluster.create(2, weights=(2, 1))
    try:
        cluster.nodes[0].add_user(USER, PW)
        cluster.nodes[1].wait_status("last_committed", cluster.nodes[0].wsrep("last_committed"))
        cluster.isolate(cluster.nodes[1])
        cluster.nodes[0].wait_status("cluster_size", "1")
        assert cluster.nodes[0].wsrep("cluster_status") == "Primary"
        yield cluster
    finally:
        cluster.destroy()


def module_args(cluster, nodes) -> str:
    node1 = cluster.nodes[0]
    return node1.pam_args(host=cluster.host_option(nodes), crypt=0, connect_timeout=2, read_timeout=2, write_timeout=2,
                          failover_retry=RETRY)


@pytest.fixture
def service(cluster, pam_service_factory, our_module):
    def make(nodes):
        args = module_args(cluster, nodes)
        return pam_service_factory(our_module, [f"auth required {{module}} {args}", f"account required {{module}} {args}"])
    return make


class Host:
    """A long-lived PAM host (helpers/pam_driver.py), as a saslauthd worker: the failed-server
    table and the pool live between its logins; its syslog is captured."""

    def __init__(self, service):
        ph.ensure_helpers()
        self.syslog = Path(tempfile.mkdtemp(prefix="pmtest-driver-")) / "syslog"
        env = ph.child_env({"PAM_MYSQL_TEST_SYSLOG": str(self.syslog), "LD_PRELOAD": str(ph.SYSLOG_CAPTURE)})
        self.proc = subprocess.Popen([sys.executable, str(DRIVER), str(service), USER, PW], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)
        self.seen = 0

    def login(self, user: str = USER, password: str = PW) -> tuple[int, int, float]:
        self.proc.stdin.write(f"login {user} {password}\n")
        self.proc.stdin.flush()
        auth, acct, seconds = self.proc.stdout.readline().split()
        return int(auth), int(acct), float(seconds)

    def new_log(self) -> list[tuple[int, str]]:
        lines = ph._read_syslog(self.syslog)
        fresh, self.seen = lines[self.seen:], len(lines)
        return fresh

    def close(self):
        self.proc.stdin.close()
        try:
            assert self.proc.wait(30) == 0
        finally:
            shutil.rmtree(self.syslog.parent, ignore_errors=True)


def test_the_isolated_node_answers_1047_and_accepts_connections(cluster):
    node2 = cluster.nodes[1]
    assert node2.wsrep("cluster_status") == "non-Primary"
    assert node2.wsrep("ready") == "OFF"
    with pytest.raises(ph.SqlError, match=f"ERROR 1047 .*{NOT_READY}"):
        node2.sql(f"SELECT password FROM users WHERE username = '{USER}'")


def test_the_module_fails_over_to_the_primary_component_and_then_skips_the_node(cluster, service):
    node2 = cluster.nodes[1]
    host = Host(service([node2, cluster.nodes[0]]))
    try:
        auth, acct, seconds = host.login()
        assert (auth, acct) == (PAM_SUCCESS, PAM_SUCCESS)
        assert seconds < 8
        log = host.new_log()
        errors = [m for p, m in log if p == LOG_ERR]
        assert len(errors) == 1 and f"MySQL error ({NOT_READY}) from server 1 of 2 (127.0.0.1 port {node2.port})" in errors[0], log
        assert "it cannot serve, trying the next server" in errors[0], log
        warnings = [m for p, m in log if p == LOG_WARNING]
        assert len(warnings) == 1 and "using server 2 of 2" in warnings[0] and "could not serve the statement" in warnings[0], log
        # Within failover_retry the node is skipped: no statement, no error line.
        before = node2.status("Connections")
        assert host.login()[:2] == (PAM_SUCCESS, PAM_SUCCESS)
        assert host.login(USER, "wrong-pw")[0] == PAM_AUTH_ERR
        assert host.login("nobody", PW)[0] == PAM_USER_UNKNOWN
        assert node2.status("Connections") - before == 1  # the counter's own connection only
        assert not [m for p, m in host.new_log() if p <= LOG_WARNING and NOT_READY in m]
    finally:
        host.close()


@pytest.mark.parametrize("user, password", [(USER, PW), (USER, "wrong-pw"), ("nobody", PW)],
                         ids=["right", "wrong", "unknown"])
def test_the_module_alone_with_the_isolated_node_answers_authinfo_unavail(cluster, service, user, password):
    r = ph.run_pam_loop(service([cluster.nodes[1]]), user, answers=[password])
    assert r.code == PAM_AUTHINFO_UNAVAIL and r.signal is None, r.describe()
    assert r.logged(f"MySQL error ({NOT_READY})", LOG_ERR), r.describe()
    assert r.elapsed < 8, r.describe()


@pytest.fixture(scope="module")
def authd(cluster):
    node1, node2 = cluster.nodes
    fast = ah.fast_timeouts(failover_retry=RETRY)
    d = ah.AuthDaemon({
        "smtp": ah.service_lines(node1, host=cluster.host_option([node2, node1]), **fast),
        "alone": ah.service_lines(node1, host=cluster.host_option([node2]), **fast),
    }).start()
    try:
        yield d
    finally:
        d.destroy()


def test_the_daemon_fails_over_to_the_primary_component(cluster, authd):
    with authd.dovecot() as c:
        c.handshake()
        for rid, (user, password, expected) in enumerate(
                [(USER, PW, "OK"), (USER, "wrong-pw", "FAIL"), ("nobody", PW, "FAIL"), (USER, PW, "OK")], start=1):
            t0 = time.monotonic()
            r = c.plain(rid, user, password, timeout=10)
            assert r is not None and r.command == expected, (user, password, r)
            assert time.monotonic() - t0 < 8
    assert authd.sasl(USER, PW).kind == "OK"
    assert authd.sasl(USER, "wrong-pw").kind == "NO"
    assert f"MySQL error ({NOT_READY}) from server 1 of 2" in authd.log_text() + authd.output_text()


def test_the_daemon_alone_with_the_isolated_node_answers_a_temporary_failure(cluster, authd):
    mark = authd.log_mark()
    for user, password in [(USER, PW), (USER, "wrong-pw"), ("nobody", PW)]:
        r = authd.sasl(user, password, "alone")
        assert r.kind == "EMPTY" and r.elapsed < 8, (user, r)  # saslauthd's "try later", never NO
        with authd.dovecot() as c:
            c.handshake()
            t0 = time.monotonic()
            reply = c.plain(1, user, password, service="alone", timeout=10)
            assert reply is None, (user, reply)  # the connection closes: Postfix answers 454, not 535
            assert time.monotonic() - t0 < 8
    log = authd.log_since(mark)
    assert ah.failure_lines(log) == [], log  # nothing for fail2ban to count
    assert "auth unavailable: " in log, log


def test_after_the_node_rejoins_it_serves_again(cluster, service):
    node2 = cluster.nodes[1]
    cluster.rejoin(node2)
    try:
        r = ph.run_pam_loop(service([node2]), USER, answers=[PW])
        assert r.code == PAM_SUCCESS, r.describe()
    finally:
        cluster.isolate(node2)  # as the other tests of the module expect, whatever the order
