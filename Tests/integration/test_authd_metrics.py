"""Issue 16 item 6: pam-mysql-authd's `--metrics HOST:PORT`, the Prometheus text format over HTTP.

Scraped with a plain HTTP client and parsed: logins counted by protocol, service and result (a
service the daemon does not know labelled "other"), the latency histogram's buckets (cumulative,
+Inf = count), the result cache's hits and misses, the database connection gauges, temporary
failures by reason; any path but /metrics is a 404; the endpoint is absent by default; a
non-loopback address is refused without `metrics_public = yes`.
"""

from __future__ import annotations

import http.client
import re
import socket
import time

import pytest

import authdharness as ah
from authdharness import AuthDaemon

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ([-+0-9.eEInfa]+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str = "/metrics") -> tuple[int, str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.getheader("Content-Type") or "", r.read().decode()
    finally:
        conn.close()


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    """{(name, frozenset(labels.items())): value}; every line a comment or a valid sample."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = frozenset(LABEL.findall(m[2] or ""))
        samples[(m[1], labels)] = float(m[3])
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape(port: int) -> dict:
    status, content_type, body = get(port)
    assert status == 200 and content_type.startswith("text/plain"), (status, content_type)
    return parse(body)


@pytest.fixture
def metered(db):
    port = free_port()
    lines = ah.service_lines(db, crypt=0, **ah.fast_timeouts())
    d = AuthDaemon({"smtp": lines}, config="[daemon]\nresult_cache = yes\n",
                   extra_args=["--metrics", f"127.0.0.1:{port}"]).start()
    assert d.wait_log(r"metrics: serving http://127\.0\.0\.1:\d+/metrics"), d.describe()
    d.metrics_port = port
    yield d
    d.destroy()


def test_logins_are_counted_by_protocol_service_and_result(db, metered):
    db.add_user("alice", "pw-alice")
    port = metered.metrics_port
    for _ in range(3):
        assert metered.sasl("alice", "pw-alice").ok
    assert metered.sasl("alice", "wrong").kind == "NO"
    assert metered.sasl("alice", "pw-alice", service="nosuchservice").kind == "NO"
    with metered.dovecot() as client:
        client.handshake()
        assert client.plain(1, "alice", "pw-alice").command == "OK"
    s = scrape(port)
    logins = "pam_mysql_authd_logins_total"
    assert value(s, logins, protocol="saslauthd", service="smtp", result="ok") == 3
    assert value(s, logins, protocol="saslauthd", service="smtp", result="no") == 1
    assert value(s, logins, protocol="saslauthd", service="other", result="no") == 1
    assert value(s, logins, protocol="dovecot", service="smtp", result="ok") == 1
    assert not any("nosuchservice" in dict(k[1]).get("service", "") for k in s), "a client's service name became a label"
    # the counters move with the logins
    assert metered.sasl("alice", "pw-alice").ok
    assert value(scrape(port), logins, protocol="saslauthd", service="smtp", result="ok") == 4


def test_the_latency_histogram_has_cumulative_buckets(db, metered):
    db.add_user("alice", "pw-alice")
    for _ in range(4):
        assert metered.sasl("alice", "pw-alice").ok
    s = scrape(metered.metrics_port)
    name = "pam_mysql_authd_login_duration_seconds"
    buckets = sorted(
        (float("inf") if dict(k[1])["le"] == "+Inf" else float(dict(k[1])["le"]), v)
        for k, v in s.items() if k[0] == name + "_bucket" and dict(k[1]).get("protocol") == "saslauthd")
    assert len(buckets) >= 10, buckets
    counts = [v for _, v in buckets]
    assert counts == sorted(counts), "buckets are cumulative"
    assert buckets[-1] == (float("inf"), 4)
    assert value(s, name + "_count", protocol="saslauthd") == 4
    assert 0 < value(s, name + "_sum", protocol="saslauthd") < 40


def test_cache_hits_misses_and_database_gauges(db, metered):
    db.add_user("alice", "pw-alice")
    for _ in range(5):
        assert metered.sasl("alice", "pw-alice").ok
    s = scrape(metered.metrics_port)
    lookups = "pam_mysql_authd_cache_lookups_total"
    assert value(s, lookups, cache="result", result="miss") == 1
    assert value(s, lookups, cache="result", result="hit") == 4
    assert value(s, "pam_mysql_authd_cache_entries", cache="result") == 1
    assert value(s, "pam_mysql_authd_database_connections_open") >= 1
    assert ("pam_mysql_authd_database_connections_idle", frozenset()) in s
    assert value(s, "pam_mysql_authd_uptime_seconds") >= 0


def test_temporary_failures_are_counted_by_reason(db, metered):
    with db.stopped():
        assert metered.sasl("bob", "pw").kind == "EMPTY"
    s = scrape(metered.metrics_port)
    assert value(s, "pam_mysql_authd_temporary_failures_total", reason="database unavailable") == 1, \
        [k for k in s if "temporary" in k[0]]
    assert value(s, "pam_mysql_authd_logins_total", protocol="saslauthd", service="smtp", result="tempfail") == 1


def test_any_other_path_is_a_404_and_nothing_is_echoed(metered):
    status, _, body = get(metered.metrics_port, "/secret-path")
    assert status == 404 and "secret-path" not in body
    status, _, body = get(metered.metrics_port, "/metrics?x=1")
    assert status == 200 and "pam_mysql_authd_uptime_seconds" in body


def test_the_endpoint_is_absent_by_default(db):
    d = AuthDaemon({"smtp": ah.service_lines(db, crypt=0)}).start()
    try:
        assert d.sasl("nobody", "x").kind == "NO"
        assert "metrics" not in d.log_text()
        # nothing of the daemon listens on TCP
        pid = d.proc.pid
        inodes = set()
        import os
        for fd in os.listdir(f"/proc/{pid}/fd"):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in open(table).read().splitlines()[1:]:
                fields = line.split()
                assert not (fields[3] == "0A" and fields[9] in inodes), f"listening on TCP: {line}"
    finally:
        d.destroy()


@pytest.mark.parametrize("how", ["file", "command line"])
def test_a_non_loopback_address_is_refused_without_metrics_public(db, how):
    port = free_port()
    if how == "file":
        d = AuthDaemon({"smtp": ah.service_lines(db, crypt=0)}, config=f"[daemon]\nmetrics = 0.0.0.0:{port}\n")
    else:
        d = AuthDaemon({"smtp": ah.service_lines(db, crypt=0)}, extra_args=["--metrics", f"0.0.0.0:{port}"])
    try:
        rc = d.run_until_exit(timeout=15)
        assert rc not in (None, 0), d.describe()
        assert "not a loopback address; set metrics_public = yes" in d.output_text() + d.log_text(), d.describe()
    finally:
        d.destroy()


def test_metrics_public_allows_a_non_loopback_bind(db):
    port = free_port()
    d = AuthDaemon({"smtp": ah.service_lines(db, crypt=0)},
                   config=f"[daemon]\nmetrics = 0.0.0.0:{port}\nmetrics_public = yes\n").start()
    try:
        assert d.wait_log(rf"metrics: serving http://0\.0\.0\.0:{port}/metrics"), d.describe()
        # scraped over loopback only: the test sends nothing to any other address
        deadline = time.monotonic() + 5
        while True:
            try:
                assert get(port)[0] == 200
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
    finally:
        d.destroy()
