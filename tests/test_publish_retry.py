"""Transient failures during an announcement are ridden through within the run: wait, check on
the network whether the post went through (as a later run would), send again if not; at most
three tries. Real clients against the fakes of tests/fakes, with faults injected."""

# The fixtures come from test_publish.py; tests naming them as parameters "redefine" them.
# ruff: noqa: F811

from __future__ import annotations

import time

import pytest

from blogsite.publish.send import RETRY_DELAYS
from tests.fakes import ConnectionReset, ServerError, StoredButLost, Timeout
from tests.test_publish import (  # noqa: F401 - fixtures
    NEW,
    POST_PATH,
    World,
    fast_build,
    world,
)

pytestmark = pytest.mark.usefixtures("fast_build")

FAST = (0.01, 0.02)
NETWORKS = ("x", "mastodon", "bluesky")
TRANSIENT = [
    pytest.param(ServerError(status=502), id="502"),
    pytest.param(ServerError(status=500), id="500"),
    pytest.param(StoredButLost(), id="stored-but-lost"),
    pytest.param(Timeout(seconds=1), id="timeout"),
    pytest.param(Timeout(seconds=1, process=True), id="slow-but-stored"),
    pytest.param(ConnectionReset(), id="reset"),
]


def _posts(world: World, network: str) -> list[int]:
    return [r.status for r in world.fake(network).requests_for(POST_PATH[network].split()[-1],
                                                               "POST")]


@pytest.mark.parametrize("fault", TRANSIENT)
def test_one_transient_fault_per_network_is_ridden_through(world: World, fault) -> None:
    for network in NETWORKS:
        world.fake(network).inject(fault, times=1, match=POST_PATH[network])
    report = world.publish(retry_delays=FAST)
    assert not report.failed, report.outcomes  # the CLI exits 0
    assert {o.state for o in report.outcomes} == {"sent"}
    assert len(report.outcomes) == 4  # NEW on three networks, ONLY_MASTODON on Mastodon
    if isinstance(fault, Timeout) and fault.process:
        time.sleep(fault.seconds + 0.3)  # let the held first request be acted on
    world.assert_exactly_once()
    assert world.publish(retry_delays=FAST).outcomes == []
    assert any("checking whether it went through" in line for line in world.output)


def test_the_check_before_the_new_try_finds_a_post_stored_without_an_answer(
    world: World,
) -> None:
    world.mastodon.inject(StoredButLost(), times=1, match=POST_PATH["mastodon"])
    report = world.publish(networks=["mastodon"], retry_delays=FAST)
    assert not report.failed
    # One POST per post: the lost one was found on the account, not sent again.
    assert len(_posts(world, "mastodon")) == 2
    assert world.mastodon.requests_for("/statuses", "GET")
    world.assert_exactly_once({"mastodon": {NEW, "seulement-sur-mastodon"}})


def test_a_network_down_for_longer_is_left_for_the_next_run(world: World) -> None:
    world.bluesky.inject(ServerError(status=503), times=None, match=POST_PATH["bluesky"])
    started = time.monotonic()
    report = world.publish(networks=["bluesky"], retry_delays=FAST)
    assert report.failed
    assert world.state(NEW, "bluesky") == "pending"
    assert len(world.bluesky.requests_for("createRecord", "POST")) == 3  # bounded: three tries
    assert time.monotonic() - started < 20
    world.bluesky.clear_faults()
    assert not world.publish(networks=["bluesky"], retry_delays=FAST).failed
    world.assert_exactly_once({"bluesky": {NEW}})


def test_a_transient_failure_at_login_is_tried_again(world: World) -> None:
    world.mastodon.inject(ServerError(status=502), times=1, match="verify_credentials")
    report = world.publish(networks=["mastodon"], retry_delays=FAST)
    assert not report.failed, report.outcomes
    world.assert_exactly_once({"mastodon": {NEW, "seulement-sur-mastodon"}})


def test_default_backoff_is_three_tries_within_about_thirty_seconds() -> None:
    assert len(RETRY_DELAYS) == 2 and sum(RETRY_DELAYS) <= 30
    assert list(RETRY_DELAYS) == sorted(RETRY_DELAYS)
