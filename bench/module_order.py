#!/usr/bin/env python3
"""Writes Sources/CShim/hot_functions.order: the module's functions that one fresh-process login
runs, in the order they first run, for the linker's --symbol-ordering-file.

    python3 bench/module_order.py      (after `make`; as root: it starts its own MariaDB)

A process that authenticates once touches about 500 of the module's functions (the loader's
constructors, the first PAM call, the runtime's first metadata instantiations), scattered over
4 MB of text. Placed together at the start of .text they fault in as a few 64 KB windows:
a pamtester login took 12 text page faults instead of 28 (BENCHMARKS.md, the module's cost per
fresh process). Names the linker no longer finds are skipped, so a stale list only costs
locality; regenerate it after larger changes to the login path.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Tests" / "integration"))
import pamharness as ph  # noqa: E402

OUTPUT = REPO / "Sources" / "CShim" / "hot_functions.order"


def bin_path() -> Path:
    out = subprocess.run(["swift", "build", "-c", "release", "--disable-local-rpath", "--show-bin-path"],
                         capture_output=True, text=True, check=True, cwd=REPO).stdout.strip()
    return Path(out) / "libpam_mysql.so"


def functions_run(callgrind_out: Path, module: Path) -> list[str]:
    """Function names of `module` in the callgrind output, in first-seen order."""
    order: list[str] = []
    seen: set[str] = set()
    current = None
    for line in callgrind_out.read_text(errors="replace").splitlines():
        if line.startswith("ob="):
            current = line[3:].strip()
        elif line.startswith("fn=") and current == str(module):
            name = line[3:].strip().split("'")[0]
            if not name.startswith("0x") and name not in seen:
                seen.add(name)
                order.append(name)
    return order


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="pmorder-") as tmp:
        # Symbols kept, debug information dropped (valgrind cannot read the toolchain's).
        module = Path(tmp) / "pam_mysql.so"
        subprocess.run(["strip", "--strip-debug", "-o", str(module), str(bin_path())], check=True)
        server = ph.MariaDB.create()
        service = None
        try:
            server.add_user("order-plain", "secret")
            service = ph.write_pam_service(str(module), [f"auth required {{module}} {server.pam_args(crypt=0)}"])
            out = Path(tmp) / "callgrind.out"
            run = subprocess.run(
                ["valgrind", "--tool=callgrind", "--demangle=no", "--compress-strings=no", "--compress-pos=no",
                 f"--callgrind-out-file={out}", "pamtester", service, "order-plain", "authenticate"],
                input=b"secret\n", capture_output=True)
            if run.returncode != 0:
                raise RuntimeError(run.stderr.decode(errors="replace")[-2000:])
            names = functions_run(out, module)
        finally:
            if service is not None:
                ph.remove_pam_service(service)
            server.destroy()
    if len(names) < 100:
        raise RuntimeError(f"only {len(names)} functions found: is the module built with symbols?")
    OUTPUT.write_text("\n".join(names) + "\n")
    print(f"{OUTPUT}: {len(names)} functions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
