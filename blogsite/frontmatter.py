"""Splitting a source file into front matter and body, and parsing the front matter.

YAML between `---` lines is the native format; TOML between `+++` lines is accepted too (the
front matter Hugo and Zola write; their posts still need converting, see the README).
Timestamps are left as strings by the YAML loader so that `post.py` can give an impossible
date a clear message with its line.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Any

import yaml

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc, valid-type]  # C or Python loader, chosen at import
    pass


# Drop the implicit timestamp resolver: we parse dates ourselves, with better messages.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class FrontMatter:
    data: dict[str, Any]
    body: str
    body_line: int  # 1-based line of the body's first line in the file
    key_lines: dict[str, int]
    fmt: str  # "yaml", "toml" or "none"


class FrontMatterError(Exception):
    def __init__(self, message: str, hint: str, line: int | None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.line = line


_FENCES = {"---": "yaml", "+++": "toml"}


def split_front_matter(text: str) -> FrontMatter:
    """Parse `text`; raise FrontMatterError with a line number when it is malformed."""
    if text.startswith("\ufeff"):
        text = text[1:]
    first, _, rest = text.partition("\n")
    fence = first.rstrip()
    if fence not in _FENCES:
        return FrontMatter({}, text, 1, {}, "none")
    fmt = _FENCES[fence]
    m = re.search(rf"^{re.escape(fence)}[ \t]*$", rest, flags=re.M)
    if not m:
        raise FrontMatterError(
            f"front matter opened with `{fence}` on line 1 is never closed",
            f"add a line containing only `{fence}` after the last front-matter key",
            1,
        )
    raw = rest[: m.start()]
    body = rest[m.end() :]
    if body.startswith("\r\n"):
        body = body[2:]
    elif body.startswith("\n"):
        body = body[1:]
    body_line = 2 + raw.count("\n") + 1
    key_lines = {}
    for number, line in enumerate(raw.splitlines(), start=2):
        km = re.match(r"^([A-Za-z_][\w-]*)\s*[:=]", line)
        if km and km.group(1) not in key_lines:
            key_lines[km.group(1)] = number
    if fmt == "yaml":
        data = _parse_yaml(raw)
    else:
        data = _parse_toml(raw)
    return FrontMatter(data, body, body_line, key_lines, fmt)


def _parse_yaml(raw: str) -> dict[str, Any]:
    try:
        data = yaml.load(raw, Loader=_Loader)  # noqa: S506 - a safe loader subclass
    except yaml.YAMLError as exc:
        tab = _tab_line(raw)
        if tab is not None:
            # YAML's own message points at the line before, with a generic hint.
            raise FrontMatterError(
                "invalid YAML front matter: a tab indents this line; YAML does not allow tabs;"
                " use spaces",
                "replace the tab with spaces (two for each level), and set your editor to"
                " indent with spaces",
                tab,
            ) from None
        # The context mark is where the broken construct starts ("[unclosed"), which is
        # where the writer must look; the problem mark is where the parser gave up.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FrontMatterError(
            f"invalid YAML front matter: {problem}",
            "each line should be `key: value`; quote values containing `: ` or starting"
            ' with a special character, like title: "Tweeter: or not?"',
            line,
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontMatterError(
            "front matter must be a set of `key: value` lines",
            "for example:\n  ---\n  title: My post\n  date: 2010-03-08\n  ---",
            2,
        )
    return {str(k): v for k, v in data.items()}


def _tab_line(raw: str) -> int | None:
    """The file's line number of the first front-matter line indented with a tab."""
    for number, line in enumerate(raw.split("\n"), start=2):
        if re.match(r"^ *\t", line):
            return number
    return None


def _parse_toml(raw: str) -> dict[str, Any]:
    try:
        return tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        line = int(m.group(1)) + 1 if m else None
        raise FrontMatterError(
            f"invalid TOML front matter: {re.sub(r' [(]at line.*[)]', '', msg)}",
            'strings need quotes in TOML, like title = "My post"',
            line,
        ) from None
