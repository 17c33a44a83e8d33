"""A short run of `make bench` (bench/bench.py --smoke), so the benchmark keeps working, and
the exact server-side counters it reports hold: one SELECT per login for ours, three for C."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_benchmark_smoke_run_reports_every_mode_and_one_select_per_login() -> None:
    run = subprocess.run([sys.executable, str(REPO / "bench" / "bench.py"), "--smoke"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    report = run.stdout
    for mode in ("(a) pamtester", "(b) long-lived process", "(c) saslauthd -a pam"):
        for scheme in ("plain", "sha512crypt"):
            assert re.search(rf"\| {re.escape(mode)}[^|]*\| {scheme} \| \d+ \| \d+ \| \d+ \|", report), (mode, scheme, report)
    rows = re.findall(r"\| \((b|c)\) [^|]*\| (C|ours) \| [\d.]+ \| (\d+) \|", report)
    counters = {(mode, module): int(selects) for mode, module, selects in rows}
    assert counters[("b", "ours")] == 1000 and counters[("c", "ours")] == 1000, report
    assert counters[("b", "C")] == 3000 and counters[("c", "C")] == 3000, report
    assert "rss" in report.lower() or "Resident memory" in report
