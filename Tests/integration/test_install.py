"""`make install`: never replaces a file a Debian package owns, and installs
by atomic rename (a running daemon keeps the old, NODELETE-mapped code and
never sees a half-written file)."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path

import pytest

import pamharness as ph

SYSTEM_TARGET = Path("/lib/x86_64-linux-gnu/security/pam_mysql.so")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _make_install(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "-s", "install", *args], cwd=ph.REPO, capture_output=True, text=True,
        timeout=600, env=ph.child_env(),
    )


@pytest.fixture(scope="module")
def built_module() -> Path:
    assert ph.OUR_MODULE.exists(), f"{ph.OUR_MODULE} is not built (run make)"
    return ph.OUR_MODULE


def test_refuses_to_replace_file_owned_by_libpam_mysql(built_module):
    # Precondition: the oracle is installed and dpkg knows who owns it.
    owner = subprocess.run(["dpkg", "-S", str(SYSTEM_TARGET)], capture_output=True, text=True)
    if owner.returncode != 0:
        owner = subprocess.run(
            ["dpkg", "-S", "/usr" + str(SYSTEM_TARGET)], capture_output=True, text=True
        )
    assert owner.stdout.startswith("libpam-mysql"), owner.stdout + owner.stderr
    before = _sha256(SYSTEM_TARGET)
    st_before = SYSTEM_TARGET.stat()

    proc = _make_install()

    assert proc.returncode != 0, proc.stdout + proc.stderr
    msg = proc.stderr
    assert "libpam-mysql" in msg, msg
    assert str(SYSTEM_TARGET) in msg, msg
    assert "apt-get remove libpam-mysql" in msg, msg
    assert "MODULE_NAME=pam_mysql_swift.so" in msg, msg
    assert "installed" not in proc.stdout, proc.stdout
    assert _sha256(SYSTEM_TARGET) == before
    st_after = SYSTEM_TARGET.stat()
    assert (st_after.st_ino, st_after.st_mtime_ns) == (st_before.st_ino, st_before.st_mtime_ns)
    # No temporary file was left next to it.
    leftovers = [p.name for p in SYSTEM_TARGET.parent.iterdir() if p.name.startswith(".pam_mysql")]
    assert leftovers == [], leftovers


def test_installs_into_pamdir_with_mode_0644_and_no_temp_file(built_module, tmp_path):
    pamdir = tmp_path / "security"
    proc = _make_install(f"PAMDIR={pamdir}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    target = pamdir / "pam_mysql.so"
    assert target.is_file()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644, oct(target.stat().st_mode)
    assert _sha256(target) == _sha256(built_module)
    assert sorted(p.name for p in pamdir.iterdir()) == ["pam_mysql.so"]


def test_reinstall_renames_a_new_inode_and_old_readers_keep_old_contents(built_module, tmp_path):
    pamdir = tmp_path / "security"
    proc = _make_install(f"PAMDIR={pamdir}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    target = pamdir / "pam_mysql.so"

    # Mark the installed copy so "old" and "new" contents differ, then hold
    # it open as a running daemon holds its mapping.
    old_contents = b"OLD-MODULE-IMAGE\n" * 64
    target.write_bytes(old_contents)
    fd = os.open(target, os.O_RDONLY)
    try:
        old_ino = os.fstat(fd).st_ino

        proc = _make_install(f"PAMDIR={pamdir}")
        assert proc.returncode == 0, proc.stdout + proc.stderr

        new_st = target.stat()
        assert new_st.st_ino != old_ino, "the file was overwritten in place, not renamed"
        assert stat.S_IMODE(new_st.st_mode) == 0o644
        assert _sha256(target) == _sha256(built_module)
        # The open descriptor still sees the complete old file.
        assert os.pread(fd, len(old_contents) + 16, 0) == old_contents
        assert os.fstat(fd).st_nlink == 0  # unlinked by the rename, still readable
    finally:
        os.close(fd)
    assert sorted(p.name for p in pamdir.iterdir()) == ["pam_mysql.so"]


def test_install_under_another_module_name(built_module, tmp_path):
    # The way out the refusal message suggests, into a scratch directory.
    pamdir = tmp_path / "security"
    proc = _make_install(f"PAMDIR={pamdir}", "MODULE_NAME=pam_mysql_swift.so")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in pamdir.iterdir()) == ["pam_mysql_swift.so"]
    assert _sha256(pamdir / "pam_mysql_swift.so") == _sha256(built_module)
