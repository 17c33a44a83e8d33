"""pytest plugin: a skipped integration test fails the run.

A test that did not run proves nothing, so `make test` (and CI) must not pass with skips.
Set PAM_MYSQL_ALLOW_SKIPS=1 for local runs that skip on purpose (e.g. PAM_MYSQL_ORACLE_ONLY=1).
"""
from __future__ import annotations

import os

import pytest

_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _skipped and os.environ.get("PAM_MYSQL_ALLOW_SKIPS") != "1":
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"{len(_skipped)} test(s) skipped; a skipped integration test is a failure:", red=True)
            for nodeid in _skipped[:50]:
                reporter.write_line(f"  {nodeid}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
