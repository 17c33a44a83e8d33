"""Issue 15 item 7: a short run of `make soak` (bench/soak.py) in make test: 20,000 logins
mixed right, wrong and unknown over persistent pipelined Dovecot connections and saslauthd
requests; no wrong answer, and the daemon's resident memory and descriptors after 20,000
logins within 5% (descriptors: equal up to the database pool) of their values after 5,000.
"""

from __future__ import annotations

import importlib.util
import sys

import pamharness as ph

_spec = importlib.util.spec_from_file_location("soak", ph.REPO / "bench" / "soak.py")
soak = importlib.util.module_from_spec(_spec)
sys.modules["soak"] = soak
_spec.loader.exec_module(soak)


def test_short_soak_keeps_memory_and_descriptors_flat_with_no_wrong_answer(db):
    result = soak.soak(db, logins=20_000, checkpoint=5_000)
    print(soak.table(result))
    assert result["passed"], soak.table(result)
    answers = result["answers"]
    assert answers.get("OK", 0) > 0 and answers.get("FAIL", 0) > 0 and answers.get("NO", 0) > 0, answers
