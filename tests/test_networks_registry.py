"""The network registry: networks are declared once, each in its own module of networks/, and
everything else (site.toml, credentials, the record, the "Also on" order) follows."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from blogsite import config
from blogsite.publish import ledger
from blogsite.publish.networks import (
    LABELS,
    NETWORK_ORDER,
    REGISTRY,
    SECRET_VARS,
    SECTIONS,
    Network,
    discover,
    make_network,
)

BLOGSITE = Path(__file__).resolve().parent.parent / "blogsite"

FOURTH = '''
from dataclasses import dataclass

from blogsite.publish.networks.base import Network


@dataclass(frozen=True)
class PixelfedSection:
    instance: str = "https://pixelfed.social"
    template: str = ""


class PixelfedNetwork(Network):
    name = "pixelfed"
    label = "Pixelfed"
    order = 25
    section_class = PixelfedSection
    env_vars = ("BLOGSITE_PIXELFED_TOKEN",)
    ruler = "characters"
'''


def test_the_three_networks_declare_everything_the_rest_reads() -> None:
    assert NETWORK_ORDER == ("x", "mastodon", "bluesky")
    assert LABELS == {"x": "X", "mastodon": "Mastodon", "bluesky": "Bluesky"}
    assert config.NETWORKS == NETWORK_ORDER and config.SOCIAL_SECTIONS == SECTIONS
    assert list(ledger.NETWORK_LABELS) == list(NETWORK_ORDER)
    assert set(SECRET_VARS) == {v for cls in REGISTRY for v in cls.env_vars}
    assert len(SECRET_VARS) == 6
    for cls in REGISTRY:
        net = make_network(cls.name, cls.section_class(handle="a.test")
                           if cls.name == "bluesky" else cls.section_class(), {})
        assert isinstance(net, Network) and net.missing_credentials() == list(cls.env_vars)
        assert cls.ruler and net.account_name()


def test_a_fourth_network_is_one_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "morenets"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "pixelfed.py").write_text(FOURTH)
    (package / "_helpers.py").write_text("raise AssertionError('helpers are not networks')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        found = discover([str(package)], "morenets")
    finally:
        for name in [m for m in sys.modules if m.startswith("morenets")]:
            del sys.modules[name]
    assert [cls.name for cls in found] == ["pixelfed"]
    problems = found[0].section_problems(found[0].section_class(instance="pixelfed.social"))
    assert [p.key for p in problems] == ["instance"]  # a URL key must be a URL, for free


def test_no_module_outside_networks_names_a_network() -> None:
    # Where the list used to be spelled out: config, the record, the texts, publish, the CLI.
    # (backfeed: each network class names its fetcher; replies/flow.py names no network.)
    paths = [*(BLOGSITE / "publish").rglob("*.py"), BLOGSITE / "config.py", BLOGSITE / "post.py",
             BLOGSITE / "cli.py", *(BLOGSITE / "build").glob("*.py"), BLOGSITE / "author.py",
             BLOGSITE / "replies" / "flow.py"]
    for path in paths:
        if "networks" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for name in NETWORK_ORDER:
            assert f'"{name}"' not in text and f"'{name}'" not in text, (path, name)
