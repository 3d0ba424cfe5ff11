"""The Jinja environment: the site's `theme/` folder overrides the built-in theme file by file."""

from __future__ import annotations

import hashlib
from functools import cached_property
from pathlib import Path

import jinja2

from blogsite.errors import Problem, display_path

THEME_DIR = "theme"


def builtin_theme_dir() -> Path:
    """The default theme: packaged as blogsite/_theme, or the checkout's theme/ folder."""
    packaged = Path(__file__).parent / "_theme"
    if (packaged / "base.html").is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "theme"


class Theme:
    def __init__(self, site_root: Path):
        self.user_dir = site_root / THEME_DIR
        self.builtin_dir = builtin_theme_dir()
        loader = jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader(str(self.user_dir)),
                jinja2.FileSystemLoader(str(self.builtin_dir)),
            ]
        )
        self.env = jinja2.Environment(
            loader=loader,
            autoescape=jinja2.select_autoescape(("html", "xml")),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )

    def dirs(self) -> list[Path]:
        return [d for d in (self.user_dir, self.builtin_dir) if d.is_dir()]

    def template_files(self) -> dict[str, Path]:
        """Template name -> the file that wins (the user's over the built-in one)."""
        found: dict[str, Path] = {}
        for d in reversed(self.dirs()):
            for p in d.rglob("*.html"):
                rel = p.relative_to(d)
                if rel.parts[0] != "static":
                    found[rel.as_posix()] = p
        return found

    def static_files(self) -> dict[str, Path]:
        """Output path under /static/ -> source file, the user's over the built-in one."""
        found: dict[str, Path] = {}
        for d in reversed(self.dirs()):
            static = d / "static"
            if static.is_dir():
                for p in static.rglob("*"):
                    if p.is_file() and not p.name.startswith("."):
                        found[p.relative_to(static).as_posix()] = p
        return found

    @cached_property
    def fingerprint(self) -> str:
        """A hash of every template and static file, for cache keys and asset URLs."""
        h = hashlib.blake2b(digest_size=16)
        for name, path in sorted(self.template_files().items()):
            h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
        for name, path in sorted(self.static_files().items()):
            h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
        return h.hexdigest()

    def check(self) -> list[Problem]:
        """Compile every template now, so a syntax error is reported with its file and line."""
        problems = []
        for name, path in sorted(self.template_files().items()):
            try:
                self.env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                problems.append(template_problem(exc, path))
        return problems

    def get(self, name: str) -> jinja2.Template:
        return self.env.get_template(name)


def template_problem(exc: jinja2.TemplateError, path: Path | None = None) -> Problem:
    filename = getattr(exc, "filename", None) or (str(path) if path else "theme")
    line = getattr(exc, "lineno", None)
    message = exc.message or str(exc)
    if isinstance(exc, jinja2.TemplateSyntaxError):
        hint = "fix the template syntax: every {% tag %} needs its {% end… %} and {{ }} must close"
        what = "template syntax error"
    elif isinstance(exc, jinja2.UndefinedError):
        hint = "the variable does not exist in this template; see the README's theme section"
        what = "template error"
    else:
        hint = "check the template near that line"
        what = "template error"
    return Problem(display_path(filename), f"{what}: {message}", hint, line)


def render_problem(exc: Exception, template: str, theme: Theme) -> Problem:
    """Locate a runtime template error in the user's or built-in template file."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    dirs = [str(d) for d in theme.dirs()]
    for frame in reversed(frames):
        if any(frame.filename.startswith(d) for d in dirs):
            return Problem(
                display_path(frame.filename),
                f"template error: {exc}",
                "the variable or filter does not exist here; see the README's theme section",
                frame.lineno,
            )
    return Problem(template, f"template error: {exc}", "check the template")
