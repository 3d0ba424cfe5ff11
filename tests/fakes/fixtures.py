"""Pytest fixtures that start the fake network servers.

Use from a test module either with ``pytest_plugins = ["tests.fakes.fixtures"]`` (in a
conftest) or by importing the fixtures explicitly::

    from tests.fakes.fixtures import fake_bluesky, fake_mastodon, fake_x  # noqa: F401

Each fixture yields a started server on 127.0.0.1:<ephemeral port> and stops it after the
test.  Teardown fails the test if the fake itself crashed while handling a request
(``server.errors``), so a bug in a fake is never mistaken for a client bug.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.base import FakeServer
from tests.fakes.bluesky_api import FakeBlueskyServer
from tests.fakes.mastodon_api import FakeMastodonServer
from tests.fakes.x_api import FakeXServer

__all__ = ["fake_bluesky", "fake_mastodon", "fake_x"]


def _run(server: FakeServer) -> Iterator[FakeServer]:
    with server:
        yield server
    if server.errors:
        pytest.fail(f"{type(server).__name__} crashed internally: {server.errors!r}")


@pytest.fixture
def fake_x() -> Iterator[FakeXServer]:
    """A started :class:`FakeXServer` with default credentials (``fake_x.credentials``)."""
    yield from _run(FakeXServer())  # type: ignore[misc]


@pytest.fixture
def fake_mastodon() -> Iterator[FakeMastodonServer]:
    """A started :class:`FakeMastodonServer` (token: ``fake_mastodon.access_token``)."""
    yield from _run(FakeMastodonServer())  # type: ignore[misc]


@pytest.fixture
def fake_bluesky() -> Iterator[FakeBlueskyServer]:
    """A started :class:`FakeBlueskyServer` (``.handle`` / ``.password`` / ``.did``)."""
    yield from _run(FakeBlueskyServer())  # type: ignore[misc]
