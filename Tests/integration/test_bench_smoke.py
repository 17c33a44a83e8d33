"""A short run of `make bench` (bench/bench.py --smoke), so the benchmark keeps working, and
the exact server-side counters it reports hold: one SELECT per login for ours, three for C;
and the peers' part (bench/peers.py): every service and reference row has a figure (or says
its feature is missing from this build), the latency, counter and target tables are there.
Also a short run of bench/fresh_process.py, the cost per fresh process."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NUMBER = r"\d[\d,]*"
NA = "n/a (feature not in this build)"


def test_benchmark_smoke_run_reports_every_mode_and_one_select_per_login() -> None:
    run = subprocess.run([sys.executable, str(REPO / "bench" / "bench.py"), "--smoke"],
                         capture_output=True, text=True, timeout=900)
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
    check_peers(report)


def table_row(report: str, label: str) -> list[str]:
    """The cells after the first one of the table row that starts with `label`."""
    for line in report.splitlines():
        if line.startswith(f"| {label} |"):
            return [cell.strip() for cell in line.strip().strip("|").split("|")[1:]]
    raise AssertionError(f"no row {label!r} in:\n{report}")


def check_peers(report: str) -> None:
    assert "## The daemon against its peers" in report, report
    figure = re.compile(rf"^{NUMBER}$")
    # Every service, both schemes: a rate, or the sentence for a feature this build lacks
    # (the caches only).
    for label in ("pam-mysql-authd, Dovecot protocol, caches off", "pam-mysql-authd, saslauthd protocol, caches off",
                  "Dovecot 2.3 auth, passdb sql, cache off", "Dovecot 2.3 auth, cache on",
                  "saslauthd -a pam -n 2 + our pam_mysql.so", "saslauthd -a pam -n 2 + C pam_mysql.so"):
        cells = next(table_row(report, line.split(" | ")[0][2:]) for line in report.splitlines()
                     if line.startswith(f"| {label}"))
        assert all(figure.match(c) and int(c.replace(",", "")) > 0 for c in cells[:2]), (label, cells)
    cache = next(line for line in report.splitlines() if line.startswith("| pam-mysql-authd, result cache"))
    cells = [c.strip() for c in cache.strip().strip("|").split("|")[1:]]
    assert all(figure.match(c) or c.startswith("n/a (") for c in cells), cells
    # The reference rows: crypt and database limits, the load client's ceiling per protocol.
    assert figure.match(table_row(report, "crypt limit: crypt_r SHA-512 on 2 threads, no database")[1])
    assert figure.match(table_row(report, "database limit: login SELECT, prepared, 4 connections (C client)")[0])
    for protocol in ("Dovecot", "saslauthd"):
        ceiling = table_row(report, f"load client ceiling, {protocol} protocol (server answers at once)")[0]
        assert figure.match(ceiling) and int(ceiling.replace(",", "")) > 0, ceiling
    # Latency at 80% for the daemon and Dovecot, both schemes: rate, p50, p99, max.
    latency = re.findall(rf"^\| (pam-mysql-authd, Dovecot protocol, caches off|Dovecot 2.3 auth, passdb sql, cache off) "
                         rf"\| (plain|sha512crypt) \| {NUMBER} \| [\d,.]+ \| [\d,.]+ \| [\d,.]+ \|$", report, re.M)
    assert len(latency) == 4, report
    # Exact server counters per 1000 plain logins: the C module's two connections and three
    # SELECTs, Dovecot's one SELECT without its cache and none with it, the daemon's pool.
    c_module = table_row(report, "saslauthd -a pam -n 2 + C pam_mysql.so")
    section = report.split("Database work per 1000 plain logins", 1)[1].split("| service | new connections | SELECTs |", 1)[1]
    counter_rows = section.split("\n\n", 1)[0].splitlines()
    c_counters = next(line for line in counter_rows if line.startswith("| saslauthd -a pam -n 2 + C pam_mysql.so"))
    assert re.search(r"\| 2,000\.0 \| 3,000 \|$", c_counters), (c_counters, c_module)
    dovecot_off = next(line for line in counter_rows if line.startswith("| Dovecot 2.3 auth, passdb sql, cache off"))
    assert dovecot_off.endswith("| 1,000 |"), dovecot_off
    daemon = next(line for line in counter_rows if line.startswith("| pam-mysql-authd, Dovecot protocol, caches off"))
    connections, selects = (c.strip() for c in daemon.strip().strip("|").split("|")[1:])
    assert float(connections.replace(",", "")) < 10 and selects in ("1,000", "2,000"), daemon
    # The targets, each with its ratio and a verdict.
    assert "### Targets (issue 16 item 2)" in report
    for target in ("plain, caches off ≥ 3× Dovecot's", "plain, caches off ≥ 0.4× the database's own limit",
                   "SHA-512-crypt ≥ 0.9× the crypt limit", "saslauthd protocol ≥ 4× saslauthd + our module",
                   "≤ 1 new database connection per 1000 logins"):
        line = next((line for line in report.splitlines() if line.startswith(f"| {target}")), None)
        assert line is not None and re.search(r"\| [\d.]+ \| met in [01] of 1 \|$", line), (target, line)
    for target in ("result cache, plain", "verification cache, SHA-512-crypt ≥ 10×", "resident memory", "fresh process"):
        line = next((line for line in report.splitlines() if line.startswith(f"| {target}")), None)
        assert line is not None and re.search(r"(met in [01] of 1|met|missed|n/a \(.*\)) \|$", line), (target, line)


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
