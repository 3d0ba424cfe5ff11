"""The speed-ups that must not change a byte: the fast Markdown inline processor, and the
build cache's handling of corrupt, foreign or half-written state."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import blogsite.markdown as md_module
from blogsite.markdown import _required

# Pieces that exercise every inline pattern: emphasis, links, references, footnotes, code,
# autolinks, raw HTML, entities, escapes, smart quotes, dashes, ellipses, line breaks.
PIECES = [
    "mot", "l'été", "d'ailleurs", "'90s", "\"cité\"", "'simple'", "«", "»", " -- ", " --- ",
    "...", "*em*", "**fort**", "_sous_", "__gras__", "`code`", "``a ` b``", "[lien](/x)",
    "[ref][r]", "[r]", "![img](/i.png)", "![alt][r]", "[^1]", "<http://ex.org/a?b>",
    "<moi@ex.org>", "<span class=\"x\">z</span>", "&amp;", "&#8239;", "&copy;", "\\*", "\\\\",
    "  \n", "\n", " ", ":", "?", "!", ";", "<<", ">>", "<!-- c -->", "x_y_z", "***", "~",
    "[", "]", "(", ")", "\"", "'", "`", "*", "_", "&", "<", ">",
]
LINES = st.lists(st.sampled_from(PIECES), max_size=25).map("".join)
DOCS = st.lists(
    st.one_of(
        LINES,
        LINES.map(lambda s: "# " + s),
        LINES.map(lambda s: "- " + s),
        LINES.map(lambda s: "> " + s),
        st.just("[r]: /ref \"Titre\"\n[^1]: Une note 'citée'."),
        st.just("```\ncode 'brut' -- ...\n```"),
        st.just("*[HTML]: HyperText"),
    ),
    max_size=8,
).map("\n\n".join)


def _both(text: str, lang: str) -> tuple[str, str]:
    results = []
    try:
        for fast in (False, True):
            md_module.FAST_INLINE = fast
            md_module._converters.clear()
            md = md_module._converter(lang)
            md.reset()
            results.append(md.convert(text))
    finally:
        md_module.FAST_INLINE = True
        md_module._converters.clear()
    return results[0], results[1]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=DOCS, lang=st.sampled_from(["fr", "en", "de"]))
def test_fast_inline_processor_gives_the_stock_output(text: str, lang: str) -> None:
    stock, fast = _both(text, lang)
    assert fast == stock


def test_fast_inline_processor_on_a_real_post() -> None:
    text = (
        "Un \"premier\" paragraphe, l'air de rien... avec *de l'emphase*, **du gras**, un "
        "[lien](https://exemple.org/?a=1&b=2) et une note[^n].\n\n"
        "## Un titre -- court\n\n- un `code 'brut'`\n- <http://exemple.org>\n\n"
        "> Une citation --- « déjà » là !\n\n[^n]: La note."
    )
    stock, fast = _both(text, "fr")
    assert fast == stock
    assert "&laquo;" in fast


def test_required_literals_are_necessary() -> None:
    cases = {
        r"\!\[": (("![",),),
        r"(?<!-)---(?!-)": (("---",),),
        r"\*|_": (("*", "_"),),
        r"(?i)abc": (),
        r"a?b": (("b",),),
        r"(?:ab)+c": (("ab",), ("c",)),
        r"x{2,}": (("xx",),),
        r"[ab]c": (("a", "b"), ("c",)),
        r"[^a]": (),
    }
    for pattern, expected in cases.items():
        assert _required(re.compile(pattern)) == expected, pattern


# ----- the syndication links index


def test_links_index_answers_as_the_ledger(tmp_path) -> None:
    from types import SimpleNamespace

    from blogsite.build import _LinksIndex
    from blogsite.ledger import Delivery, Entry, Ledger

    urls = ["/a/", "/b/", "/c/", "/d/"]
    sources = ["posts/a.md", "posts/b.md", ""]

    @given(
        entries=st.lists(
            st.tuples(
                st.sampled_from(urls),
                st.sampled_from(sources),
                st.lists(st.sampled_from(urls), max_size=2),
                st.dictionaries(
                    st.sampled_from(["x", "mastodon", "bluesky"]),
                    st.sampled_from(["sent", "failed", "pending"]),
                ),
            ),
            max_size=5,
        ),
        post=st.tuples(
            st.sampled_from(urls),
            st.sampled_from(["posts/a.md", "posts/b.md", "posts/z.md"]),
            st.lists(st.sampled_from(urls), max_size=2),
        ),
    )
    @settings(max_examples=200, deadline=None)
    def check(entries, post) -> None:
        ledger = Ledger(
            tmp_path,
            [
                Entry(
                    url=url,
                    source=source,
                    previous_urls=list(previous),
                    networks={
                        n: Delivery(state=state, remote_url=f"https://{n}.example/{url}")
                        for n, state in networks.items()
                    },
                )
                for url, source, previous, networks in entries
            ],
        )
        url, source, aliases = post
        item = SimpleNamespace(url=url, source=tmp_path / source, aliases=tuple(aliases))
        assert _LinksIndex(ledger)(item) == ledger.links_for(item)

    check()
