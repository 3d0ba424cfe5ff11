"""Incremental, cached and parallel builds are byte for byte a cold serial build.

A small site goes through random sequences of edits (post bodies, titles, dates, tags, slugs,
draft flags; posts added, deleted, renamed; templates, static files, site.toml, the clock,
the blogsite version, broken posts). After each edit the site is built the way a user builds
it (cache, incremental writes, sometimes worker processes) and compared, file by file and
byte by byte, with a build from scratch with the cache disabled. The in-memory rebuild of
`blogsite serve` is compared too.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import blogsite
from blogsite import feeds, render
from blogsite.build import Session, build_site, plan
from blogsite.build import store as cache_module
from blogsite.build.options import BuildOptions, Thresholds
from blogsite.config import load_config
from blogsite.errors import BlogsiteError

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)

SITE_TOML = """\
[site]
title = "Carnet"
url = "https://example.org/blog/"
language = "fr"
timezone = "Europe/Paris"
author = "Zoé"
description = "Un carnet : des notes, des idées !"
permalink = "{permalink}"
paginate = {paginate}
feed_items = {feed_items}

[build]
output = "public"
"""

BODIES = [
    "Un paragraphe : avec « guillemets » et des points… Non ?",
    "## Un titre\n\nDu texte avec un [lien](/2024/01/autre/) et `du code : ici`.",
    "Premier.\n\n<!-- more -->\n\nLa suite, après la coupure ; fin !",
    "- un\n- deux\n\n> Une citation -- courte.\n\nUne note[^1].\n\n[^1]: La note.",
    "Paragraphe d'ouverture, l'air de rien.\n\nDeuxième paragraphe, plus long, qui parle.",
    # Links resolved once the site is known: another post's file, and a relative link (in
    # the summary, so listings show it made root-relative).
    "Voir [l'autre](p1.md#fin) et [plus loin](../../02/x/).\n\nLa suite.",
]
TITLES = ["Bonjour", "Une idée : la suite", "L'été \"chaud\"", "Éloge du vélo", "Notes !"]
TAGS = ["vélo", "Python", "python", "musique", "cinéma"]


def post_text(title, date, body, tags=(), slug=None, draft=False, summary=None) -> str:
    lines = ["---", f"title: {json.dumps(title, ensure_ascii=False)}"]
    if date is not None:
        lines.append(f"date: {date}")
    if tags:
        lines.append("tags: [" + ", ".join(tags) + "]")
    if slug:
        lines.append(f"slug: {slug}")
    if draft:
        lines.append("draft: true")
    if summary:
        lines.append(f'summary: "{summary}"')
    lines.append("---")
    return "\n".join(lines) + "\n\n" + body + "\n"


def make_fixture(root: Path) -> None:
    (root / "posts").mkdir(parents=True)
    (root / "pages").mkdir()
    (root / "static").mkdir()
    (root / "site.toml").write_text(
        SITE_TOML.format(permalink="/{year}/{month}/{slug}/", paginate=2, feed_items=3)
    )
    for i in range(5):
        (root / "posts" / f"p{i}.md").write_text(
            post_text(TITLES[i], f"2024-0{i + 1}-1{i}", BODIES[i], TAGS[i : i + 2])
        )
    (root / "pages" / "a-propos.md").write_text(
        '---\ntitle: "À propos"\n---\n\nQui suis-je ? Personne.\n'
    )
    (root / "static" / "robots-extra.txt").write_text("hello\n")
    _picture(root / "static" / "images" / "c0.png", 40, 30)
    _replace_line(root / "posts" / "p0.md", "image", "/images/c0.png")


def _picture(path: Path, width: int, height: int) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height)).save(path)


def tree(folder: Path) -> dict[str, bytes]:
    out = {}
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(dirpath) / name
            out[path.relative_to(folder).as_posix()] = path.read_bytes()
    return out


def folders(folder: Path) -> set[str]:
    return {
        Path(d).relative_to(folder).as_posix() for d, _dirs, _files in os.walk(folder)
    }


# ----- edits


def _posts(root: Path) -> list[Path]:
    return sorted((root / "posts").glob("*.md"))


def _pick(root: Path, n: int) -> Path | None:
    posts = _posts(root)
    return posts[n % len(posts)] if posts else None


def _replace_line(path: Path, key: str, value: str | None) -> None:
    head, sep, body = path.read_text().partition("\n---\n")
    lines = [ln for ln in head.splitlines() if not ln.startswith(f"{key}:")]
    if value is not None:
        lines.insert(2 if len(lines) > 1 else 1, f"{key}: {value}")
    path.write_text("\n".join(lines) + sep + body)


def edit(root: Path, op: tuple, state: dict) -> None:
    kind, n, m = op
    if kind == "wipe":
        # The output folder deleted (or a fresh clone without it): every page is written
        # again, the cache still in use. With another edit too.
        if (root / "public").exists():
            shutil.rmtree(root / "public")
        kind = KINDS[m % len(KINDS)]
        if kind == "wipe":
            return
    path = _pick(root, n)
    if kind == "body" and path:
        text = path.read_text()
        if m % 2:
            path.write_text(text + "\n" + BODIES[m % len(BODIES)] + "\n")
        else:
            head, sep, _ = text.partition("\n---\n")
            path.write_text(head + sep + "\n" + BODIES[m % len(BODIES)] + "\n")
    elif kind == "title" and path:
        _replace_line(path, "title", json.dumps(f"{TITLES[m % len(TITLES)]} {m}", ensure_ascii=False))
    elif kind == "date" and path:
        dates = ["2023-12-31", "2024-02-29T23:30:00+01:00", "2024-06-01T13:00:00", "2025-01-01",
                 "2024-03-15 08:00"]
        _replace_line(path, "date", dates[m % len(dates)])
    elif kind == "tags" and path:
        tags = TAGS[m % len(TAGS) : m % len(TAGS) + m % 3]
        _replace_line(path, "tags", "[" + ", ".join(tags) + "]" if tags else None)
    elif kind == "slug" and path:
        _replace_line(path, "slug", f"slug-{m % 3}" if m % 4 else None)
    elif kind == "draft" and path:
        _replace_line(path, "draft", "true" if m % 2 else None)
    elif kind == "summary" and path:
        _replace_line(path, "summary", f'"Résumé : {m}"' if m % 2 else None)
    elif kind == "add":
        name = f"new-{state['added']}.md"
        state["added"] += 1
        (root / "posts" / name).write_text(
            post_text(f"Nouveau {m}", f"2024-05-{(m % 28) + 1:02d}", BODIES[m % len(BODIES)],
                      TAGS[m % 4 : m % 4 + 1])
        )
    elif kind == "delete" and path and len(_posts(root)) > 1:
        path.unlink()
    elif kind == "rename" and path:
        path.rename(path.with_name(f"renamed-{state['added']}.md"))
        state["added"] += 1
    elif kind == "template":
        theme = root / "theme"
        theme.mkdir(exist_ok=True)
        name = ["post.html", "macros.html", "base.html"][m % 3]
        target = theme / name
        if target.exists() and m % 2:
            target.unlink()
        else:
            from blogsite.theme import builtin_theme_dir

            source = (builtin_theme_dir() / name).read_text()
            if name == "macros.html":
                # A theme that shows whole bodies and summaries in listings (home, tags,
                # archives): their keys must include them.
                source = source.replace(
                    "{% endmacro %}\n\n{% macro post_list",
                    "<div class='full'>{{ post.html|safe }}</div>{% endmacro %}\n\n"
                    "{% macro post_list",
                    1,
                ).replace(
                    "{{ status(post) }}</li>",
                    "{{ status(post) }} {{ post.teaser }} {{ post.toc|safe }}</li>",
                )
            target.write_text(source.replace("</body>", f"<!-- edit {m} --></body>"))
    elif kind == "static":
        target = [root / "static" / "robots-extra.txt", root / "theme" / "static" / "style.css"]
        target = target[m % 2]
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() and m % 3 == 0:
            target.unlink()
        else:
            target.write_text(f"/* {m} */\n")
    elif kind == "cover" and path:
        # A cover's size is read from its file: pages showing it depend on the picture.
        covers = ["/images/c0.png", "/images/c1.png", "https://example.com/c.jpg", "/images/no.png"]
        _replace_line(path, "image", covers[m % 4] if m % 5 else None)
    elif kind == "picture":
        target = root / "static" / "images" / f"c{m % 2}.png"
        if target.exists() and m % 3 == 0:
            target.unlink()
        else:
            _picture(target, 10 + m, 5 + n)
    elif kind == "config":
        permalinks = ["/{year}/{month}/{slug}/", "/{slug}/", "/{year}/{slug}.html"]
        (root / "site.toml").write_text(
            SITE_TOML.format(permalink=permalinks[m % 3], paginate=1 + m % 3, feed_items=2 + m % 2)
        )
    elif kind == "clock":
        state["now"] = state["now"] + timedelta(days=[1, 40, 300][m % 3])
    elif kind == "version":
        state["version"] += 1
    elif kind == "broken" and path:
        path.write_text("---\ntitle: [unclosed\n---\nOups\n")
    elif kind == "comment" and path:
        edit_comments(root / "comments" / path.stem, n, m, state)
    elif kind == "page":
        page = root / "pages" / "a-propos.md"
        if page.exists() and m % 2:
            page.unlink()
        else:
            page.write_text(f'---\ntitle: "À propos {m}"\n---\n\nVersion {m} : oui !\n')


def edit_comments(folder: Path, n: int, m: int, state: dict) -> None:
    """A comment added (sometimes a reply), edited, unapproved, deleted or broken; or the
    post's reactions changed."""
    files = sorted(folder.glob("*.md")) if folder.is_dir() else []
    folder.mkdir(parents=True, exist_ok=True)
    choice = m % 6
    if choice == 0 and files:
        files[n % len(files)].unlink()
    elif choice == 1 and files:
        target = files[n % len(files)]
        target.write_text(target.read_text().replace("approved: true", "approved: false")
                          + f"\nÉdité {m} : <script>alert(1)</script><b>oui</b>\n")
    elif choice == 2:
        likes = ", ".join(f'{{name: "Fan {i}", url: "https://m.example/@f{i}"}}' for i in range(m % 3))
        (folder / "reactions.yaml").write_text(f"mastodon:\n  likes: [{likes}]\n  reposts: []\n")
    elif choice == 3:
        (folder / "broken.md").write_text("---\nid: broken\nauthor: X\ndate: hier\n---\nOups\n")
    else:
        ident = f"k{state['added']}"
        state["added"] += 1
        parent = f'parent: "{files[0].stem}"\n' if files and m % 2 else ""
        (folder / f"{ident}.md").write_text(
            f'---\nid: "{ident}"\nauthor: "Zoé {m}"\ndate: 2024-05-{(m % 28) + 1:02d}T10:00:00+02:00\n'
            f"{parent}approved: true\n---\nMerci : « {BODIES[m % len(BODIES)][:20]} » !\n"
        )


KINDS = ["body", "title", "date", "tags", "slug", "draft", "summary", "add", "delete", "rename",
         "template", "static", "config", "clock", "version", "broken", "page", "wipe", "comment",
         "comment", "cover", "picture"]
OPS = st.tuples(
    st.sampled_from(KINDS),
    st.integers(0, 11),
    st.integers(0, 23),
)


class Version:
    """Pretend to be another blogsite version: other output, and a foreign cache."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.mp = monkeypatch
        self.code = cache_module.code_fingerprint()

    def set(self, n: int) -> None:
        version = f"{blogsite.__version__}+{n}" if n else blogsite.__version__
        for module in (render, feeds):
            self.mp.setattr(module, "__version__", version)
        self.mp.setattr(cache_module, "_CODE", f"{self.code}-{n}" if n else self.code)


def reference(root: Path, out: Path, now: datetime) -> dict[str, bytes] | list:
    if out.exists():
        shutil.rmtree(out)
    try:
        build_site(load_config(root), output=out, now=now, options=BuildOptions(cache=False))
    except BlogsiteError as exc:
        return exc.problems
    return tree(out)


def check_sequence(
    root: Path, ops: list[tuple], version: Version, with_serve: bool,
    options: BuildOptions | None = None,
) -> None:
    state = {"added": 0, "now": NOW, "version": 0}
    session = Session()
    for step, op in enumerate([("none", 0, 0), *ops]):
        edit(root, op, state)
        version.set(state["version"])
        expected = reference(root, root.parent / "reference", state["now"])
        public = root / "public"
        before = tree(public) if public.exists() else None
        try:
            result = build_site(load_config(root), now=state["now"], options=options)
        except BlogsiteError as exc:
            assert isinstance(expected, list), f"step {step} {op}: failed: {exc}"
            assert exc.problems == expected
            # The previous site is left exactly as it was.
            assert (tree(public) if public.exists() else None) == before
            continue
        assert not isinstance(expected, list), f"step {step} {op}: should fail: {expected}"
        got = tree(public)
        assert sorted(got) == sorted(expected), f"step {step} {op}: files differ"
        for rel in expected:
            assert got[rel] == expected[rel], f"step {step} {op}: {rel} differs"
        assert folders(public) == folders(root.parent / "reference"), f"step {step} {op}"
        assert sorted(result.files) == sorted(expected)
        if with_serve:
            _site, files = plan(
                load_config(root), now=state["now"], session=session, options=options
            )
            for rel, content in files.items():
                data = content.read_bytes() if isinstance(content, Path) else content
                assert data == expected[rel], f"step {step} {op}: serve's {rel} differs"
            assert sorted(files) == sorted(expected)


# Thresholds that send the small site down every path: workers for everything, or none;
# every write staged, or in place (but for first builds), or as a real site would.
WORKERS = {True: dict(parse_workers=1, render_workers=1), False: {}}
STAGING = {
    "always": dict(in_place_max=0, in_place_share=1 << 30),
    "never": dict(in_place_max=1 << 30),
    "by size": {},
}
# PROPERTY_EXAMPLES=400 for a thorough run (with --hypothesis-seed=N to repeat one).
EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "25"))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    ops=st.lists(OPS, min_size=1, max_size=7), parallel_too=st.booleans(), rich=st.booleans(),
    staging=st.sampled_from(sorted(STAGING)),
)
def test_incremental_builds_equal_cold_builds(
    tmp_path_factory, monkeypatch, ops, parallel_too, rich, staging
):
    root = tmp_path_factory.mktemp("site") / "site"
    make_fixture(root)
    if rich:  # start with a theme that shows bodies, summaries and contents everywhere
        edit(root, ("template", 0, 4), {"added": 0})
    options = BuildOptions(
        jobs=2 if parallel_too else 1,
        thresholds=Thresholds(**WORKERS[parallel_too], **STAGING[staging]),
    )
    with monkeypatch.context() as mp:
        check_sequence(root, ops, Version(mp), with_serve=not parallel_too, options=options)


def test_unchanged_site_is_not_rebuilt(tmp_path):
    root = tmp_path / "site"
    make_fixture(root)
    config = load_config(root)
    first = build_site(config, now=NOW)
    assert first.rendered > 0
    again = build_site(load_config(root), now=NOW)
    assert again.rendered == 0 and again.changed == 0
    assert [p.url for p in again.site.posts] == [p.url for p in first.site.posts]
    # One body edited: its page is rendered again, not the whole site.
    path = _posts(root)[0]
    path.write_text(path.read_text() + "\nUne ligne de plus.\n")
    edited = build_site(load_config(root), now=NOW)
    assert 0 < edited.rendered < first.rendered // 2
    assert edited.changed >= 1


def test_an_unchanged_build_does_not_load_the_parsers(tmp_path):
    """Nothing to parse, nothing to import: Python-Markdown, PyYAML and the slug library
    are a sixth of an unchanged build's time at 1,000 posts."""
    import subprocess
    import sys

    root = tmp_path / "site"
    make_fixture(root)
    probe = (
        "import sys; from blogsite.cli import main; code = main(['build']); "
        "print(code, sorted(m for m in ('markdown', 'yaml', 'slugify') if m in sys.modules))"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True
        ).stdout.splitlines()[-1]
        for _ in range(2)
    ]
    assert runs == ["0 ['markdown', 'slugify', 'yaml']", "0 []"]


def test_foreign_files_in_the_output_are_kept(tmp_path):
    root = tmp_path / "site"
    make_fixture(root)
    build_site(load_config(root), now=NOW)
    (root / "public" / "CNAME").write_text("example.org\n")
    path = _posts(root)[0]
    path.write_text(path.read_text() + "\nEncore.\n")
    build_site(load_config(root), now=NOW)
    assert (root / "public" / "CNAME").read_text() == "example.org\n"
    # A template edit re-renders everything (staged and swapped): still kept.
    (root / "theme").mkdir()
    from blogsite.theme import builtin_theme_dir

    base = (builtin_theme_dir() / "base.html").read_text()
    (root / "theme" / "base.html").write_text(base.replace("<body>", "<body class='x'>"))
    build_site(load_config(root), now=NOW)
    assert (root / "public" / "CNAME").read_text() == "example.org\n"


def test_a_changed_output_file_is_written_again(tmp_path):
    root = tmp_path / "site"
    make_fixture(root)
    build_site(load_config(root), now=NOW)
    index = root / "public" / "index.html"
    good = index.read_bytes()
    index.write_bytes(b"vandalised")
    (root / "public" / "404.html").unlink()
    build_site(load_config(root), now=NOW)
    assert index.read_bytes() == good
    assert (root / "public" / "404.html").is_file()


def _copy_site(root: Path, dest: Path) -> None:
    """A fresh clone (CI): sources, with the cache and the output folder restored, every
    time stamp new (a restore need not keep them)."""
    shutil.copytree(root, dest)
    for dirpath, _dirs, files in os.walk(dest):
        for name in files:
            os.utime(Path(dirpath) / name)


def test_fresh_clone_with_restored_cache_renders_only_what_changed(tmp_path):
    root = tmp_path / "site"
    make_fixture(root)
    for i in range(5, 30):
        (root / "posts" / f"x{i}.md").write_text(
            post_text(f"Article {i}", f"2023-{i % 12 + 1:02d}-0{i % 9 + 1}", BODIES[i % 5])
        )
    first = build_site(load_config(root), now=NOW)
    clone = tmp_path / "clone" / "site"
    _copy_site(root, clone)
    (clone / "posts" / "new.md").write_text(post_text("Tout neuf", "2024-05-30", BODIES[0]))
    result = build_site(load_config(clone), now=NOW)
    assert 0 < result.rendered < first.rendered // 2
    assert tree(clone / "public") == reference(clone, tmp_path / "ref", NOW)
    # An output folder deleted by hand is written again in full.
    shutil.rmtree(clone / "public")
    build_site(load_config(clone), now=NOW)
    assert tree(clone / "public") == reference(clone, tmp_path / "ref", NOW)


def test_a_file_changed_behind_the_stat_cache_is_seen(tmp_path):
    root = tmp_path / "site"
    make_fixture(root)
    path = _posts(root)[0]
    old = path.stat()
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns - 10**10))  # long ago: trusted
    build_site(load_config(root), now=NOW)
    stamp = path.stat()
    text = path.read_text()
    path.write_text(text.replace("Bonjour", "Bonsoir"))  # same size
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # same mtime; ctime moves
    build_site(load_config(root), now=NOW)
    assert tree(root / "public") == reference(root, tmp_path / "ref", NOW)


def test_the_site_of_an_unchanged_build_is_whole(tmp_path):
    """publish reads posts (bodies too) from the site a no-change build returns."""
    root = tmp_path / "site"
    make_fixture(root)
    (root / "posts" / "odd.md").write_text("---\ntitle: Odd\ndate: 2024-02-02\ncolour: red\n---\nHi\n")
    first = build_site(load_config(root), now=NOW)
    again = build_site(load_config(root), now=NOW)
    assert again.rendered == 0
    # The unknown key; BODIES' link outside the site's /blog/; `python` spelt `Python` too.
    assert len(first.warnings) == 3
    assert len(again.site.posts) == len(first.site.posts)
    for old, new in zip(first.site.all_posts, again.site.all_posts, strict=True):
        assert (new.url, new.title, new.html, new.teaser, new.body, new.toc) == (
            old.url, old.title, old.html, old.teaser, old.body, old.toc
        )
    assert [t.slug for t in again.site.tags] == [t.slug for t in first.site.tags]
    assert again.warnings == first.warnings


def test_check_plans_from_the_cache(tmp_path):
    root = tmp_path / "site"
    make_fixture(root)
    build_site(load_config(root), now=NOW)
    _site, files = plan(load_config(root), now=NOW)
    expected = reference(root, tmp_path / "ref", NOW)
    assert {k: (v.read_bytes() if isinstance(v, Path) else v) for k, v in files.items()} == expected


def test_a_global_the_theme_never_shows_does_not_re_render_pages(tmp_path):
    """The newest post's year (the footer's) moves with a post in a new year: a theme
    that never shows it keeps its post pages; the default theme, which does, renders all."""
    from blogsite.theme import builtin_theme_dir

    root = tmp_path / "site"
    (root / "posts").mkdir(parents=True)
    (root / "site.toml").write_text(
        SITE_TOML.format(permalink="/{year}/{month}/{slug}/", paginate=50, feed_items=3)
    )
    for i in range(30):
        (root / "posts" / f"x{i}.md").write_text(
            post_text(f"Article {i}", f"2023-{i % 12 + 1:02d}-{i % 28 + 1:02d}", BODIES[i % 5])
        )
    base = (builtin_theme_dir() / "base.html").read_text()
    footer = "{% if now_year > 1970 %}© {{ now_year }} {% endif %}"
    assert footer in base
    (root / "theme").mkdir()
    (root / "theme" / "base.html").write_text(base.replace(footer, ""))
    first = build_site(load_config(root), now=NOW)
    (root / "posts" / "new.md").write_text(post_text("Tout neuf", "2024-05-30", BODIES[0]))
    result = build_site(load_config(root), now=NOW)
    assert 0 < result.rendered < first.rendered // 2
    assert tree(root / "public") == reference(root, tmp_path / "ref", NOW)

    (root / "theme" / "base.html").unlink()  # the default theme shows the year
    build_site(load_config(root), now=NOW)
    (root / "posts" / "newer.md").write_text(post_text("Plus neuf", "2024-05-31", BODIES[1]))
    build_site(load_config(root), now=NOW)
    (root / "posts" / "x0.md").unlink()
    (root / "posts" / "new.md").unlink()
    (root / "posts" / "newer.md").unlink()
    back = build_site(load_config(root), now=NOW)  # back in 2023: every page's footer moves
    assert back.rendered >= 29
    assert b"\xc2\xa9 2023" in (root / "public" / "2023" / "02" / "article-1" / "index.html").read_bytes()
    assert tree(root / "public") == reference(root, tmp_path / "ref2", NOW)


def test_a_clone_in_another_folder_renders_nothing_again(tmp_path):
    """CI checks a site out in a folder of its own: page and feed keys never hold paths."""
    root = tmp_path / "site"
    make_fixture(root)
    build_site(load_config(root), now=NOW)
    clone = tmp_path / "elsewhere" / "blog"
    _copy_site(root, clone)
    result = build_site(load_config(clone), now=NOW)
    assert result.rendered <= 2, "only sitemap.xml and robots.txt are always rendered"
    assert tree(clone / "public") == reference(clone, tmp_path / "ref", NOW)


def test_a_clone_elsewhere_keys_a_new_post_as_the_checkout_does(tmp_path):
    """The site's structure names posts from the site's folder: a CI checkout in a folder
    of its own keys its pages as the author's checkout does, and renders only the pages a
    new post changes."""
    root = tmp_path / "site"
    make_fixture(root)
    for i in range(5, 30):
        (root / "posts" / f"x{i}.md").write_text(
            post_text(f"Article {i}", f"2023-{i % 12 + 1:02d}-0{i % 9 + 1}", BODIES[i % 5])
        )
    build_site(load_config(root), now=NOW)
    clone = tmp_path / "elsewhere" / "blog"
    _copy_site(root, clone)
    new = post_text("Tout neuf", "2024-05-30", BODIES[0])
    (root / "posts" / "new.md").write_text(new)
    (clone / "posts" / "new.md").write_text(new)
    here = build_site(load_config(root), now=NOW)
    there = build_site(load_config(clone), now=NOW)
    # The new post's page and its neighbour's, the listings: not the other 24 post pages.
    assert 0 < there.keyed == here.keyed
    assert there.rendered == here.rendered <= len(there.files) - 24, (there.rendered, here.rendered)
    assert tree(clone / "public") == reference(clone, tmp_path / "ref", NOW)


def test_a_theme_showing_file_paths_renders_a_clone_elsewhere_again(tmp_path):
    """Unless a template shows `post.source`: then the folder is in the keys and the
    structure, and a clone elsewhere shows its own paths."""
    root = tmp_path / "site"
    make_fixture(root)
    (root / "theme").mkdir(exist_ok=True)
    (root / "theme" / "post.html").write_text(
        "{% extends 'base.html' %}{% block content %}<h1>{{ post.title }}</h1>"
        "<p>{{ post.source }}</p>{% endblock %}"
    )
    build_site(load_config(root), now=NOW)
    clone = tmp_path / "elsewhere" / "blog"
    _copy_site(root, clone)
    build_site(load_config(clone), now=NOW)
    got = tree(clone / "public")
    assert got == reference(clone, tmp_path / "ref", NOW)
    assert any(str(clone).encode() in data for data in got.values())


def test_serve_keys_again_only_the_pages_showing_an_edited_post(tmp_path, monkeypatch):
    root = tmp_path / "site"
    make_fixture(root)
    # Every output the same as a cold build after each save, serve's included.
    check_sequence(
        root, [("body", 1, 1), ("body", 2, 3), ("title", 2, 3), ("body", 2, 4), ("add", 0, 0),
               ("body", 0, 5), ("tags", 3, 1), ("body", 3, 1)],
        Version(monkeypatch), with_serve=True,
    )
    # And a save of one post's body keys only the pages that show it.
    from blogsite.build import reuse

    session = Session()
    plan(load_config(root), now=NOW, session=session)
    keyed = []
    real = reuse.key_of

    def counting(out, graph):
        keyed.append(out.path)
        return real(out, graph)

    monkeypatch.setattr(reuse, "key_of", counting)
    path = root / "posts" / "p1.md"
    path.write_text(path.read_text() + "\nUn paragraphe de plus.\n")
    _site, files = plan(load_config(root), now=NOW, session=session)
    assert keyed and len(keyed) < len(files) // 2
    assert any(b"Un paragraphe de plus." in files[p] for p in keyed if p.endswith(".html"))


def _site_that_fails_on_boom(tmp_path: Path) -> Path:
    """The fixture, with a post template that fails on a post whose body says BOOM."""
    root = tmp_path / "site"
    make_fixture(root)
    (root / "theme").mkdir()
    (root / "theme" / "post.html").write_text(
        '{% extends "base.html" %}{% block content %}'
        '{% if "BOOM" in post.html %}{{ post.no_such_field }}{% endif %}{{ post.html|safe }}'
        "{% endblock %}"
    )
    return root


@pytest.mark.parametrize("workers", [False, True])
def test_a_page_that_fails_leaves_the_folder_as_it_was(tmp_path, workers):
    """Pages replaced in place are rendered into temporary files first (by the workers,
    when there are any): one page failing replaces none and leaves no temporary file."""
    root = _site_that_fails_on_boom(tmp_path)
    build_site(load_config(root), now=NOW)
    before = tree(root / "public")
    folder = os.stat(root / "public").st_ino
    options = BuildOptions(jobs=2, thresholds=Thresholds(render_workers=1 if workers else 1 << 30))
    (root / "posts" / "p1.md").write_text(post_text(TITLES[1], "2024-02-11", "Nouveau texte."))
    (root / "posts" / "p3.md").write_text(post_text(TITLES[3], "2024-04-13", "BOOM"))
    with pytest.raises(BlogsiteError) as failed:
        build_site(load_config(root), now=NOW, options=options)
    assert failed.value.problems[0].file.endswith("theme/post.html")
    assert tree(root / "public") == before
    (root / "posts" / "p3.md").write_text(post_text(TITLES[3], "2024-04-13", "Calme."))
    build_site(load_config(root), now=NOW)
    assert os.stat(root / "public").st_ino == folder  # replaced in place, not staged
    assert tree(root / "public") == reference(root, tmp_path / "ref", NOW)


def test_a_resized_cover_picture_is_shown_at_its_new_size(tmp_path, monkeypatch):
    """Only the picture changes (not the post): the pages showing it still get its new size,
    whether the site's structure is the last build's or a post was added."""
    root = tmp_path / "site"
    make_fixture(root)
    ops = [("picture", 0, 4), ("body", 1, 1), ("picture", 0, 8), ("add", 0, 0), ("picture", 0, 10)]
    check_sequence(root, ops, Version(monkeypatch), with_serve=True)
    assert 'width="20" height="5"' in (root / "public/2024/01/bonjour/index.html").read_text()
