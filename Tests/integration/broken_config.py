"""Configurations the module must refuse as a whole (README "Failure behaviour", differences
"Config syntax errors" to "Value options without ="): each case is a module line plus, where it
needs one, a config file, the one LOG_ERR line ours writes (the same text `pam-mysql check`
prints as its FAIL reason), and what the C module does with the right password typed (measured: it carries on with what it could parse).

The user `cfg` has a SHA-512-crypt stored value; every line says crypt=1 unless the case is
about losing it.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from pamharness import PAM_AUTHINFO_UNAVAIL, PAM_SUCCESS

USER = "cfg"
PASSWORD = "Cfg-pw-77"
NOBODY = 65534
CFG_PREFIX = "config file "


@dataclasses.dataclass
class Case:
    name: str
    args: str                # module arguments (rendered)
    message: str             # our one LOG_ERR line, without the pam_syslog prefix
    oracle: int              # the C module's code for the right password
    secret: str | None = None  # must appear in no log line


def _file(path: Path, content: str, mode: int = 0o600, owner: int | None = None) -> str:
    path.write_text(content)
    path.chmod(mode)
    if owner is not None:
        os.chown(path, owner, owner)
    return str(path)


def make_cases(db, root: Path) -> list[Case]:
    """The cases, with their files under `root` (a 0700 directory of the test's own)."""
    root.chmod(0o700)
    line = db.pam_args(crypt=1)
    good = "users.password_crypt = 1\n"
    cases: list[Case] = []

    def add(name, args, message, oracle, secret=None):
        cases.append(Case(name, args, message, oracle, secret))

    p = _file(root / "indented.conf", "users.table = users\n  # note\nusers.password_crypt = 1\n")
    add("syntax error", f"{line} config_file={p}",
        f'syntax error on line 2 of {p}: unexpected character at column 5 after key, expected "="; none of the file is used',
        PAM_SUCCESS)
    p = str(root / "missing.conf")
    add("missing file", f"{line} config_file={p}",
        f"{CFG_PREFIX}{p} cannot be opened (No such file or directory)", PAM_SUCCESS)
    p = str(root)
    add("directory", f"{line} config_file={p}", f"{CFG_PREFIX}{p} is not a regular file", PAM_SUCCESS)
    p = _file(root / "big.conf", good + "#" * 70000 + "\n")
    add("too large", f"{line} config_file={p}",
        f"{CFG_PREFIX}{p} is {os.path.getsize(p)} bytes, more than 65536", PAM_SUCCESS)
    add("relative path", f"{line} config_file=pam-mysql.conf",
        f"{CFG_PREFIX}pam-mysql.conf is not an absolute path (it would be looked up in the calling program's working directory)",
        PAM_SUCCESS)
    p = _file(root / "theirs.conf", good, owner=NOBODY)
    add("owned by another user", f"{line} config_file={p}",
        f"{CFG_PREFIX}{p} is owned by uid {NOBODY}: it must belong to root or to the user the module runs as", PAM_SUCCESS)
    p = _file(root / "group-writable.conf", good, mode=0o660)
    add("group-writable", f"{line} config_file={p}",
        f"{CFG_PREFIX}{p} can be written by its group or by others (mode 0660): chmod go-w it", PAM_SUCCESS)
    d = root / "open"
    d.mkdir()
    d.chmod(0o777)
    p = _file(d / "x.conf", good)
    add("in a world-writable directory", f"{line} config_file={p}",
        f"{CFG_PREFIX}{p} is in directory {d}, which its group or others can write (mode 0777) and which is not a root-owned sticky directory",
        PAM_SUCCESS)
    d = root / "theirs"
    d.mkdir()
    p = _file(d / "x.conf", good)
    os.chown(d, NOBODY, NOBODY)
    add("in another user's directory", f"{line} config_file={p}",
        f"{CFG_PREFIX}{p} is in directory {d}, owned by uid {NOBODY}: every directory above the file must belong to root or to the user the module runs as",
        PAM_SUCCESS)
    # Near misses of restrictions: the C module ignores them, so the where clause that would
    # refuse this user is lost and the login succeeds.
    add("misspelt where on the line", f"{line} [wehre=username <> '{USER}']",
        "unknown option wehre on the module line: too close to where to ignore (a misspelt restriction fails closed)",
        PAM_SUCCESS)
    p = _file(root / "where.conf", f"users.where_clase = username <> '{USER}'\n")
    add("misspelt where in the file", f"{line} config_file={p}",
        f"unknown option users.where_clase on line 1 of {p}: too close to users.where_clause to ignore (a misspelt restriction fails closed)",
        PAM_SUCCESS)
    # `passwd SECRET`: the C module connects with an empty password (and logs, with verbose,
    # "unknown option: SECRET"); ours never names the second word.
    add("passwd without =", db.pam_args(crypt=1, passwd=None) + f" passwd {db.db_password}",
        "option passwd needs a value (passwd=...)", PAM_AUTHINFO_UNAVAIL, secret=db.db_password)
    return cases


def stored_value() -> str:
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt
    return crypt.crypt(PASSWORD, "$6$pmTestSalt$")


def strip_prefix(message: str) -> str:
    """`pam_mysql(service:auth): text` -> `text`."""
    head, sep, rest = message.partition("): ")
    return rest if sep and head.startswith("pam_mysql(") else message
