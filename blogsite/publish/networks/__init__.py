"""The registry of social networks: every `Network` subclass defined in a module of this package.

Adding a network is adding one module here (plus its tests): its class declares its name,
label, order, `[social.*]` table, credentials and length rule, and site.toml, the credentials
check, the record and publish all follow. Modules whose name starts with "_" are helpers.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Mapping
from typing import Any

from blogsite.publish.networks.base import (
    Network,
    NetworkError,
    RateLimited,
    Refused,
    SendResult,
    Unavailable,
    scrub,
)


def discover(path: list[str], package: str) -> tuple[type[Network], ...]:
    """The Network subclasses defined in the modules of `package` (at `path`), in order."""
    found: list[type[Network]] = []
    for info in pkgutil.iter_modules(path):
        if info.name.startswith("_") or info.name == "base":
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        found += [
            value for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, Network)
            and value.__module__ == module.__name__
        ]
    return tuple(sorted(found, key=lambda cls: (cls.order, cls.name)))


REGISTRY = discover(__path__, __name__)
# Order of sending and of display ("Also on X · Mastodon · Bluesky").
NETWORK_ORDER = tuple(cls.name for cls in REGISTRY)
LABELS = {cls.name: cls.label for cls in REGISTRY}
SECTIONS: dict[str, type] = {cls.name: cls.section_class for cls in REGISTRY}
SECRET_VARS = tuple(var for cls in REGISTRY for var in cls.env_vars)


def network_class(name: str) -> type[Network]:
    for cls in REGISTRY:
        if cls.name == name:
            return cls
    raise ValueError(f"unknown network {name!r}")


def make_network(name: str, section: Any, env: Mapping[str, str] | None = None) -> Network:
    """The client of network `name` configured by its `[social.<name>]` section."""
    return network_class(name)(section, os.environ if env is None else env)


__all__ = [
    "LABELS",
    "NETWORK_ORDER",
    "REGISTRY",
    "SECRET_VARS",
    "SECTIONS",
    "Network",
    "NetworkError",
    "RateLimited",
    "Refused",
    "SendResult",
    "Unavailable",
    "make_network",
    "network_class",
    "scrub",
]
