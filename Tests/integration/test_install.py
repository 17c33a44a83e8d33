"""`make install`: never replaces a file a Debian package owns, and installs
by atomic rename (a running daemon keeps the old, NODELETE-mapped code and
never sees a half-written file)."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import time
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


# --------------------------------------------------------------------------
# The .deb's daemon part: /usr/sbin/pam-mysql-authd, its units (disabled), its user, its file
# --------------------------------------------------------------------------

AUTHD_USER = "pam-mysql-authd"
AUTHD_UNITS = ["pam-mysql-authd-dovecot.socket", "pam-mysql-authd-saslauthd.socket", "pam-mysql-authd.service"]


def _dpkg(*args: str) -> subprocess.CompletedProcess:
    """dpkg, waiting a while for the lock another test may hold."""
    deadline = time.monotonic() + 120
    while True:
        proc = subprocess.run(["dpkg", *args], capture_output=True, text=True, timeout=300)
        if proc.returncode == 0 or "lock" not in proc.stderr or time.monotonic() > deadline:
            return proc
        time.sleep(2)


def _build_deb() -> Path:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    built = subprocess.run(["make", "-s", "--no-print-directory", "deb"], cwd=ph.REPO, capture_output=True,
                           text=True, timeout=1800, env=env)
    assert built.returncode == 0, built.stdout + built.stderr
    debs = [line.strip() for line in built.stdout.splitlines() if line.strip().endswith(".deb")]
    assert debs, built.stdout
    return ph.REPO / debs[-1]


def _contents(deb: Path) -> dict[str, tuple[str, str]]:
    """path -> (mode string, owner/group) from dpkg-deb -c."""
    out = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    entries = {}
    for line in out.splitlines():
        fields = line.split(None, 5)
        entries[fields[5].split(" -> ")[0].lstrip(".")] = (fields[0], fields[1])
    return entries


@pytest.fixture(scope="module")
def deb() -> Path:
    return _build_deb()


def test_deb_ships_the_daemon_its_units_and_its_file(deb):
    files = _contents(deb)
    expected = {
        "/usr/sbin/pam-mysql-authd": "-rwxr-xr-x",
        "/usr/share/man/man8/pam-mysql-authd.8.gz": "-rw-r--r--",
        "/etc/pam-mysql-authd.conf": "-rw-r-----",
        **{f"/lib/systemd/system/{u}": "-rw-r--r--" for u in AUTHD_UNITS},
    }
    assert {p: files.get(p, ("missing", ""))[0] for p in expected} == expected
    assert all(files[p][1] == "root/root" for p in expected), {p: files[p][1] for p in expected}
    # Nothing enables a unit: no symlink in the package, no systemctl or deb-systemd-helper in a script.
    assert not [p for p in files if "/etc/systemd/" in p], files
    control = subprocess.run(["dpkg-deb", "-e", str(deb), str(ph.BUILD_DIR / "deb" / "control-check")],
                             capture_output=True, text=True)
    assert control.returncode == 0, control.stderr
    scripts = "".join((ph.BUILD_DIR / "deb" / "control-check" / s).read_text()
                      for s in ("preinst", "postinst", "postrm"))
    assert "systemctl" not in scripts and "deb-systemd-helper" not in scripts
    conffiles = (ph.BUILD_DIR / "deb" / "control-check" / "conffiles").read_text().split()
    assert conffiles == ["/etc/pam-mysql-authd.conf"], conffiles
    fields = subprocess.run(["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True, text=True).stdout
    assert "adduser" in fields, fields
    lint = subprocess.run(["lintian", str(deb)], capture_output=True, text=True, timeout=300)
    assert not [line for line in lint.stdout.splitlines() if line.startswith("E:")], lint.stdout


def test_deb_creates_the_system_user_and_gives_it_the_file(deb):
    import grp
    import pwd

    user_before = subprocess.run(["getent", "passwd", AUTHD_USER], capture_output=True).returncode == 0
    conf = Path("/etc/pam-mysql-authd.conf")
    assert not conf.exists(), "an /etc/pam-mysql-authd.conf is already on this machine"
    try:
        inst = _dpkg("-i", str(deb))
        assert inst.returncode == 0, inst.stdout + inst.stderr
        account = pwd.getpwnam(AUTHD_USER)
        assert account.pw_uid < 1000 and account.pw_dir == "/nonexistent", account
        assert account.pw_shell in ("/usr/sbin/nologin", "/bin/false"), account
        assert grp.getgrgid(account.pw_gid).gr_name == AUTHD_USER
        assert not Path("/nonexistent").exists()
        info = conf.stat()
        assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o640, 0, account.pw_gid), oct(info.st_mode)
        for unit in AUTHD_UNITS:
            assert (Path("/lib/systemd/system") / unit).is_file(), unit
            assert not list(Path("/etc/systemd/system").glob(f"*/{unit}")), f"{unit} was enabled"
        # The installed binary runs (its own help) and its man page is found.
        helped = subprocess.run(["/usr/sbin/pam-mysql-authd", "--help"], capture_output=True, text=True, timeout=30)
        assert helped.returncode == 0 and "--dovecot" in helped.stdout, helped.stdout + helped.stderr
        assert subprocess.run(["man", "-w", "pam-mysql-authd"], capture_output=True).returncode == 0
        # A second configure (upgrade, reinstall) neither fails on the existing user nor resets an override.
        subprocess.run(["dpkg-statoverride", "--update", "--add", "root", "root", "0600", str(conf)], check=True)
        again = _dpkg("-i", str(deb))
        assert again.returncode == 0, again.stdout + again.stderr
        assert stat.S_IMODE(conf.stat().st_mode) == 0o600 and conf.stat().st_gid == 0
    finally:
        subprocess.run(["dpkg-statoverride", "--remove", str(conf)], capture_output=True)
        purge = _dpkg("--purge", "libpam-mysql-swift")
        user_after = subprocess.run(["getent", "passwd", AUTHD_USER], capture_output=True).returncode == 0
        if not user_before:
            # The test removes the user it made.
            subprocess.run(["deluser", "--system", AUTHD_USER], capture_output=True)
            subprocess.run(["delgroup", "--system", AUTHD_USER], capture_output=True)
    assert purge.returncode == 0, purge.stdout + purge.stderr
    assert not conf.exists(), "purge left the conffile"
    assert not Path("/usr/sbin/pam-mysql-authd").exists()
    assert not any((Path("/lib/systemd/system") / u).exists() for u in AUTHD_UNITS)
    # Purge keeps the system user: files and logs may still name its uid.
    assert user_after, "purge removed the system user"
