"""make deps refuses to replace an installed mail or database server (scripts/install-deps.sh).

The decision is the script's own `judge` (awk over `apt-get -s install …` output), run through its
`--judge FILE` entry point on canned simulations: what apt-get printed on Debian 12 for the
situations below.  Nothing is installed; no root needed.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import pamharness as ph

SCRIPT = ph.REPO / "scripts" / "install-deps.sh"

# A clean machine: only new packages.
CLEAN = """\
NOTE: This is only a simulation!
      apt-get needs root privileges for real execution.
Reading package lists...
Building dependency tree...
The following NEW packages will be installed:
  postfix sasl2-bin swaks
Inst ssl-cert (1.1.2 Debian:12.8/stable [all])
Inst postfix (3.7.11-0+deb12u1 Debian:12.8/stable [amd64])
Inst sasl2-bin (2.1.28+dfsg-10 Debian:12.8/stable [amd64])
Inst swaks (20201014.0-2 Debian:12.8/stable [all])
Conf ssl-cert (1.1.2 Debian:12.8/stable [all])
Conf postfix (3.7.11-0+deb12u1 Debian:12.8/stable [amd64])
"""

# Debian's default MTA installed: postfix conflicts with mail-transport-agent.
EXIM = """\
Reading package lists...
The following packages will be REMOVED:
  exim4-base exim4-config exim4-daemon-light
The following NEW packages will be installed:
  postfix
Remv exim4-daemon-light [4.96-15+deb12u6]
Remv exim4-base [4.96-15+deb12u6]
Remv exim4-config [4.96-15+deb12u6]
Inst postfix (3.7.11-0+deb12u1 Debian:12.8/stable [amd64])
Conf postfix (3.7.11-0+deb12u1 Debian:12.8/stable [amd64])
"""

# Oracle's MySQL 8.0 installed: mariadb-server conflicts with it.
MYSQL = """\
The following packages will be REMOVED:
  mysql-community-server mysql-community-server-core mysql-server
Remv mysql-server [8.0.40-1debian12]
Remv mysql-community-server [8.0.40-1debian12]
Remv mysql-community-server-core [8.0.40-1debian12]
Inst mariadb-server (1:10.11.6-0+deb12u1 Debian:12.8/stable [amd64])
Conf mariadb-server (1:10.11.6-0+deb12u1 Debian:12.8/stable [amd64])
"""

# MariaDB 11.4 from mariadb.org installed: Debian's 10.11 would downgrade it.
MARIADB_MAJOR = """\
The following packages will be DOWNGRADED:
  mariadb-server mariadb-server-core
Inst mariadb-server-core [1:11.4.4+maria~deb12] (1:10.11.6-0+deb12u1 Debian:12.8/stable [amd64])
Inst mariadb-server [1:11.4.4+maria~deb12] (1:10.11.6-0+deb12u1 Debian:12.8/stable [amd64])
"""

# A point release of the same major, and an unrelated package removed: both fine.
MARIADB_POINT = """\
Remv libmariadbclient-dev-compat [1:10.11.4-1~deb12u1]
Inst mariadb-server-core [1:10.11.4-1~deb12u1] (1:10.11.6-0+deb12u1 Debian:12.8/stable [amd64])
Inst mariadb-server [1:10.11.4-1~deb12u1] (1:10.11.6-0+deb12u1 Debian:12.8/stable [amd64])
"""


def judge(tmp_path: Path, simulation: str, **env: str) -> subprocess.CompletedProcess:
    canned = tmp_path / "apt-get-s.txt"
    canned.write_text(simulation)
    full_env = {k: v for k, v in os.environ.items() if k not in ("FORCE", "DRY_RUN", "PAM_MYSQL_DEPS_FORCE")}
    full_env.update(env)
    return subprocess.run(["sh", str(SCRIPT), "--judge", str(canned)], capture_output=True, text=True,
                          env=full_env, timeout=30)


def test_a_clean_machine_goes_ahead_and_lists_what_is_installed(tmp_path):
    r = judge(tmp_path, CLEAN)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "apt-get would install: ssl-cert postfix sasl2-bin swaks" in r.stdout
    assert "refuses" not in r.stdout


@pytest.mark.parametrize("simulation, named", [
    (EXIM, "exim4-daemon-light 4.96-15+deb12u6 (an installed mail server) would be removed"),
    (MYSQL, "mysql-community-server-core 8.0.40-1debian12 (an installed database server) would be removed"),
    (MARIADB_MAJOR, "mariadb-server 1:11.4.4+maria~deb12 (an installed database server) would become 1:10.11.6-0+deb12u1"),
], ids=["exim4", "mysql", "mariadb-major"])
def test_replacing_an_installed_server_is_refused_with_a_clear_message(tmp_path, simulation, named):
    r = judge(tmp_path, simulation)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "make deps refuses to go on" in r.stdout
    assert named in r.stdout
    assert "Nothing was changed" in r.stdout and "make deps FORCE=1" in r.stdout


@pytest.mark.parametrize("variable", ["FORCE", "PAM_MYSQL_DEPS_FORCE"])
def test_force_goes_ahead_and_still_says_what_it_replaces(tmp_path, variable):
    r = judge(tmp_path, EXIM, **{variable: "1"})
    assert r.returncode == 0, r.stdout + r.stderr
    assert "FORCE is set: going ahead although" in r.stdout
    assert "exim4-daemon-light" in r.stdout
    assert "apt-get would remove: exim4-daemon-light exim4-base exim4-config" in r.stdout


def test_force_0_does_not_force(tmp_path):
    r = judge(tmp_path, EXIM, FORCE="0")
    assert r.returncode == 3, r.stdout + r.stderr


def test_a_point_release_and_other_removals_go_ahead(tmp_path):
    r = judge(tmp_path, MARIADB_POINT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "apt-get would remove: libmariadbclient-dev-compat" in r.stdout
    assert "refuses" not in r.stdout


def test_judge_needs_a_file(tmp_path):
    r = subprocess.run(["sh", str(SCRIPT), "--judge"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 64 and "usage" in r.stderr
