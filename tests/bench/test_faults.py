"""The fault-injection benchmark counts what a person would have seen: an alert whose card never came is lost,
one with two cards is duplicated, an alert a digest names is delivered. The counting is checked on messages made
up here (one card dropped on purpose), and on a small real storm with a serve SIGKILL in the middle, where the
report must agree with what the Slack stand-in received."""

from __future__ import annotations

import shutil

import pytest

from bench import faults
from bench.runner import select

SENT = {f"storm-{i:05d}": float(i) for i in range(10)}


def _card(i: int, number: int | None = None) -> str:
    """A card as alerts/text.py writes it: state line, headline, where and since when, the first link."""
    n = i + 1 if number is None else number
    return (f"FIRING\nALERT {n} WARN svc-t{i:03d}: storm-{i:05d} p99 latency above 2s\n"
            "prod · since 22:00 · alertmanager\nhttp://prometheus.example:9090/graph")  # fmt: skip


def _counted(posts: list[tuple[float, str]], numbers: dict[int, str] | None = None) -> faults.Delivered:
    delivered = faults.Delivered((numbers or {}).get)
    for at, text in posts:
        delivered.add(at, text)
    return delivered


def test_a_dropped_card_is_lost_and_a_card_posted_twice_is_duplicated() -> None:
    posts = [(100.0 + i, _card(i)) for i in range(10) if i != 4]
    posts.append((200.0, _card(7)))
    delivered = _counted(posts)
    assert delivered.lost(SENT) == ["storm-00004"]
    assert delivered.duplicated() == ["storm-00007"]
    assert delivered.first["storm-00007"] == 107.0  # latency runs to the first card


def test_every_card_arrived_is_reported_as_nothing_lost() -> None:
    delivered = _counted([(20.0 + i, _card(i)) for i in range(10)])
    pages = _counted([(30.0, "ALERT 1 CRIT svc-t000 storm-00000 p99 latency above 2s. Reply 1A ack, 1R resolve")])
    report = faults.Report(
        SENT, where={}, critical={"storm-00000"}, delivered=delivered, pages=pages, window=(3.0, 6.0)
    )
    shown = {figure.name: figure.value for figure in report.figures()}
    assert shown["faults: lost (no card by the end of the run)"] == 0
    assert shown["faults: duplicated (more than one card)"] == 0
    assert shown["faults: criticals never paged by SMS"] == 0
    assert shown["faults: criticals paged by SMS more than once"] == 0
    assert report.latencies("before") == [20.0, 20.0, 20.0]  # sent at 0, 1, 2; cards at 20, 21, 22
    assert len(report.latencies("during")) == 4 and len(report.latencies("after")) == 3


def test_a_digest_delivers_the_alerts_it_names_by_number_or_mark() -> None:
    numbers = {11: "storm-00001", 12: "storm-00002", 13: "storm-00003"}
    digest = "3 new alerts: #11 WARN svc-t001: p99 latency, #12 WARN svc-t002: p99 latency, #13 WARN svc-t003"
    by_mark = "2 new alerts:\n5 WARN svc-t005: storm-00005 p99\n6 WARN svc-t006: storm-00006 p99"
    delivered = _counted([(1.0, digest), (2.0, by_mark), (3.0, _card(0, number=10))], numbers)
    assert delivered.lost(SENT) == ["storm-00004", "storm-00007", "storm-00008", "storm-00009"]
    assert delivered.duplicated() == []


def test_a_digest_that_counts_more_than_it_names_delivers_the_rest_of_its_channel_in_the_order_sent() -> None:
    """bot/digest.py shows five lines and "and N more" (its List button shows them all)."""
    where = dict.fromkeys(SENT, "C0TEAM000")
    shown = "\n".join(f"#{i + 1} WARN svc-t000: storm-{i:05d} p99 latency above 2s" for i in range(5))
    delivered = _counted([])
    delivered.add(7.5, f"8 new alerts:\n{shown}\nand 3 more", "C0TEAM000")  # alerts 0..7 were sent by then
    arrived = delivered.arrivals(SENT, where)
    assert delivered.lost(SENT, where) == ["storm-00008", "storm-00009"]  # sent after the digest: not in it
    assert [arrived[f"storm-{i:05d}"] for i in (5, 6, 7)] == [7.5, 7.5, 7.5]
    assert delivered.lost(SENT, dict.fromkeys(SENT, "C0OTHER"))[:3] == ["storm-00005", "storm-00006", "storm-00007"]
    report = faults.Report(SENT, where=where, critical=set(), delivered=delivered, pages=_counted([]), window=(0, 0))
    assert report.only_counted == 3


def test_a_card_with_a_reused_number_counts_for_the_alert_its_text_names() -> None:
    """After a Redis restart without persistence numbers may be given again: the mark in the text decides."""
    delivered = _counted([(1.0, _card(1, number=5)), (2.0, _card(2, number=5))], {5: "storm-00001"})
    assert delivered.messages == {"storm-00001": 1, "storm-00002": 1}


def test_message_text_reads_the_fallback_and_the_blocks() -> None:
    body = {
        "text": "ALERT 3 WARN x",
        "blocks": '[{"type": "section", "text": {"type": "mrkdwn", "text": "storm-00003"}}]',
    }
    assert faults.message_text(body) == "ALERT 3 WARN x\nstorm-00003"


def test_opsbot_bench_knows_faults() -> None:
    assert select(["faults"]) == ["faults"]


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server (apt-get install redis-server)")
def test_a_small_storm_with_a_serve_kill_reports_every_card_it_received() -> None:
    report = faults.storm(200, ("serve",))
    shown = {figure.name: figure.value for figure in report.figures()}
    assert shown["faults: alerts sent (2 critical)"] == 200
    assert report.lost == [] and shown["faults: lost (no card by the end of the run)"] == 0, report.notes
    assert shown["faults: duplicated (more than one card)"] == len(report.duplicated)
    assert report.unpaged == [], report.notes
    phases = [report.latencies(when) for when in ("before", "during", "after")]
    assert sum(len(seconds) for seconds in phases) == 200  # every alert has a time to its card, in one phase
    assert all(s > 0 for seconds in phases for s in seconds)
    assert phases[1], "the serve kill must fall in the middle of the storm"
