"""The local run under ten clients' mixed load, briefly (CONTRACT.md 1, "under load").

One run of bench.local_load (about 20 s of its mix, then 8 writers filling the account's 500
key pairs) shared by the module; each test checks one invariant of what it measured. Times
are the benchmark's to report (``make bench``), not checked here, but for the stop.
"""

from __future__ import annotations

import pytest

from bench.local_load import MAX_KEYS_PER_ACCOUNT, MEMORY_BUDGET_MB, PER_SECOND, Report, run
from tests.support.local_server import FIGURES

pytestmark = pytest.mark.e2e

LOAD_SECONDS = 20.0


@pytest.fixture(scope="module")
def report() -> Report:
    measured = run(LOAD_SECONDS, catch_up_timeout=30.0)
    FIGURES.append(f"local run under load ({LOAD_SECONDS:.0f} s):\n{measured.table()}")
    return measured


def test_no_5xx_and_no_dropped_connection(report: Report) -> None:
    assert (report.five_xx, report.dropped) == (0, 0), report.samples
    assert report.no_request_id == 0
    assert report.admin_failures == 0, report.samples["admin"]


def test_every_replay_of_an_allowed_call_is_refused_nonce_used(report: Report) -> None:
    assert report.replays > 0
    assert report.replays_not_refused == 0, report.samples["not_refused"]


def test_every_decision_has_exactly_one_record_with_its_result(report: Report) -> None:
    assert report.missing_records == 0, report.samples["missing"]
    assert report.duplicate_records == 0
    assert report.unknown_records == 0
    assert report.wrong_results == 0, report.samples["wrong"]
    assert report.own_view_differs == 0


def test_call_counts_and_stats_equal_the_records(report: Report) -> None:
    assert report.count_mismatches == []


def test_the_limited_app_never_passes_more_than_its_limit(report: Report) -> None:
    assert 0 < report.limited_max_per_second <= PER_SECOND
    assert report.limited_seconds_over == 0


def test_memory_growth_stays_within_budget(report: Report) -> None:
    assert report.growth_mb < MEMORY_BUDGET_MB, report.table()


def test_concurrent_writers_get_exactly_the_account_limit_of_key_pairs(report: Report) -> None:
    keys = report.keys
    assert keys is not None
    assert (keys.five_xx, keys.other) == (0, 0)
    assert keys.refused > 0
    assert keys.created == keys.expected
    assert keys.listed_after == MAX_KEYS_PER_ACCOUNT


def test_the_loaded_run_stops_within_5_s_of_sigterm(report: Report) -> None:
    assert report.stop_seconds is not None, "killed 15 s after SIGTERM"
    assert report.stop_seconds < 5.0
