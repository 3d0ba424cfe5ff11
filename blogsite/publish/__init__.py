"""`blogsite publish`: build, deploy, verify live, announce each new post exactly once.

The flow is `flow.py`, which reads as its table of contents; around it: `refuse` (what stops a
run before anything goes out), `choose` (which posts are news, on which networks), `live`
(deploy and verify), `send` (exactly once, with retries), `report` (what the run says),
`announce` (the texts), `ledger` (the syndication record), `lock`, and `networks/` (one module
per network, found by the registry).
"""

from __future__ import annotations

from typing import Any

__all__ = ["PublishReport", "publish"]


def __getattr__(name: str) -> Any:
    # Lazy, so that reading site.toml (which asks the network registry, inside this package)
    # does not import the whole publish flow, and the flow can import config.
    if name in __all__:
        from blogsite.publish import flow

        return getattr(flow, name)
    raise AttributeError(name)
