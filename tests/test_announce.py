"""Announcement texts: each network's ruler, cutting rules, facets, determinism."""

from __future__ import annotations

import string
from pathlib import Path
from types import SimpleNamespace

import grapheme
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blogsite.config import Config, SiteSection
from blogsite.publish.announce import (
    DEFAULT_TEMPLATE,
    ELLIPSIS,
    TEMPLATE_FIELDS,
    TooLong,
    announcement,
    card_description,
    compose,
    hashtag,
    hashtags,
    local_image,
)
from blogsite.publish.networks.bluesky import BLUESKY_LIMIT, bluesky_facets, bluesky_length
from blogsite.publish.networks.mastodon import MastodonSection, mastodon_length
from blogsite.publish.networks.x import X_LIMIT, XSection, x_length

URL = "https://blog.example.org/2010/03/influence-reputation-et-nombre-de-followers-le-succes/"
LONG_TEASER = (
    "Le nombre de followers ne dit presque rien de l'influence réelle d'un compte, et la "
    "réputation se construit lentement, conversation après conversation, bien loin des "
    "tableaux de bord qui promettent de la mesurer en temps réel avec des chiffres précis "
    "mais trompeurs, que personne ne vérifie jamais vraiment au bout du compte."
)
RULERS = [
    pytest.param(x_length, X_LIMIT, id="x"),
    pytest.param(mastodon_length, 500, id="mastodon"),
    pytest.param(bluesky_length, BLUESKY_LIMIT, id="bluesky"),
]


def test_template_fields_are_the_documented_ones() -> None:
    assert TEMPLATE_FIELDS == ("title", "teaser", "url", "tags", "hashtags")


# -- rulers ------------------------------------------------------------------------------------


def test_x_counts_urls_as_23_and_wide_characters_as_2() -> None:
    assert x_length("a" * 10) == 10
    assert x_length(URL) == 23
    assert x_length("日本") == 4
    assert x_length("😀") == 2
    assert x_length("👨‍👩‍👧") == 2  # one emoji sequence
    assert x_length(ELLIPSIS) == 2
    assert x_length("é") == 1


def test_mastodon_counts_graphemes_urls_and_local_part_of_mentions() -> None:
    assert mastodon_length(URL) == 23
    assert mastodon_length(URL + ".") == 24  # the dot is not part of the link
    assert mastodon_length("日本😀") == 3
    assert mastodon_length("e\u0301") == 1
    assert mastodon_length("@bob@example.social hi") == len("@bob hi")
    assert mastodon_length(URL, url_length=30) == 30


def test_bluesky_counts_graphemes() -> None:
    assert bluesky_length("👨‍👩‍👧") == 1
    assert bluesky_length("e\u0301") == 1
    assert bluesky_length(URL) == len(URL)  # no URL shortening on Bluesky


# -- composing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("measure", "limit"), RULERS)
def test_long_teaser_is_cut_at_a_word_boundary_and_url_kept(measure, limit) -> None:
    c = compose(
        DEFAULT_TEMPLATE,
        title="Influence, réputation et nombre de followers",
        teaser=LONG_TEASER * 2,
        url=URL,
        tags=["twitter"],
        measure=measure,
        limit=limit,
    )
    assert URL in c.text
    assert c.length == measure(c.text) <= limit
    assert c.text.startswith("Influence, réputation et nombre de followers\n\n")
    assert c.teaser.endswith(ELLIPSIS)
    kept = c.teaser[: -len(ELLIPSIS)]
    assert (LONG_TEASER * 2).startswith(kept)
    # Cut before a space: the next character of the original is a space.
    assert (LONG_TEASER * 2)[len(kept)] in " ,.;:"
    assert not kept.endswith((",", " "))


def test_everything_fits_when_short_and_hashtags_come_last() -> None:
    c = compose(
        DEFAULT_TEMPLATE,
        title="Hello",
        teaser="A short teaser.",
        url=URL,
        tags=["python", "logiciel libre"],
        measure=x_length,
        limit=X_LIMIT,
    )
    assert c.text == f"Hello\n\nA short teaser.\n\n{URL}\n\n#python #LogicielLibre"


def test_hashtags_go_before_the_teaser_is_cut() -> None:
    teaser = "word " * 40
    full = compose(DEFAULT_TEMPLATE, title="T", teaser=teaser, url=URL, tags=["a", "b"],
                   measure=x_length, limit=1000)
    assert "#a #b" in full.text
    tight = compose(DEFAULT_TEMPLATE, title="T", teaser=teaser, url=URL, tags=["a", "b"],
                    measure=x_length, limit=x_length(full.text) - 1)
    assert "#a" in tight.text and "#b" not in tight.text
    assert ELLIPSIS not in tight.text


def test_title_is_shortened_only_after_the_teaser_is_gone() -> None:
    title = "A very long title " * 20
    c = compose(DEFAULT_TEMPLATE, title=title, teaser="teaser words here", url=URL, tags=[],
                measure=x_length, limit=X_LIMIT)
    assert "teaser" not in c.text
    assert c.title.endswith(ELLIPSIS)
    assert c.text.endswith(URL)
    assert x_length(c.text) <= X_LIMIT


def test_cjk_teaser_is_cut_between_characters() -> None:
    teaser = "これは日本語の長い要約です。" * 30
    c = compose(DEFAULT_TEMPLATE, title="日本語のタイトル", teaser=teaser,
                url="https://blog.example.org/a/", tags=[], measure=x_length, limit=X_LIMIT)
    assert c.teaser.endswith(ELLIPSIS)
    assert 270 <= c.length <= X_LIMIT  # uses the room, not dropped to nothing


def test_blank_fields_leave_no_gaps() -> None:
    c = compose(DEFAULT_TEMPLATE, title="Hello", teaser="", url=URL, tags=[],
                measure=x_length, limit=X_LIMIT)
    assert c.text == f"Hello\n\n{URL}"
    c = compose("{title} {teaser} {url}", title="Hello", teaser="", url=URL, tags=[],
                measure=x_length, limit=X_LIMIT)
    assert c.text == f"Hello {URL}"


def test_custom_template_with_tags_field() -> None:
    c = compose("{title} [{tags}] {url}", title="Hello", teaser="", url=URL, tags=["a", "b c"],
                measure=x_length, limit=X_LIMIT)
    assert c.text == f"Hello [a, b c] {URL}"


def test_too_long_even_with_url_alone() -> None:
    with pytest.raises(TooLong) as info:
        compose("x" * 300 + " {url}", title="T", teaser="", url=URL, tags=[],
                measure=x_length, limit=X_LIMIT)
    assert "280" in str(info.value)


def test_same_post_same_text() -> None:
    args = dict(title="T", teaser=LONG_TEASER, url=URL, tags=["a"], measure=x_length, limit=100)
    assert compose(DEFAULT_TEMPLATE, **args) == compose(DEFAULT_TEMPLATE, **args)


_pieces = list(string.ascii_letters + "  ,.!?'-") + [
    "é", "日", "本", "😀", "👨‍👩‍👧", "e\u0301", "…", "\n"
]
text_st = st.lists(st.sampled_from(_pieces), max_size=300).map("".join)


@settings(max_examples=40, deadline=None)
@given(title=text_st, teaser=text_st, path=st.text(alphabet="abcdefghij-/", max_size=60),
       tags=st.lists(st.text(alphabet=string.ascii_letters + " ", max_size=12), max_size=4))
@pytest.mark.parametrize(("measure", "limit"), RULERS)
def test_property_url_intact_and_within_limit(measure, limit, title, teaser, path, tags) -> None:
    url = "https://blog.example.org/" + path.strip("/") + ("/" if path.strip("/") else "")
    c = compose(DEFAULT_TEMPLATE, title=title, teaser=teaser, url=url, tags=tags,
                measure=measure, limit=limit)
    assert url in c.text
    assert measure(c.text) <= limit
    assert c.text == compose(DEFAULT_TEMPLATE, title=title, teaser=teaser, url=url, tags=tags,
                             measure=measure, limit=limit).text


# -- hashtags, facets, cards -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("python", "#python"),
        ("machine learning", "#MachineLearning"),
        ("réseaux sociaux", "#RéseauxSociaux"),
        ("logiciel-libre", "#LogicielLibre"),
        ("#already", "#already"),
        ("C++", None),
        ("node.js", None),
        ("2024", None),
        ("", None),
    ],
)
def test_hashtag(tag: str, expected: str | None) -> None:
    assert hashtag(tag) == expected


def test_hashtags_deduplicate_case_insensitively() -> None:
    assert hashtags(["Python", "python", "C++"]) == ["#Python"]


def test_facets_use_utf8_byte_offsets() -> None:
    text = f"Été à Paris 😀 日本\n\n{URL}\n\n#Python #LogicielLibre"
    facets = bluesky_facets(text, URL, ["#Python", "#LogicielLibre"])
    raw = text.encode("utf-8")
    link = facets[0]
    assert raw[link["index"]["byteStart"] : link["index"]["byteEnd"]].decode() == URL
    assert link["features"][0] == {"$type": "app.bsky.richtext.facet#link", "uri": URL}
    tags = [f for f in facets if f["features"][0]["$type"].endswith("#tag")]
    assert [raw[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode() for f in tags] == [
        "#Python",
        "#LogicielLibre",
    ]
    assert [f["features"][0]["tag"] for f in tags] == ["Python", "LogicielLibre"]


def test_card_description_is_short_and_clean() -> None:
    long = LONG_TEASER * 3
    d = card_description(long)
    assert grapheme.length(d) <= 300 and d.endswith(ELLIPSIS)
    assert card_description("  a\n b ") == "a b"


def _config(tmp_path: Path, **social) -> Config:
    return Config(
        root=tmp_path,
        site=SiteSection(url="https://blog.example.org/"),
        social=social,
    )


def _post(tmp_path: Path, **kw) -> SimpleNamespace:
    base = dict(
        source=tmp_path / "posts" / "p.md",
        title="Hello",
        teaser="A teaser.",
        url="/2024/05/hello/",
        tags=("python",),
        lang="fr",
        image=None,
        aliases=(),
        date=None,
    )
    base.update(kw)
    return SimpleNamespace(**base)


def test_announcement_uses_site_url_template_and_language(tmp_path: Path) -> None:
    config = _config(tmp_path, x=XSection(template="{title} → {url}"), mastodon=MastodonSection())
    post = _post(tmp_path)
    a = announcement("x", config, post, measure=x_length, limit=X_LIMIT)
    assert a.text == "Hello → https://blog.example.org/2024/05/hello/"
    assert a.url == "https://blog.example.org/2024/05/hello/"
    assert a.lang == "fr"
    m = announcement("mastodon", config, post, measure=mastodon_length, limit=500)
    assert m.text.startswith("Hello\n\nA teaser.\n\nhttps://blog.example.org/2024/05/hello/")


def test_local_image_found_in_output_or_static_never_remote(tmp_path: Path) -> None:
    config = _config(tmp_path)
    (tmp_path / "static" / "images").mkdir(parents=True)
    (tmp_path / "static" / "images" / "c.png").write_bytes(b"\x89PNG")
    out = tmp_path / "public"
    (out / "images").mkdir(parents=True)
    (out / "images" / "c.png").write_bytes(b"\x89PNG")
    assert local_image(config, _post(tmp_path, image="/images/c.png"), out) == out / "images/c.png"
    assert local_image(config, _post(tmp_path, image="images/c.png")) == (
        tmp_path / "static" / "images" / "c.png"
    )
    own = "https://blog.example.org/images/c.png"
    assert local_image(config, _post(tmp_path, image=own), out) == out / "images/c.png"
    assert local_image(config, _post(tmp_path, image="https://cdn.example.com/c.png"), out) is None
    assert local_image(config, _post(tmp_path, image="/../etc/passwd"), out) is None
    assert local_image(config, _post(tmp_path, image="/missing.png"), out) is None
