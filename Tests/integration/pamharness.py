"""Library side of the pam_mysql integration-test harness.

conftest.py turns these into pytest fixtures; test files import names from
here directly (``from pamharness import PAM_SUCCESS, run_pam_loop``): pytest's
default "prepend" import mode puts this directory on sys.path.

Everything here uses the Python 3.11 standard library only.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import hashlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterable, Iterator, Sequence

# --------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


SCHEME_VECTORS = REPO / "Tests" / "vectors" / "password_schemes.json"


def scheme_vectors(section: str = "pam_mysql") -> list[dict]:
    """The published vectors the unit tests check too (Tests/vectors/password_schemes.json):
    section "pam_mysql" (crypt=N: label, crypt, password, stored, optionally use_323_passwd
    and c_module "rejects") or "dovecot" (stored, password, user, default_pass_scheme)."""
    return json.loads(SCHEME_VECTORS.read_text(encoding="utf-8"))[section]


def _repo_path(value: str | os.PathLike) -> Path:
    """Environment paths may be relative; they are relative to the repo root."""
    p = Path(value)
    return p if p.is_absolute() else REPO / p


BUILD_DIR = _repo_path(os.environ.get("PAM_MYSQL_BUILD_DIR", "build"))
HELPERS_DIR = BUILD_DIR / "test-helpers"
PAM_LOOP = HELPERS_DIR / "pam_loop"
SYSLOG_CAPTURE = HELPERS_DIR / "libsyslog_capture.so"
# Test-only PAM module copying PAM env PAM_TEST_AUTHTOK / PAM_TEST_OLDAUTHTOK
# into the items (applications cannot set them); `{preset}` in service lines.
PRESET_MODULE = HELPERS_DIR / "pam_preset_authtok.so"
OUR_MODULE = _repo_path(os.environ.get("PAM_MYSQL_SO", BUILD_DIR / "pam_mysql.so"))
ORACLE_MODULE = _repo_path(
    os.environ.get("PAM_MYSQL_ORACLE_SO", "/lib/x86_64-linux-gnu/security/pam_mysql.so")
)
# PAM_MYSQL_ORACLE_ONLY=1 is the one and only way to skip tests of our module.
ORACLE_ONLY = os.environ.get("PAM_MYSQL_ORACLE_ONLY") == "1"

PAM_D = Path("/etc/pam.d")

# --------------------------------------------------------------------------
# PAM codes (Linux-PAM 1.5.2, /usr/include/security/_pam_types.h)
# --------------------------------------------------------------------------

PAM_CODES: dict[str, int] = {
    "PAM_SUCCESS": 0,
    "PAM_OPEN_ERR": 1,
    "PAM_SYMBOL_ERR": 2,
    "PAM_SERVICE_ERR": 3,
    "PAM_SYSTEM_ERR": 4,
    "PAM_BUF_ERR": 5,
    "PAM_PERM_DENIED": 6,
    "PAM_AUTH_ERR": 7,
    "PAM_CRED_INSUFFICIENT": 8,
    "PAM_AUTHINFO_UNAVAIL": 9,
    "PAM_USER_UNKNOWN": 10,
    "PAM_MAXTRIES": 11,
    "PAM_NEW_AUTHTOK_REQD": 12,
    "PAM_ACCT_EXPIRED": 13,
    "PAM_SESSION_ERR": 14,
    "PAM_CRED_UNAVAIL": 15,
    "PAM_CRED_EXPIRED": 16,
    "PAM_CRED_ERR": 17,
    "PAM_NO_MODULE_DATA": 18,
    "PAM_CONV_ERR": 19,
    "PAM_AUTHTOK_ERR": 20,
    "PAM_AUTHTOK_RECOVERY_ERR": 21,
    "PAM_AUTHTOK_LOCK_BUSY": 22,
    "PAM_AUTHTOK_DISABLE_AGING": 23,
    "PAM_TRY_AGAIN": 24,
    "PAM_IGNORE": 25,
    "PAM_ABORT": 26,
    "PAM_AUTHTOK_EXPIRED": 27,
    "PAM_MODULE_UNKNOWN": 28,
    "PAM_BAD_ITEM": 29,
    "PAM_CONV_AGAIN": 30,
    "PAM_INCOMPLETE": 31,
}
PAM_NAMES: dict[int, str] = {v: k for k, v in PAM_CODES.items()}
globals().update(PAM_CODES)  # PAM_SUCCESS, PAM_AUTH_ERR, ... as module constants

# pam_strerror() texts of Linux-PAM 1.5.2 in the C locale (dumped from
# libpam with a loop over 0..31).  pamtester prints only this text, so it
# is mapped back to the code.  All 32 texts are distinct.
PAM_STRERROR: dict[int, str] = {
    0: "Success",
    1: "Failed to load module",
    2: "Symbol not found",
    3: "Error in service module",
    4: "System error",
    5: "Memory buffer error",
    6: "Permission denied",
    7: "Authentication failure",
    8: "Insufficient credentials to access authentication data",
    9: "Authentication service cannot retrieve authentication info",
    10: "User not known to the underlying authentication module",
    11: "Have exhausted maximum number of retries for service",
    12: "Authentication token is no longer valid; new one required",
    13: "User account has expired",
    14: "Cannot make/remove an entry for the specified session",
    15: "Authentication service cannot retrieve user credentials",
    16: "User credentials expired",
    17: "Failure setting user credentials",
    18: "No module specific data is present",
    19: "Conversation error",
    20: "Authentication token manipulation error",
    21: "Authentication information cannot be recovered",
    22: "Authentication token lock busy",
    23: "Authentication token aging disabled",
    24: "Failed preliminary check by password service",
    25: "The return value should be ignored by PAM dispatch",
    26: "Critical error - immediate abort",
    27: "Authentication token expired",
    28: "Module is unknown",
    29: "Bad item passed to pam_*_item()",
    30: "Conversation is waiting for event",
    31: "Application needs to call libpam again",
}
PAM_STRERROR_TO_CODE: dict[str, int] = {v: k for k, v in PAM_STRERROR.items()}

# Conversation message styles (_pam_types.h).
PAM_PROMPT_ECHO_OFF = 1
PAM_PROMPT_ECHO_ON = 2
PAM_ERROR_MSG = 3
PAM_TEXT_INFO = 4

# Syslog priorities as the capture library reports them (facility dropped).
LOG_EMERG, LOG_ALERT, LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG = range(8)

# Signals that mean "the module under test crashed the host process".
CRASH_SIGNALS = frozenset(
    {signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGFPE, signal.SIGILL}
)

# --------------------------------------------------------------------------
# Helper binaries
# --------------------------------------------------------------------------

_HELPER_BUILDS = (
    (
        HERE / "helpers" / "syslog_capture.c",
        SYSLOG_CAPTURE,
        ["-shared", "-fPIC"],
        [],
    ),
    (HERE / "helpers" / "pam_loop.c", PAM_LOOP, [], ["-lpam"]),
    (HERE / "helpers" / "pam_concurrency.c", HELPERS_DIR / "pam_concurrency", ["-pthread"], ["-lpam"]),
    (HERE / "helpers" / "pam_exec_probe.c", HELPERS_DIR / "pam_exec_probe", [], ["-lpam"]),
    (
        HERE / "helpers" / "pam_preset_authtok.c",
        PRESET_MODULE,
        ["-shared", "-fPIC"],
        ["-lpam"],
    ),
)
_helpers_checked = False


def ensure_helpers() -> None:
    """Build the C helpers with cc if missing or older than their source.

    The Makefile normally builds them; this keeps `pytest` usable on its own.
    Built to a temporary name and renamed, so a half-written binary is never
    picked up.
    """
    global _helpers_checked
    if _helpers_checked:
        return
    HELPERS_DIR.mkdir(parents=True, exist_ok=True)
    for src, out, pre, post in _HELPER_BUILDS:
        if out.exists() and out.stat().st_mtime >= src.stat().st_mtime:
            continue
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        cmd = ["cc", "-O2", "-Wall", "-Wextra", *pre, "-o", str(tmp), str(src), *post]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise RuntimeError(f"building {out.name} failed:\n{' '.join(cmd)}\n{proc.stderr}")
        os.replace(tmp, out)
    _helpers_checked = True


# --------------------------------------------------------------------------
# Running things
# --------------------------------------------------------------------------


def _as_bytes(v: str | bytes) -> bytes:
    return v if isinstance(v, bytes) else v.encode()


def _dec(b: bytes) -> str:
    # surrogateescape keeps arbitrary bytes (odd usernames) round-trippable.
    return b.decode("utf-8", "surrogateescape")


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for processes that load a PAM module.

    MYSQL_* variables are dropped because libmariadb honours MYSQL_UNIX_PORT
    and MYSQL_TCP_PORT; the C locale keeps pam_strerror() texts untranslated.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYSQL_")}
    env.pop("LD_PRELOAD", None)
    env.update(LC_ALL="C", LANG="C")
    if extra:
        env.update(extra)
    return env


def _no_core_dumps() -> None:
    # A crashing module should show up as Result.signal, not as core files.
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


@dataclasses.dataclass
class OpResult:
    """One RESULT line of pam_loop (or one op as inferred from pamtester)."""

    op: str
    code: int
    name: str
    text: str
    iteration: int = 0


@dataclasses.dataclass
class Result:
    """Outcome of one run_pamtester / run_pam_loop call.

    code      overall PAM code: that of the first op that failed, 0 if all
              succeeded, None if unknown (crash, timeout, unparsable output).
    codes     per-op codes in order (pam_loop: all iterations flattened;
              with quiet=True: first_codes of the SUMMARY line; pamtester:
              the ops that ran, pamtester stops at the first failure).
    signal    signal number that killed the process (SIGSEGV=11, SIGABRT=6,
              SIGKILL=9 after a timeout), else None.  `crashed` is True for
              SIGSEGV/SIGABRT/SIGBUS/SIGFPE/SIGILL.
    log       [(priority, message)] captured from syslog() in the process.
    """

    argv: list[str]
    rc: int | None
    signal: int | None
    timed_out: bool
    stdout: str
    stderr: str
    elapsed: float
    log: list[tuple[int, str]]
    code: int | None = None
    codes: list[int] = dataclasses.field(default_factory=list)
    results: list[OpResult] = dataclasses.field(default_factory=list)
    prompts: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    user: str | None = None  # PAM_USER after the ops (pam_loop, last iteration)
    summary: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def crashed(self) -> bool:
        return self.signal in CRASH_SIGNALS

    @property
    def name(self) -> str | None:
        return None if self.code is None else PAM_NAMES.get(self.code, f"code {self.code}")

    @property
    def messages(self) -> list[str]:
        return [m for _, m in self.log]

    @property
    def module_log(self) -> list[tuple[int, str]]:
        """The lines pam_mysql itself wrote (`pam_mysql(service:function): text`), as
        (priority, text) without that prefix; libpam's and other modules' lines left out."""
        lines = []
        for priority, message in self.log:
            head, sep, rest = message.partition("): ")
            if sep and head.startswith("pam_mysql("):
                lines.append((priority, rest))
        return lines

    def logged(self, text: str, priority: int | None = None) -> bool:
        """True if some captured syslog message contains `text`."""
        return any(text in m and (priority is None or p == priority) for p, m in self.log)

    def describe(self) -> str:
        """Multi-line summary for assertion messages."""
        lines = [
            f"argv: {' '.join(self.argv)}",
            f"rc={self.rc} signal={self.signal} timed_out={self.timed_out} "
            f"code={self.code} ({self.name}) codes={self.codes} elapsed={self.elapsed:.3f}s",
        ]
        if self.prompts:
            lines.append(f"prompts: {self.prompts}")
        if self.stdout.strip():
            lines.append("stdout:\n  " + self.stdout.strip()[-3000:].replace("\n", "\n  "))
        if self.stderr.strip():
            lines.append("stderr:\n  " + self.stderr.strip()[-3000:].replace("\n", "\n  "))
        if self.log:
            lines.append("syslog:")
            lines.extend(f"  <{p}> {m[:500]}" for p, m in self.log[-60:])
        return "\n".join(lines)

    def __repr__(self) -> str:  # what pytest shows in a failed assert
        return (
            f"Result(code={self.code} {self.name}, codes={self.codes}, rc={self.rc}, "
            f"signal={self.signal}, timed_out={self.timed_out}, "
            f"log={len(self.log)} lines, elapsed={self.elapsed:.3f}s)"
        )


def _read_syslog(path: Path) -> list[tuple[int, str]]:
    if not path.exists():
        return []
    out = []
    for raw in path.read_bytes().split(b"\n"):
        if not raw:
            continue
        pri, _, msg = raw.partition(b" ")
        out.append((int(pri), _dec(msg)))
    return out


def _run(
    argv: list[str | bytes],
    stdin: bytes,
    timeout: float,
    syslog_path: Path,
    env: dict[str, str] | None,
    preload: bool,
) -> Result:
    """Run one process with the syslog capture preloaded; never raises on
    non-zero exit, crash or timeout (those end up in the Result)."""
    extra = {"PAM_MYSQL_TEST_SYSLOG": str(syslog_path)}
    if preload:
        extra["LD_PRELOAD"] = str(SYSLOG_CAPTURE)
    full_env = child_env(extra)
    if env:
        full_env.update(env)
    t0 = time.monotonic()
    # Own session, so a timeout can kill the whole process group.
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=full_env,
        start_new_session=True,
        preexec_fn=_no_core_dumps,
    )
    timed_out = False
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    elapsed = time.monotonic() - t0
    rc = proc.returncode
    return Result(
        argv=[_dec(a) if isinstance(a, bytes) else a for a in argv],
        rc=rc,
        signal=-rc if rc < 0 else None,
        timed_out=timed_out,
        stdout=_dec(out),
        stderr=_dec(err),
        elapsed=elapsed,
        log=_read_syslog(syslog_path),
    )


# Flag names accepted by both runners (short form or PAM_ name).
_FLAG_ALIASES = {
    "silent": "PAM_SILENT",
    "disallow_null": "PAM_DISALLOW_NULL_AUTHTOK",
    "change_expired": "PAM_CHANGE_EXPIRED_AUTHTOK",
}
_FLAG_SHORT = {v: k for k, v in _FLAG_ALIASES.items()}
# Which pamtester ops get which flag (mirrors pam_loop -f).
_FLAG_OPS = {
    "PAM_SILENT": None,  # every op
    "PAM_DISALLOW_NULL_AUTHTOK": {"authenticate", "acct_mgmt"},
    "PAM_CHANGE_EXPIRED_AUTHTOK": {"chauthtok"},
}
# pam_loop op names -> pamtester op names (either spelling works in both).
_PAMTESTER_OPS = {
    "auth": "authenticate",
    "acct": "acct_mgmt",
    "open": "open_session",
    "close": "close_session",
    "setcred": "setcred",
    "chauthtok": "chauthtok",
}
_PAM_LOOP_OPS = {v: k for k, v in _PAMTESTER_OPS.items()}
# What pamtester prints on stdout after each successful op.
_PAMTESTER_SUCCESS = {
    "authenticate": "successfully authenticated",
    "acct_mgmt": "account management done.",
    "setcred": "credential info has successfully been set.",
    "open_session": "successfully opened a session",
    "close_session": "session has successfully been closed.",
    "chauthtok": "authentication token altered successfully.",
}


def _flag_names(flags: Iterable[str]) -> list[str]:
    names = []
    for f in flags:
        name = _FLAG_ALIASES.get(f, f)
        if name not in _FLAG_OPS:
            raise ValueError(f"unknown flag {f!r}")
        names.append(name)
    return names


def run_pamtester(
    service: str,
    user: str | bytes,
    answers: Sequence[str | bytes] = (),
    ops: Sequence[str] = ("authenticate",),
    flags: Sequence[str] = (),
    timeout: float = 60,
    *,
    authtok: str | bytes | None = None,
    oldauthtok: str | bytes | None = None,
    rhost: str | None = None,
    env: dict[str, str] | None = None,
    preload: bool = True,
    wrap: Sequence[str] = (),
) -> Result:
    """Run pamtester on an /etc/pam.d service.

    answers are written to stdin, one line per prompt.  pamtester answers
    through libpam_misc's misc_conv: a line is at most 4095 bytes (longer
    ones are cut), an answer cannot contain a newline, and at EOF the prompt
    gets no answer.  ops may use pamtester names (authenticate, acct_mgmt,
    open_session, ...) or pam_loop names (auth, acct, open, ...); an op
    already written with "(FLAGS)" is passed unchanged.  flags: silent,
    disallow_null, change_expired (or PAM_* names), applied as pam_loop does.
    authtok / oldauthtok: passed as PAM environment (pamtester -E) for a
    `{preset}` line of the service (see PRESET_MODULE); no NUL, < 128 KiB.
    wrap: argv prefix such as ["valgrind", "-q"].
    """
    ensure_helpers()
    if getattr(service, "confdir", None):
        raise ValueError("pamtester cannot use a private confdir; use run_pam_loop")
    flag_names = _flag_names(flags)
    op_args: list[str] = []
    for op in ops:
        op = _PAMTESTER_OPS.get(op, op)
        if "(" not in op:
            fl = [f for f in flag_names if _FLAG_OPS[f] is None or op in _FLAG_OPS[f]]
            if fl:
                op = f"{op}({'|'.join(fl)})"
        op_args.append(op)
    stdin = b""
    for a in answers:
        a = _as_bytes(a)
        if b"\n" in a:
            raise ValueError("a pamtester answer cannot contain a newline")
        stdin += a + b"\n"
    argv: list[str | bytes] = [*wrap, "pamtester"]
    if rhost is not None:
        argv += ["-I", f"rhost={rhost}"]
    for var, tok in (("PAM_TEST_AUTHTOK", authtok), ("PAM_TEST_OLDAUTHTOK", oldauthtok)):
        if tok is not None:
            argv += ["-E", var.encode() + b"=" + _as_bytes(tok)]
    argv += [str(service), user, *op_args]

    with tempfile.TemporaryDirectory(prefix="pmtest-run-") as tmp:
        res = _run(argv, stdin, timeout, Path(tmp) / "syslog", env, preload)

    # Success lines on stdout tell how many ops got through; on failure
    # pamtester writes "pamtester: <pam_strerror text>" to stderr (prompts
    # are written there too, without a newline, so search, don't split).
    done = 0
    for line in res.stdout.splitlines():
        if done < len(op_args) and line.endswith(
            _PAMTESTER_SUCCESS.get(op_args[done].split("(")[0], "\0")
        ):
            done += 1
    res.codes = [0] * done
    res.results = [
        OpResult(_PAM_LOOP_OPS.get(op.split("(")[0], op), 0, "PAM_SUCCESS", PAM_STRERROR[0])
        for op in op_args[:done]
    ]
    if res.signal is None and res.rc == 0:
        res.code = 0
    elif res.signal is None:
        idx = res.stderr.rfind("pamtester: ")
        text = res.stderr[idx + len("pamtester: "):].split("\n", 1)[0] if idx >= 0 else ""
        res.code = PAM_STRERROR_TO_CODE.get(text)
        if res.code is not None and done < len(op_args):
            res.codes.append(res.code)
            op = op_args[done].split("(")[0]
            res.results.append(
                OpResult(_PAM_LOOP_OPS.get(op, op), res.code, PAM_NAMES[res.code], text)
            )
    return res


_RESULT_RE = re.compile(r"^RESULT op=(\S+) code=(-?\d+) name=(\S+) text=(.*)$")
_PROMPT_RE = re.compile(r"^PROMPT style=(\d+) text=(.*)$")


def run_pam_loop(
    service: str,
    user: str | bytes | None,
    answers: Sequence[str | bytes | None] = (),
    authtok: str | bytes | None = None,
    ops: Sequence[str] = ("auth",),
    flags: Sequence[str] = (),
    count: int = 1,
    rhost: str | None = None,
    confdir: str | os.PathLike | None = None,
    timeout: float = 60,
    *,
    oldauthtok: str | bytes | None = None,
    quiet: bool = False,
    conv_error_when_exhausted: bool = False,
    answer_delay_ms: int | None = None,
    ruid: int | None = None,
    env: dict[str, str] | None = None,
    preload: bool = True,
    wrap: Sequence[str] = (),
    first_user: str | None = None,
) -> Result:
    """Run build/test-helpers/pam_loop.

    first_user: PAM_USER of the first iteration only (pam_loop -F), e.g. a known user
    before a run of unknown ones in the same process.

    user None: pam_start gets NULL (the module's pam_get_user then prompts).
    answers: conversation answers in order, reused for every iteration;
    None = a NULL resp; once exhausted, prompts get NULL resp (or
    PAM_CONV_ERR with conv_error_when_exhausted=True).  Any bytes work except
    that the module sees a C string (cut at the first NUL).
    authtok / oldauthtok: preset PAM_AUTHTOK / PAM_OLDAUTHTOK, through a
    file and the PAM environment; the service needs a `{preset}` line before
    the module under test (applications cannot set these items themselves).  ops: auth, acct, setcred, open, close, chauthtok (pamtester
    names accepted too).  flags: silent, disallow_null, change_expired.
    confdir defaults to service.confdir for services made with private=True.
    ruid: run with real uid RUID and effective uid 0 (setreuid).
    quiet: only the SUMMARY line (benchmarks); prompts/results are then empty
    and codes are the last iteration's.
    """
    ensure_helpers()
    if confdir is None:
        confdir = getattr(service, "confdir", None)
    with tempfile.TemporaryDirectory(prefix="pmtest-run-") as tmp:
        tmpd = Path(tmp)

        def to_file(name: str, data: str | bytes) -> str:
            p = tmpd / name
            p.write_bytes(_as_bytes(data))
            return str(p)

        argv: list[str | bytes] = [*wrap, str(PAM_LOOP), "-s", str(service)]
        if user is not None:
            argv += ["-u", user]
        if first_user is not None:
            argv += ["-F", first_user]
        if confdir is not None:
            argv += ["-c", str(confdir)]
        argv += ["-n", str(count), "-o", ",".join(_PAM_LOOP_OPS.get(o, o) for o in ops)]
        if authtok is not None:
            argv += ["-a", to_file("authtok", authtok)]
        if oldauthtok is not None:
            argv += ["-A", to_file("oldauthtok", oldauthtok)]
        for i, a in enumerate(answers):
            if a is None:
                argv.append("-N")
                continue
            a = _as_bytes(a)
            # argv strings cannot hold NUL and are limited to 128 KiB each.
            if b"\0" in a or len(a) > 4096:
                argv += ["-P", to_file(f"answer{i}", a)]
            else:
                argv += ["-p", a]
        if conv_error_when_exhausted:
            argv.append("-E")
        if answer_delay_ms is not None:
            argv += ["-W", str(answer_delay_ms)]
        for name in _flag_names(flags):
            argv += ["-f", _FLAG_SHORT[name]]
        if rhost is not None:
            argv += ["-r", rhost]
        if ruid is not None:
            argv += ["-R", str(ruid)]
        if quiet:
            argv.append("-q")
        res = _run(argv, b"", timeout, tmpd / "syslog", env, preload)

    iteration = 0
    for line in res.stdout.splitlines():
        if m := _RESULT_RE.match(line):
            res.results.append(
                OpResult(m[1], int(m[2]), m[3], m[4].replace("\\n", "\n"), iteration)
            )
        elif m := _PROMPT_RE.match(line):
            res.prompts.append((int(m[1]), m[2].replace("\\n", "\n")))
        elif line.startswith("USER "):
            res.user = line[5:].replace("\\n", "\n")
            iteration += 1
        elif line == "USER_UNSET":
            res.user = None
            iteration += 1
        elif line.startswith("SUMMARY "):
            res.summary = dict(kv.split("=", 1) for kv in line.split()[1:])
    if quiet and "first_codes" in res.summary:
        res.codes = [int(c) for c in res.summary["first_codes"].split(",") if c]
    else:
        res.codes = [r.code for r in res.results]
    if res.signal is None and res.rc in (0, 1) and (res.codes or res.rc == 0):
        res.code = next((c for c in res.codes if c != 0), 0)
    return res


# --------------------------------------------------------------------------
# PAM service files
# --------------------------------------------------------------------------


class PamService(str):
    """A service name (a str) that also knows where its file is.

    confdir is None for services in /etc/pam.d (usable by pamtester and
    pam_loop), else the private directory for pam_loop -c.
    """

    path: Path
    confdir: str | None

    def __new__(cls, name: str, path: Path, confdir: str | None) -> "PamService":
        obj = super().__new__(cls, name)
        obj.path = path
        obj.confdir = confdir
        return obj


_created_pam_files: set[Path] = set()


def write_pam_service(
    module_path: str | os.PathLike,
    body_lines: str | bytes | Iterable[str | bytes],
    confdir: str | os.PathLike | None = None,
) -> PamService:
    """Write pmtest-<random> with `{module}` replaced by module_path and
    `{preset}` by PRESET_MODULE (put "auth required {preset}" before the
    module's line to get run_*(authtok=...) into PAM_AUTHTOK).

    Lines may be str or bytes (for odd arguments).  Without confdir the file
    goes to /etc/pam.d.  Groups the file does not define fall back to
    <dir>/other (in /etc/pam.d: Debian's pam_unix stack), so define every
    group a test exercises.  Remove with remove_pam_service().
    """
    if isinstance(body_lines, (str, bytes)):
        body_lines = [body_lines]
    mod = os.fsencode(str(module_path))
    preset = os.fsencode(str(PRESET_MODULE))
    data = b"".join(
        _as_bytes(line).replace(b"{module}", mod).replace(b"{preset}", preset).rstrip(b"\n")
        + b"\n"
        for line in body_lines
    )
    directory = Path(confdir) if confdir is not None else PAM_D
    name = f"pmtest-{secrets.token_hex(6)}"
    path = directory / name
    _created_pam_files.add(path)
    path.write_bytes(data)
    return PamService(name, path, None if confdir is None else str(confdir))


def remove_pam_service(service: PamService) -> None:
    service.path.unlink(missing_ok=True)
    _created_pam_files.discard(service.path)


@atexit.register
def remove_leftover_pam_files() -> None:
    # Belt and braces: fixture finalizers normally did this already.
    for p in list(_created_pam_files):
        p.unlink(missing_ok=True)


def pam_args(**options: str | int | None) -> str:
    """Render module arguments, bracketing values with spaces ([k=v w])."""
    parts = []
    for key, value in options.items():
        if value is None:
            continue
        token = f"{key}={value}"
        if any(c.isspace() for c in token) or "[" in token or "]" in token:
            token = "[" + token.replace("]", "\\]") + "]"
        parts.append(token)
    return " ".join(parts)


# --------------------------------------------------------------------------
# Throw-away MariaDB server
# --------------------------------------------------------------------------


class SqlError(RuntimeError):
    pass


_ROW_RE = re.compile(rb"<row>(.*?)</row>", re.S)
_FIELD_RE = re.compile(rb'<field name="[^"]*"(?: xsi:nil="true" />|>(.*?)</field>)', re.S)
_RESULTSET_TAG_RE = re.compile(rb"<resultset [^>]*>")


def _xml_unescape(b: bytes) -> bytes:
    return (
        b.replace(b"&lt;", b"<").replace(b"&gt;", b">").replace(b"&quot;", b'"')
        .replace(b"&apos;", b"'").replace(b"&amp;", b"&")
    )


def sql_literal(value: str | bytes | int | None) -> str:
    """SQL literal for any value: NULL, an integer, or a hex string X'..'
    (so quotes, backslashes, NUL, invalid UTF-8 and megabytes survive)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    return "X'" + _as_bytes(value).hex() + "'"


# -- Reference hashes computed independently of both modules ---------------------------------

ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def phpass_b64(data: bytes) -> str:
    """phpass's little-endian 6-bit encoding (Drupal 7's _password_base64_encode)."""
    out, i, n = [], 0, len(data)
    while True:
        value = data[i]
        i += 1
        out.append(ITOA64[value & 0x3F])
        if i < n:
            value |= data[i] << 8
        out.append(ITOA64[(value >> 6) & 0x3F])
        if i >= n:
            break
        i += 1
        if i < n:
            value |= data[i] << 16
        out.append(ITOA64[(value >> 12) & 0x3F])
        if i >= n:
            break
        i += 1
        out.append(ITOA64[(value >> 18) & 0x3F])
        if i >= n:
            break
    return "".join(out)


def drupal7_hash(pw: str | bytes, setting: str = "$S$9pmSalt12") -> str:
    """Drupal 7 `$S$` hash of pw for a setting (or a whole stored hash: its first 12 characters)."""
    p = pw.encode() if isinstance(pw, str) else pw
    salt, rounds = setting[4:12].encode(), 1 << ITOA64.index(setting[3])
    h = hashlib.sha512(salt + p).digest()
    for _ in range(rounds):
        h = hashlib.sha512(h + p).digest()
    return (setting[:12] + phpass_b64(h))[:55]


def free_port() -> int:
    """A free TCP port on 127.0.0.1 below the kernel's ephemeral range
    (32768+), so outgoing client connections cannot collide with it, and
    away from 3306/3307 where another MariaDB may listen."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(21000, 32000)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free TCP port found")


_live_servers: set["MariaDB"] = set()


@atexit.register
def _kill_leftover_servers() -> None:
    for srv in list(_live_servers):
        srv.destroy()


class MariaDB:
    """A private mariadbd: datadir, socket, pid file and logs in one temp dir.

    Root talks to it over the Unix socket (unix_socket authentication);
    the PAM modules use `db_user`/`db_password` over TCP (`tcp_host`) or the
    socket.  Create with MariaDB.create(); always call destroy().
    """

    db_name = "pamtest"
    db_user = "pamuser"
    db_password = "db-Secret-9f3k"

    def __init__(self, basedir: Path, port: int):
        self.basedir = basedir
        self.datadir = basedir / "data"
        self.socket = str(basedir / "mysqld.sock")
        self.pid_file = basedir / "mysqld.pid"
        self.error_log = basedir / "error.log"
        # The server's own temporary directory: mariadbd removes leftover `#sql*` files from its
        # tmpdir at start, so servers sharing /tmp (a replica, another test run) break each
        # other's install and queries. Made in _install.
        self.tmpdir = basedir / "tmp"
        self.port = port
        self.tcp_host = f"127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None
        self.frozen_state = False
        # Extra mariadbd options (TLS, replication), appended to the fixed ones.
        self.extra_args: list[str] = []

    # -- lifecycle ---------------------------------------------------------

    @classmethod
    def create(cls, extra_args: Sequence[str] = ()) -> "MariaDB":
        basedir = Path(tempfile.mkdtemp(prefix="pmtest-mariadb-"))
        shutil.chown(basedir, "mysql", "mysql")
        basedir.chmod(0o755)  # socket reachable by non-root test processes too
        srv = cls(basedir, free_port())
        srv.extra_args = list(extra_args)
        try:
            srv._install()
            srv.start()
            srv._provision()
        except BaseException:
            srv.destroy()
            raise
        return srv

    def _install(self) -> None:
        self.tmpdir.mkdir(mode=0o750, exist_ok=True)
        shutil.chown(self.tmpdir, "mysql", "mysql")
        proc = subprocess.run(
            [
                "mariadb-install-db", "--no-defaults", "--user=mysql",
                f"--datadir={self.datadir}", f"--tmpdir={self.tmpdir}",
                "--auth-root-authentication-method=socket", "--skip-test-db",
            ],
            capture_output=True, text=True, timeout=120, env=child_env(),
        )
        if proc.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed:\n{proc.stdout}\n{proc.stderr}")

    def start(self, timeout: float = 30) -> None:
        if self.running:
            return
        argv = [
            "mariadbd", "--no-defaults", "--user=mysql",
            f"--datadir={self.datadir}", f"--socket={self.socket}", f"--tmpdir={self.tmpdir}",
            f"--pid-file={self.pid_file}", f"--log-error={self.error_log}",
            f"--port={self.port}", "--bind-address=127.0.0.1", "--skip-networking=0",
            # No reverse DNS per TCP connection (no network here); TCP
            # clients then match the '127.0.0.1' grants, socket ones 'localhost'.
            "--skip-name-resolve",
            "--max-connections=500",
            *self.extra_args,
        ]
        out = open(self.basedir / "mariadbd.out", "ab")
        try:
            # Own session: a ^C aimed at pytest must not kill the server
            # before the finalizer runs; mariadbd does not fork, so
            # proc.pid is the server pid (what freeze() signals).
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                start_new_session=True, env=child_env(),
            )
        finally:
            out.close()
        _live_servers.add(self)
        self.frozen_state = False
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                self.proc = None
                raise RuntimeError(f"mariadbd exited during start-up:\n{self.error_log_text()}")
            if self._ping():
                return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"mariadbd did not answer within {timeout}s:\n{self.error_log_text()}"
                )
            time.sleep(0.1)

    def _ping(self) -> bool:
        r = subprocess.run(
            ["mariadb-admin", "--no-defaults", f"--socket={self.socket}", "-uroot",
             "--connect-timeout=2", "ping"],
            capture_output=True, timeout=30, env=child_env(),
        )
        return r.returncode == 0

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM, wait, SIGKILL fallback.  Safe to call when stopped."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                if self.frozen_state:
                    os.kill(self.proc.pid, signal.SIGCONT)  # SIGTERM waits otherwise
                os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(30)
        self.proc = None
        self.frozen_state = False

    def destroy(self) -> None:
        """Stop the server and remove the temp dir (the session finalizer)."""
        try:
            self.stop()
        finally:
            _live_servers.discard(self)
            shutil.rmtree(self.basedir, ignore_errors=True)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.running else None

    def freeze(self) -> None:
        """SIGSTOP: TCP connects still succeed (kernel backlog), nothing answers."""
        assert self.running, "server is not running"
        os.kill(self.proc.pid, signal.SIGSTOP)
        self.frozen_state = True

    def thaw(self) -> None:
        if self.running and self.frozen_state:
            os.kill(self.proc.pid, signal.SIGCONT)
        self.frozen_state = False

    def restore(self) -> None:
        """Make sure the server runs and answers (after stop/freeze)."""
        self.thaw()
        if not self.running:
            self.start()

    @contextlib.contextmanager
    def stopped(self) -> Iterator["MariaDB"]:
        self.stop()
        try:
            yield self
        finally:
            self.restore()

    @contextlib.contextmanager
    def frozen(self) -> Iterator["MariaDB"]:
        self.freeze()
        try:
            yield self
        finally:
            self.thaw()

    def error_log_text(self) -> str:
        parts = []
        for p in (self.error_log, self.basedir / "mariadbd.out"):
            if p.exists():
                parts.append(p.read_text(errors="replace")[-20000:])
        return "\n".join(parts)

    # -- SQL ---------------------------------------------------------------

    def sql(
        self, stmt: str | bytes, *, database: str | None = "pamtest", binary: bool = False,
        timeout: float = 60,
    ) -> list[list]:
        """Run statements as root over the socket; rows of the result sets.

        Values are str (bytes with binary=True) or None for SQL NULL.  The
        client's --xml output is parsed instead of --batch, because batch
        output prints NULL and the string 'NULL' identically.  One caveat of
        the XML output: a NUL byte in a value comes back as a space, so read
        binary data byte-exactly with HEX(col) (see password_of()).
        The statement goes through stdin (argv is limited to 128 KiB).
        Raises SqlError with the client's message on failure.
        """
        argv = ["mariadb", "--no-defaults", f"--socket={self.socket}", "-uroot",
                "--xml", "--binary-mode"]
        if database:
            argv.append(database)
        proc = subprocess.run(argv, input=_as_bytes(stmt), capture_output=True,
                              timeout=timeout, env=child_env())
        if proc.returncode != 0:
            raise SqlError(_dec(proc.stderr).strip() or f"mariadb exited {proc.returncode}")
        out = _RESULTSET_TAG_RE.sub(b"", proc.stdout)  # the tag echoes the statement
        rows = []
        for row in _ROW_RE.finditer(out):
            vals = []
            for f in _FIELD_RE.finditer(row[1]):
                if f[1] is None:  # <field name="x" xsi:nil="true" />
                    vals.append(None)
                else:
                    v = _xml_unescape(f[1])
                    vals.append(v if binary else _dec(v))
            rows.append(vals)
        return rows

    def _provision(self) -> None:
        u, pw = self.db_user, self.db_password
        self.sql(
            f"""
            CREATE DATABASE {self.db_name};
            CREATE USER '{u}'@'localhost' IDENTIFIED BY '{pw}';
            CREATE USER '{u}'@'127.0.0.1' IDENTIFIED BY '{pw}';
            GRANT SELECT, INSERT, UPDATE ON {self.db_name}.* TO '{u}'@'localhost';
            GRANT SELECT, INSERT, UPDATE ON {self.db_name}.* TO '{u}'@'127.0.0.1';
            CREATE TABLE {self.db_name}.users (
                id INT AUTO_INCREMENT PRIMARY KEY,
                username VARCHAR(300) NOT NULL,
                password MEDIUMBLOB NULL,
                status INT NULL DEFAULT 0,
                active INT NOT NULL DEFAULT 1,
                domain VARCHAR(255) NULL,
                KEY (username)
            ) DEFAULT CHARSET=utf8mb4;
            CREATE TABLE {self.db_name}.log (
                id INT AUTO_INCREMENT PRIMARY KEY,
                msg VARCHAR(255),
                user VARCHAR(300),
                pid VARCHAR(20),
                host VARCHAR(255),
                rhost VARCHAR(255),
                logtime DATETIME
            ) DEFAULT CHARSET=utf8mb4;
            """,
            database=None,
        )

    def add_user(
        self,
        username: str | bytes,
        stored: str | bytes | None,
        status: int | None = 0,
        active: int = 1,
        domain: str | bytes | None = None,
    ) -> int:
        """Insert a users row byte-exactly; returns its id.  The username
        must be valid UTF-8 (utf8mb4 column, strict mode), the password can
        be anything up to 16 MiB."""
        rows = self.sql(
            "INSERT INTO users (username, password, status, active, domain) VALUES ("
            + ", ".join(sql_literal(v) for v in (username, stored, status, active, domain))
            + "); SELECT LAST_INSERT_ID();"
        )
        return int(rows[-1][0])

    def password_of(self, username: str | bytes) -> bytes | None:
        """Stored password (exact bytes) of the row whose username is
        byte-equal to `username`; None if NULL.  KeyError if no such row."""
        rows = self.sql(
            f"SELECT HEX(password) FROM users WHERE BINARY username = {sql_literal(username)}"
        )
        if not rows:
            raise KeyError(username)
        return None if rows[0][0] is None else bytes.fromhex(rows[0][0])

    def log_rows(self) -> list[dict[str, str | None]]:
        cols = ["msg", "user", "pid", "host", "rhost", "logtime"]
        return [
            dict(zip(cols, r))
            for r in self.sql(f"SELECT {', '.join(cols)} FROM log ORDER BY id")
        ]

    def clear_users(self) -> None:
        self.sql("DELETE FROM users")

    def clear_log(self) -> None:
        self.sql("DELETE FROM log")

    def status(self, name: str) -> int:
        """SHOW GLOBAL STATUS value, e.g. status('Connections'), ('Com_select')."""
        rows = self.sql(f"SHOW GLOBAL STATUS LIKE '{name}'")
        if not rows:
            raise KeyError(name)
        return int(rows[0][1])

    def pam_args(self, **overrides: str | int | None) -> str:
        """Module arguments for this server and the users table.

        Defaults: user, passwd, host=127.0.0.1:PORT, db, table=users,
        usercolumn=username, passwdcolumn=password.  A keyword overrides
        (None drops the option); extra keywords are appended, e.g.
        pam_args(crypt=0), pam_args(host=db.socket).
        """
        opts: dict[str, str | int | None] = {
            "user": self.db_user,
            "passwd": self.db_password,
            "host": self.tcp_host,
            "db": self.db_name,
            "table": "users",
            "usercolumn": "username",
            "passwdcolumn": "password",
        }
        opts.update(overrides)
        return pam_args(**opts)


# --------------------------------------------------------------------------
# Batched expectations (differential tests)
# --------------------------------------------------------------------------


def per_module(module_path, *, oracle, ours):
    """The expectation for the module under test: `oracle` for the C module
    (module_path.kind == "oracle", see conftest.ModulePath), `ours` for ours.
    Used for the README's deliberate differences, so both values are
    written down next to each other."""
    kind = getattr(module_path, "kind", None)
    if kind not in ("oracle", "ours"):
        raise ValueError(f"module path without .kind: {module_path!r}")
    return oracle if kind == "oracle" else ours


class Batch:
    """Collects the outcome of many runs and fails once, listing every case
    that did not match (so one test can cover a table of cases without
    hiding the second failure behind the first).

        b = Batch()
        b.check("bob right", run_pam_loop(...), code=PAM_SUCCESS, prompts=[...])
        b.verify()

    check() keywords (each optional):
      code        expected Result.code
      codes       expected Result.codes (list)
      prompts     expected Result.prompts (pam_loop only)
      prompted    True/False: pamtester printed (or not) "Password:" on stderr
      logged      iterable of (text, priority or None) that must be captured
      not_logged  iterable of (text, priority or None) that must not be
    A crash or timeout always counts as a failure.
    """

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.count = 0

    def check(
        self,
        label: str,
        res: Result,
        *,
        code: int | None = None,
        codes: Sequence[int] | None = None,
        prompts: Sequence[tuple[int, str]] | None = None,
        prompted: bool | None = None,
        logged: Iterable[tuple[str, int | None]] = (),
        not_logged: Iterable[tuple[str, int | None]] = (),
        log: Sequence[tuple[str, int]] | None = None,
    ) -> bool:
        """`logged`: each (text, priority) is part of some line; `log`: the module's lines are
        exactly these, in order, (text, priority) without the `pam_mysql(...): ` prefix, so an
        extra line fails (as pam-krb5's test scripts assert every line)."""
        self.count += 1
        problems = []
        if res.crashed or res.timed_out:
            problems.append(f"crashed/timed out (signal {res.signal})")
        if code is not None and res.code != code:
            problems.append(
                f"code {res.code} ({res.name}), expected {code} ({PAM_NAMES.get(code)})"
            )
        if codes is not None and res.codes != list(codes):
            problems.append(f"codes {res.codes}, expected {list(codes)}")
        if prompts is not None and res.prompts != list(prompts):
            problems.append(f"prompts {res.prompts}, expected {list(prompts)}")
        if prompted is not None and ("Password:" in res.stderr) != prompted:
            problems.append(f"pamtester prompted={not prompted}, expected {prompted}")
        for text, prio in logged:
            if not res.logged(text, prio):
                problems.append(f"no log line {text!r} at priority {prio}")
        for text, prio in not_logged:
            if res.logged(text, prio):
                problems.append(f"unexpected log line {text!r} at priority {prio}")
        if log is not None:
            actual = [(text, prio) for prio, text in res.module_log]
            if actual != list(log):
                problems.append(f"module log {actual}, expected exactly {list(log)}")
        if problems:
            detail = res.describe().replace("\n", "\n    ")
            self.failures.append(f"[{label}] " + "; ".join(problems) + "\n    " + detail)
        return not problems

    def fail(self, label: str, message: str) -> None:
        """Record a failed expectation checked by the caller itself."""
        self.count += 1
        self.failures.append(f"[{label}] {message}")

    def verify(self) -> None:
        assert not self.failures, (
            f"{len(self.failures)} of {self.count} cases failed:\n" + "\n".join(self.failures)
        )
