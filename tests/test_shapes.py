"""Builds across a change of the site's structure (a post added or removed, a tag renamed,
the template changed): every post page's bytes are a cold build's. And the tags a post
page shows: those the post names, however it spells them."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from blogsite.build import build_site
from blogsite.config import load_config
from blogsite.post import slugify
from blogsite.render import Renderer
from blogsite.site import Tag
from tests.test_incremental import BODIES, NOW, make_fixture, post_text, reference, tree


def _general(tags: list[Tag], names: tuple[str, ...]) -> list[Tag]:
    """The tags a post names: by name, slug or the slug of the name, in the post's order."""
    out: list[Tag] = []
    for name in names:
        for t in tags:
            if name in (t.name, t.slug) or slugify(name) == t.slug:
                if t not in out:
                    out.append(t)
    return out


WORDS = st.sampled_from(["vélo", "velo", "Vélo", "jazz", "Jazz", "a", "b c", "b-c", "c"])


# No deadline: the first example pays slugify's cold start (578 ms on a loaded machine, then
# 0.3 ms), which Hypothesis reported as a flaky failure in two full runs.
@settings(deadline=None)
@given(st.lists(WORDS, max_size=6), st.lists(WORDS, max_size=4).map(tuple))
def test_a_post_shows_the_tags_it_names_by_name_slug_or_spelling(spellings, names):
    # As a site makes them: one tag per slug, named as its first post spells it.
    first: dict[str, str] = {}
    for name in spellings:
        first.setdefault(slugify(name), name)
    tags = [Tag(name, slug, ()) for slug, name in first.items()]
    fake = SimpleNamespace(site=SimpleNamespace(tags=tags), _tag_index=None)
    assert Renderer._find_tags(fake, names) == _general(tags, names)


def _site(tmp_path):
    root = tmp_path / "site"
    make_fixture(root)
    for i in range(5, 30):
        (root / "posts" / f"x{i}.md").write_text(
            post_text(f"Article {i}", f"2023-{i % 12 + 1:02d}-{i % 27 + 1:02d}", BODIES[i % 5],
                      ["vélo"] if i % 3 else ["jazz", "vélo"])
        )
    build_site(load_config(root), now=NOW)
    return root


def test_a_shape_that_changes_in_any_part_is_keyed_again(tmp_path):
    """Whatever changes of a post page's inputs, its bytes are those of a cold build."""
    root = _site(tmp_path)
    config = load_config(root)
    steps = [
        # A post added: every shape is compared, the neighbours' change.
        lambda: (root / "posts" / "neuf.md").write_text(post_text("Neuf", "2023-06-15",
                                                                  BODIES[1], ["jazz"])),
        # A neighbour's title (the next/previous links show it), with a post removed.
        lambda: ((root / "posts" / "x7.md").write_text(post_text("Autre titre", "2023-08-08",
                                                                 BODIES[2], ["vélo"])),
                 (root / "posts" / "x9.md").unlink()),
        # A tag renamed on one post, another post added.
        lambda: ((root / "posts" / "x10.md").write_text(post_text("Article 10", "2023-11-11",
                                                                  BODIES[0], ["piano"])),
                 (root / "posts" / "deux.md").write_text(post_text("Deux", "2023-01-02",
                                                                   BODIES[3]))),
        # A newer post spelling a tag another way: the tag's name on every page of it.
        lambda: (root / "posts" / "cinq.md").write_text(post_text("Cinq", "2024-05-31",
                                                                  BODIES[3], ["Vélo"])),
        # The template, with a post added.
        lambda: ((root / "theme").mkdir(exist_ok=True),
                 (root / "theme" / "post.html").write_text(
                     "{% extends 'base.html' %}{% block content %}<h1>{{ post.title }}</h1>"
                     "{{ newer.title if newer }}|{{ older.title if older }}{% endblock %}"),
                 (root / "posts" / "trois.md").write_text(post_text("Trois", "2023-03-03",
                                                                    BODIES[4]))),
        # A post's body only, with one added: the new shape of the body's page.
        lambda: ((root / "posts" / "x11.md").write_text(post_text("Article 11", "2023-12-12",
                                                                  BODIES[4] + "\n\nPlus.",
                                                                  ["vélo"])),
                 (root / "posts" / "quatre.md").write_text(post_text("Quatre", "2023-04-04",
                                                                     BODIES[0]))),
    ]
    for n, step in enumerate(steps):
        step()
        build_site(config, now=NOW)
        assert tree(root / "public") == reference(root, tmp_path / f"ref{n}", NOW), n
