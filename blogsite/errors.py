"""User-facing problems and the errors that carry them to the CLI.

Every problem names a file (and a line when there is one), says what is wrong and how to fix
it. Loaders collect problems instead of raising on the first one, so a build reports all of
them at once; `cli.py` is the only place that turns them into exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    file: str
    message: str
    hint: str = ""
    line: int | None = None
    warning: bool = False

    def render(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        kind = "warning" if self.warning else "error"
        text = f"{kind}: {where}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def as_error(self) -> Problem:
        return Problem(self.file, self.message, self.hint, self.line, warning=False)


class BlogsiteError(Exception):
    """One or more problems in the user's input, or a remote refusal: exit status 1."""

    exit_code = 1

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem("blogsite", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("\n".join(p.render() for p in self.problems))


class UsageError(BlogsiteError):
    """The command line itself is wrong: exit status 2."""

    exit_code = 2


class Problems:
    """Collects problems while loading, so that every one is reported together."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, file: str | Path, message: str, hint: str = "", line: int | None = None) -> None:
        self.items.append(Problem(display_path(file), message, hint, line))

    def warn(self, file: str | Path, message: str, hint: str = "", line: int | None = None) -> None:
        self.items.append(Problem(display_path(file), message, hint, line, warning=True))

    def extend(self, problems: list[Problem]) -> None:
        self.items.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.warning]

    def raise_if_errors(self, strict: bool = False) -> None:
        if strict and self.warnings:
            raise BlogsiteError([p.as_error() for p in self.items])
        if self.errors:
            raise BlogsiteError(self.items)


def display_path(path: str | Path) -> str:
    """Paths relative to the working directory read better in messages."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(p)


def count(n: int, singular: str, plural: str | None = None) -> str:
    """ "1 post", "2 posts": a number with its noun in the right form (English messages)."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    close = get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if close:
        return f"did you mean `{close[0]}`?"
    return "known keys: " + ", ".join(f"`{c}`" for c in sorted(choices))
