"""A MariaDB Galera cluster on loopback for the tests (galera-4 from Debian).

    cluster = GaleraCluster.create(3)     # node 1 bootstraps, the others join by rsync SST
    cluster.nodes[0].kill()               # SIGKILL
    cluster.nodes[0].start()              # rejoins (IST or SST from a live node)
    cluster.isolate(cluster.nodes[2])     # gmcast.isolate=1: that node leaves the primary
                                          # component and answers ER 1047 to every SELECT
    cluster.rejoin(cluster.nodes[2])
    cluster.destroy()                     # stops every node, removes every directory

Each node is a pamharness.MariaDB (its own datadir, socket, pid file, error log and TCP port,
so `sql()`, `pam_args()`, `add_user()` work on it) with three more loopback ports: the group
communication port (gmcast.listen_addr), the IST receive port (ist.recv_addr) and the rsync SST
port (wsrep_sst_receive_address). The cluster name is random, so two clusters started by two
test runs at once never merge. The group timeouts are cut from Galera's defaults (suspect
after 2 s instead of 5 s) so a killed node leaves the view within seconds.

Node 1 is created with mariadb-install-db and provisioned like every test server (database,
SQL user, users and log tables, all InnoDB so they replicate); the others start from an empty
datadir and receive everything by SST. `weights` (pc.weight) decide quorum: with weights
(2, 1), node 1 keeps the primary component alone when node 2 is isolated.

Python 3.11 standard library only.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Sequence

import pamharness as ph

GALERA_PROVIDER = Path("/usr/lib/galera/libgalera_smm.so")

# Galera's group timeouts, shortened for tests on loopback (defaults: keepalive 1 s, suspect
# 5 s, inactive 15 s, install 7.5 s). A node that stops answering is suspected after 2 s and
# dropped from the view after 3 s.
GROUP_TIMEOUTS = (
    "evs.keepalive_period=PT0.5S;evs.inactive_check_period=PT0.5S;evs.suspect_timeout=PT2S;"
    "evs.inactive_timeout=PT3S;evs.install_timeout=PT2S"
)


def require_galera() -> None:
    """Fails (never skips) when galera-4 or rsync is missing: `make deps` installs them."""
    import pytest

    missing = [str(p) for p in (GALERA_PROVIDER, Path("/usr/bin/rsync"), Path("/usr/bin/wsrep_sst_rsync"))
               if not p.exists()]
    if missing:
        pytest.fail(f"Galera test needs {', '.join(missing)}: run `make deps` (packages galera-4, rsync)")


class GaleraNode(ph.MariaDB):
    """One node: a MariaDB whose start-up arguments make it a member of `cluster`."""

    def __init__(self, basedir: Path, port: int, cluster: "GaleraCluster", number: int, weight: int) -> None:
        super().__init__(basedir, port)
        self.cluster = cluster
        self.number = number
        self.name = f"node{number}"
        self.weight = weight
        self.group_port = ph.free_port()
        self.ist_port = ph.free_port()
        self.sst_port = ph.free_port()
        self.bootstrap = False
        # Its own tmpdir (temporary tables, SST scratch files): a file another process removes
        # from /tmp under a running mariadb-install-db fails it.
        self.tmpdir = basedir / "tmp"

    def _install(self) -> None:
        self._make_tmpdir()
        proc = subprocess.run(
            ["mariadb-install-db", "--no-defaults", "--user=mysql", f"--datadir={self.datadir}",
             "--auth-root-authentication-method=socket", "--skip-test-db", f"--tmpdir={self.tmpdir}"],
            capture_output=True, text=True, timeout=120, env=ph.child_env(),
        )
        if proc.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed:\n{proc.stdout}\n{proc.stderr}")

    def _make_tmpdir(self) -> None:
        self.tmpdir.mkdir(exist_ok=True)
        shutil.chown(self.tmpdir, "mysql", "mysql")

    def wsrep_args(self) -> list[str]:
        provider_options = (
            f"gmcast.listen_addr=tcp://127.0.0.1:{self.group_port};ist.recv_addr=127.0.0.1:{self.ist_port};"
            f"gcache.size=32M;pc.weight={self.weight};{GROUP_TIMEOUTS}"
        )
        args = [
            "--wsrep-on=ON", f"--wsrep-provider={GALERA_PROVIDER}",
            f"--wsrep-cluster-name={self.cluster.name}",
            f"--wsrep-cluster-address={self.cluster.gcomm_address}",
            f"--wsrep-node-name={self.name}", "--wsrep-node-address=127.0.0.1",
            f"--wsrep-node-incoming-address=127.0.0.1:{self.port}",
            f"--wsrep-provider-options={provider_options}",
            "--wsrep-sst-method=rsync", f"--wsrep-sst-receive-address=127.0.0.1:{self.sst_port}",
            "--binlog-format=ROW", "--innodb-autoinc-lock-mode=2", "--default-storage-engine=InnoDB",
            "--innodb-buffer-pool-size=32M", "--innodb-flush-log-at-trx-commit=0", f"--tmpdir={self.tmpdir}",
        ]
        if self.bootstrap:
            args.append("--wsrep-new-cluster")
        return args

    def start(self, timeout: float = 120) -> None:
        """Starts the node and waits until it is Synced with the cluster (a joiner answers
        `ping` only after its SST)."""
        self._make_tmpdir()
        self.extra_args = self.wsrep_args()
        super().start(timeout=timeout)
        self.wait_synced(timeout)

    def wsrep(self, name: str) -> str:
        """A wsrep status value as text (e.g. wsrep("cluster_status") -> "Primary")."""
        rows = self.sql(f"SHOW GLOBAL STATUS LIKE 'wsrep_{name}'", database=None, timeout=10)
        return rows[0][1] if rows else ""

    def wait_synced(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(ph.SqlError, OSError):
                if self.wsrep("local_state_comment") == "Synced" and self.wsrep("ready") == "ON":
                    return
            if not self.running:
                raise RuntimeError(f"{self.name} exited while joining:\n{self.error_log_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not Synced within {timeout}s:\n{self.error_log_text()}")
            time.sleep(0.2)

    def wait_status(self, name: str, value: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(ph.SqlError, OSError):
                if self.wsrep(name) == value:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: wsrep_{name} is not {value} after {timeout}s")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL to the node's whole process group (mariadbd and any SST helper it forked)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        self.proc = None
        self.frozen_state = False

    def set_provider_option(self, option: str) -> None:
        self.sql(f"SET GLOBAL wsrep_provider_options='{option}'", database=None, timeout=30)


class GaleraCluster:
    def __init__(self, size: int, weights: Sequence[int] | None = None) -> None:
        self.name = f"pmtest-{secrets.token_hex(4)}"
        self.base = Path(tempfile.mkdtemp(prefix="pmtest-galera-"))
        self.base.chmod(0o755)
        weights = list(weights or [1] * size)
        self.nodes: list[GaleraNode] = []
        for number in range(1, size + 1):
            basedir = self.base / f"node{number}"
            basedir.mkdir()
            shutil.chown(basedir, "mysql", "mysql")
            basedir.chmod(0o755)
            self.nodes.append(GaleraNode(basedir, ph.free_port(), self, number, weights[number - 1]))

    @property
    def gcomm_address(self) -> str:
        return "gcomm://" + ",".join(f"127.0.0.1:{n.group_port}" for n in self.nodes)

    @classmethod
    def create(cls, size: int = 3, weights: Sequence[int] | None = None) -> "GaleraCluster":
        require_galera()
        cluster = cls(size, weights)
        try:
            first = cluster.nodes[0]
            first._install()
            first.bootstrap = True
            first.start()
            first.bootstrap = False  # a restart joins the others
            first._provision()
            for node in cluster.nodes[1:]:
                node.datadir.mkdir()
                shutil.chown(node.datadir, "mysql", "mysql")
                node.start()
            first.wait_status("cluster_size", str(size))
        except BaseException:
            cluster.destroy()
            raise
        return cluster

    def host_option(self, nodes: Sequence[GaleraNode] | None = None) -> str:
        """The module's `host` list for `nodes` (default: every node, in order)."""
        return ",".join(n.tcp_host for n in (nodes if nodes is not None else self.nodes))

    def isolate(self, node: GaleraNode, timeout: float = 30) -> None:
        """Cuts `node` off the group (gmcast.isolate=1): it leaves the primary component, keeps
        accepting connections and answers ER 1047 to every SELECT."""
        node.set_provider_option("gmcast.isolate=1")
        node.wait_status("cluster_status", "non-Primary", timeout)

    def rejoin(self, node: GaleraNode, timeout: float = 60) -> None:
        node.set_provider_option("gmcast.isolate=0")
        node.wait_synced(timeout)

    def primary_nodes(self) -> list[GaleraNode]:
        return [n for n in self.nodes if n.running and n.wsrep("cluster_status") == "Primary"]

    def destroy(self) -> None:
        for node in reversed(self.nodes):
            with contextlib.suppress(Exception):
                node.thaw()
                node.stop()
            ph._live_servers.discard(node)
        shutil.rmtree(self.base, ignore_errors=True)
