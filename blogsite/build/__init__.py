"""The build engine: scan -> load -> key -> decide -> write -> save (see pipeline.py and
docs/performance.md).

The names below are loaded on first use, so that the modules the engine's parts import
(blogsite.post, blogsite.render) may import blogsite.build.keys without a cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blogsite.build.pipeline import (
        Builder,
        BuildResult,
        Session,
        build_site,
        plan,
        syndication_lookup,
    )

__all__ = ["BuildResult", "Builder", "Session", "build_site", "plan", "syndication_lookup"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from blogsite.build import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'blogsite.build' has no attribute {name!r}")
