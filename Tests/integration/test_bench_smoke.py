"""A short run of `make bench` (bench/bench.py --smoke), so the benchmark keeps working, and
the exact server-side counters it reports hold: one SELECT per login for ours, three for C.
Also a short run of bench/fresh_process.py, the cost per fresh process."""
from __future__ import annotations

import json
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


def test_fresh_process_smoke_run_prints_one_json_object_with_rates_and_ratios() -> None:
    """bench/fresh_process.py (the module's cost per fresh process, authenticate only) is read
    by `make bench` as one JSON object on stdout: a rate for each module, the ratio per round."""
    run = subprocess.run([sys.executable, str(REPO / "bench" / "fresh_process.py"), "--smoke"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout)
    for key in ("c", "ours", "permit", "cpu_ms_c", "cpu_ms_ours"):
        assert isinstance(result[key], (int, float)) and result[key] > 0, (key, result)
    assert len(result["rounds"]) == 1 and result["rounds"][0]["ratio"] > 0, result
    assert result["ratio"] == result["rounds"][0]["ratio"], result
