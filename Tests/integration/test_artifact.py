"""Static and load-time checks of the built artefact build/pam_mysql.so.

The module is loaded into sshd, saslauthd, login...: it must carry the Swift
runtime inside (no libswift* NEEDED, no RUNPATH into the toolchain), export
only the six PAM entry points, stay mapped across dlclose (NODELETE) and
resolve every symbol against the system libraries alone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import pamharness as ph
from pamharness import PAM_AUTH_ERR, PAM_SUCCESS, run_pam_loop, run_pamtester

SWIFT_TOOLCHAIN = "/opt/swift"
PAM_SM_FUNCTIONS = {
    "pam_sm_authenticate",
    "pam_sm_setcred",
    "pam_sm_acct_mgmt",
    "pam_sm_open_session",
    "pam_sm_close_session",
    "pam_sm_chauthtok",
}


def _tool(*argv: str) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, env=ph.child_env())
    assert proc.returncode == 0, f"{' '.join(argv)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def artefact() -> Path:
    if ph.ORACLE_ONLY:
        pytest.skip("PAM_MYSQL_ORACLE_ONLY=1")
    assert ph.OUR_MODULE.exists(), f"{ph.OUR_MODULE} is not built (run make)"
    return ph.OUR_MODULE


@pytest.fixture(scope="module")
def dynamic_section(artefact: Path) -> str:
    return _tool("readelf", "-d", "-W", str(artefact))


def _needed(dynamic: str) -> list[str]:
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic)


def test_needed_libraries_contain_no_swift_runtime(dynamic_section):
    needed = _needed(dynamic_section)
    assert needed, f"no NEEDED entries parsed from:\n{dynamic_section}"
    assert "libpam.so.0" in needed, needed
    swift = [n for n in needed if n.startswith("libswift") or "swift" in n.lower()]
    assert swift == [], f"Swift runtime libraries in NEEDED: {swift}"
    # Foundation / dispatch would also need the toolchain at run time.
    others = [n for n in needed if re.match(r"lib(Foundation|dispatch|BlocksRuntime)", n)]
    assert others == [], others


def test_needs_only_the_system_libraries_and_no_shared_libstdcxx(dynamic_section):
    # libstdc++ is linked in: loading the shared one cost more at dlopen than the rest of the
    # module (BENCHMARKS.md, load time).
    allowed = {"libpam.so.0", "libmariadb.so.3", "libcrypto.so.3", "libcrypt.so.1", "libm.so.6",
               "libgcc_s.so.1", "libc.so.6", "ld-linux-x86-64.so.2"}
    needed = set(_needed(dynamic_section))
    assert needed <= allowed, needed - allowed
    assert "libstdc++.so.6" not in needed
    # libsodium is opened on the first Argon2 value only (Sodium.swift): not loaded by every process.
    assert not any(n.startswith("libsodium") for n in needed), needed


def test_load_order_and_libraries_keep_the_fresh_process_cost_down(dynamic_section):
    # BENCHMARKS.md, the module's cost per fresh process: the loader searches NEEDED in order
    # for every symbol of every library the module pulls in, and libcrypto resolves thousands of
    # its own; the unwinder comes from libgcc_eh.a, so libgcc_s is not opened at all.
    needed = _needed(dynamic_section)
    assert needed[0] == "libcrypto.so.3", needed
    assert "libgcc_s.so.1" not in needed, needed


def test_full_relro_and_bind_now(artefact, dynamic_section):
    flags = re.search(r"\(FLAGS\)\s+(.*)$", dynamic_section, re.M)
    flags_1 = re.search(r"\(FLAGS_1\)\s+Flags:(.*)$", dynamic_section, re.M)
    assert flags is not None and "BIND_NOW" in flags[1].split(), dynamic_section
    assert flags_1 is not None and "NOW" in flags_1[1].split(), dynamic_section
    program_headers = _tool("readelf", "-l", "-W", str(artefact))
    assert "GNU_RELRO" in program_headers, program_headers


def test_swift_runtime_argv_scan_is_not_linked(artefact):
    # The runtime's CommandLine.cpp reads /proc/self/maps in a constructor at every dlopen;
    # Sources/CShim/command_line.c defines its two functions so that member is never linked.
    assert b"/proc/self/maps" not in artefact.read_bytes()


def test_no_runpath_or_rpath(dynamic_section):
    assert "(RUNPATH)" not in dynamic_section, dynamic_section
    assert "(RPATH)" not in dynamic_section, dynamic_section


def test_exports_exactly_the_six_pam_sm_functions(artefact):
    out = _tool("nm", "-D", "--defined-only", str(artefact))
    symbols = {}
    for line in out.splitlines():
        parts = line.split()
        if not parts:
            continue
        # "<addr> <type> <name>" (an undefined-address line has two fields).
        name, kind = parts[-1], parts[-2]
        symbols[name] = kind
    assert set(symbols) == PAM_SM_FUNCTIONS, (
        f"extra: {sorted(set(symbols) - PAM_SM_FUNCTIONS)}, "
        f"missing: {sorted(PAM_SM_FUNCTIONS - set(symbols))}"
    )
    assert all(kind == "T" for kind in symbols.values()), symbols


def test_flags_1_has_nodelete(dynamic_section):
    m = re.search(r"\(FLAGS_1\)\s+Flags:(.*)$", dynamic_section, re.M)
    assert m is not None, f"no FLAGS_1 entry:\n{dynamic_section}"
    assert "NODELETE" in m[1].split(), m[0]


def test_ldd_resolves_every_symbol_and_library(artefact):
    proc = subprocess.run(
        ["ldd", "-r", str(artefact)], capture_output=True, text=True, env=ph.child_env()
    )
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text
    assert "not found" not in text, text
    assert "undefined symbol" not in text, text
    assert SWIFT_TOOLCHAIN not in text, text


def _hidden_toolchain_env() -> list[str]:
    """`env` argv prefix: no LD_LIBRARY_PATH, PATH without the toolchain."""
    path = ":".join(
        p for p in os.environ.get("PATH", "/usr/bin:/bin").split(":")
        if p and not p.startswith(SWIFT_TOOLCHAIN)
    )
    return ["env", "-u", "LD_LIBRARY_PATH", "-u", "SWIFT_ROOT", f"PATH={path}"]


@pytest.fixture
def plain_service(pam_service_factory, our_module, db):
    db.add_user("artie", "Art-pw-31x")
    args = db.pam_args(crypt=0)
    return pam_service_factory(
        our_module, [f"auth required {{module}} {args}", f"account required {{module}} {args}"]
    )


def test_authenticates_with_toolchain_hidden_and_never_opens_it(plain_service, tmp_path):
    """Load the module with /opt/swift masked by an empty tmpfs (own mount
    namespace), no LD_LIBRARY_PATH and no toolchain on PATH; the login works,
    and strace shows no file under /opt/swift is even tried."""
    if shutil.which("strace") is None or shutil.which("unshare") is None:
        pytest.fail("strace and unshare (util-linux) are needed for this test")
    trace = tmp_path / "openat.trace"
    mask = f"mount -t tmpfs -o size=1m,mode=0755 pmtest-noswift {SWIFT_TOOLCHAIN} && exec \"$@\""
    wrap = [
        "unshare", "--mount", "--propagation", "private", "sh", "-c", mask, "sh",
        *_hidden_toolchain_env(),
        "strace", "-f", "-qq", "-e", "trace=open,openat,openat2,stat,newfstatat,access",
        "-o", str(trace),
    ]
    ok = run_pamtester(plain_service, "artie", [b"Art-pw-31x"], ops=("auth", "acct"), wrap=wrap)
    assert ok.code == PAM_SUCCESS and ok.codes == [PAM_SUCCESS, PAM_SUCCESS], ok.describe()
    bad = run_pamtester(plain_service, "artie", [b"wrong"], wrap=wrap)
    assert bad.code == PAM_AUTH_ERR, bad.describe()

    text = trace.read_text(errors="replace")
    assert str(ph.OUR_MODULE) in text, "strace did not see the module being opened:\n" + text[-3000:]
    swift_lines = [line for line in text.splitlines() if SWIFT_TOOLCHAIN in line]
    assert swift_lines == [], "\n".join(swift_lines[:20])
    assert "libswift" not in text


def test_ld_debug_shows_no_toolchain_library(plain_service):
    """Same evidence without strace: the dynamic loader's own trace of the
    pam_loop run (LD_DEBUG=libs,files) names no /opt/swift path and no libswift."""
    r = run_pam_loop(
        plain_service, "artie", answers=[b"Art-pw-31x"], ops=("auth", "acct"),
        wrap=_hidden_toolchain_env(), env={"LD_DEBUG": "libs,files"},
    )
    assert r.codes == [PAM_SUCCESS, PAM_SUCCESS], r.describe()
    assert str(ph.OUR_MODULE) in r.stderr, "LD_DEBUG output missing:\n" + r.stderr[-2000:]
    assert SWIFT_TOOLCHAIN not in r.stderr
    assert "libswift" not in r.stderr
