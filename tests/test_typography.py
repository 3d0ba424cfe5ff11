"""french_html, a fragment at a time, against the node-by-node version it replaced.

That version (blogsite/typography.py at commit 5775870) is kept below verbatim, as the
reference: the new one must give byte-identical output for every input, including odd
nesting of code and pre, unclosed tags, comments, URLs and entities written as text.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blogsite import typography
from blogsite.frontmatter import FrontMatterError, split_front_matter
from blogsite.markdown import _converter

ROOT = Path(__file__).resolve().parent.parent

# ---- reference: verbatim from blogsite/typography.py at 5775870 ---------------------------

NBSP = "\u00a0"
NNBSP = "\u202f"

_SKIP_TAGS = ("code", "pre", "kbd", "samp", "script", "style", "math")
_TOKENS = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+|\bwww\.\S+|&#?\w+;", re.I)
# Every rule below needs one of these characters (\x00 for the URL placeholders): a text
# without any is left as it is, which saves most of the work. Keep it in step with the rules.
_TRIGGERS = re.compile("[;:!?«»\x00]")


def _french_text(text: str) -> str:
    if not _TRIGGERS.search(text):
        return text
    # Protect URLs written as text and character entities: their ':', '?', '!' and ';'
    # are not punctuation.
    urls: list[str] = []

    def keep(m: re.Match[str]) -> str:
        urls.append(m.group(0))
        return f"\x00{len(urls) - 1}\x00"

    text = _URL.sub(keep, text)
    # Existing spaces before high punctuation become no-break spaces.
    text = _BEFORE_HIGH.sub(NNBSP + r"\1", text)
    text = _BEFORE_COLON.sub(NBSP + ":", text)
    text = _BEFORE_CLOSING.sub(NNBSP + r"\1", text)
    text = _AFTER_OPENING.sub(r"\1" + NNBSP, text)
    # "Non? Alors" -> "Non ? Alors": only after a letter and before a space or the end, so
    # smileys like ":p" or ";)" and times like 10:30 are left alone.
    text = _GLUED_HIGH.sub(NNBSP + r"\1", text)
    if not urls:
        return text
    return _PLACEHOLDER.sub(lambda m: urls[int(m.group(1))], text)


_BEFORE_HIGH = re.compile(r"[ \t\u00a0\u202f]+([;!?])")
_BEFORE_COLON = re.compile(r"[ \t\u00a0\u202f]+:(?=\s|$|\)|&nbsp;)")
_BEFORE_CLOSING = re.compile(r"[ \t\u00a0\u202f]+(»)")
_AFTER_OPENING = re.compile(r"(«)[ \t\u00a0\u202f]*")
_GLUED_HIGH = re.compile(r"(?<=[^\W\d_])([!?;]+)(?=\s|$)")
_PLACEHOLDER = re.compile(r"\x00(\d+)\x00")


def french_html(html: str) -> str:
    """Apply French typography to the text nodes of an HTML fragment."""
    parts = _TOKENS.split(html)
    out: list[str] = []
    skip_depth = 0
    triggers = _TRIGGERS.search
    for index, part in enumerate(parts):
        if index % 2 == 1:
            tag = _TAG.match(part)
            if tag and tag.group(2).lower() in _SKIP_TAGS:
                skip_depth += -1 if tag.group(1) else 1
                skip_depth = max(skip_depth, 0)
            out.append(part)
        elif skip_depth or not part or not triggers(part):
            out.append(part)
        else:
            out.append(_french_text(part))
    return "".join(out)


_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9]+)")

# ---- end of the reference ------------------------------------------------------------------


def _outcome(function, html: str) -> tuple[str, object]:
    """The result, or the kind of error: the reference raises on a few inputs holding NULs."""
    try:
        return "ok", function(html)
    except Exception as error:  # noqa: BLE001 - compared, not hidden
        return "error", type(error)


def _assert_same(html: str) -> None:
    assert _outcome(typography.french_html, html) == _outcome(french_html, html), repr(html)


# Pieces chosen to hit every rule and every way out of it: skipped elements opened and closed
# in any order and case (and not quite: "<codex>", "< /code>", "<pre/>"), comments that hold
# tags or lack their end, tags without an end, URLs and entities next to punctuation, every
# kind of space, letters and digits on either side of ! ? ;, and the characters the new code
# uses as markers (\x00, \x1f), which must send it down the old path.
_PIECES = [
    "<p>", "</p>", "<em>", "</em>", "<EM>", '<a href="http://x.org/?a=1;b">', "</a>", "<br/>",
    "<code>", "</code>", "<CODE>", "< /code>", "</ code >", "<code/>", "<codex>", "<code\n>",
    "<pre>", "</pre>", "<PRE>", "<pre class='x: y'>", "<kbd>", "</kbd>", "<samp>", "</SAMP>",
    "<script>", "</script>", "<style>", "</style>", "<math>", "</math>", "<sup>", "<span>",
    "<!-- a ; b -->", "<!-- <code> -->", "<!-- </pre> -->", "<!--", "-->", "<!-->", "<", ">",
    "< >", "<>", "</>", "<1>", "<p title='a ? b'>",
    " ", "  ", "\u00a0", "\u202f", "\t", "\n", "\r\n", "\x0b", "\x1c", "\x85", "\u2028", "\u3000",
    ";", ":", "!", "?", "!?", "?!", ";;", "«", "»", "« ", " »", " ;", " :", " !", " ?",
    "\u00a0:", "\u202f?", "\t!", "…", "(", ")", ":)", " :)", ":p", ";)", ":-)", "10:30",
    "Non", "mot", "Ça", "été", "é", "x", "ß", "ſ", "\u212a", "İ", "_", "1", "٣", "Ⅻ",
    "http://a.fr/b?c=d;e", "https://x.org/:x!", "HTTP://X.ORG", "mailto:a@b.c", "x+y.z-w://q",
    "://", "www.", "www.ex.fr/a?b", "WwW.X.FR!", "awww.x", "&amp;", "&#8239;", "&nbsp;",
    "&nbsp", "&", "&#;", "&#x202f;", "&raquo;", " :&nbsp;", ":&nbsp;", "#",
    "\x00", "\x000\x00", "\x005\x00", "\x1f",
]
_ALPHABET = "ab é1_;:!?«»  \u00a0\u202f\t\n&#<>/-.wW()xp:"

fragments = st.lists(
    st.one_of(st.sampled_from(_PIECES), st.text(alphabet=_ALPHABET, max_size=6)), max_size=30
).map("".join)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fragments)
def test_french_html_matches_reference_on_generated_fragments(html: str) -> None:
    _assert_same(html)


# The new code's core step on its own: any list of text nodes typeset at once, as each alone.
node_texts = st.lists(
    st.lists(st.one_of(st.sampled_from(_PIECES), st.text(alphabet=_ALPHABET, max_size=6)), max_size=8)
    .map("".join)
    .filter(lambda text: "\x00" not in text and "\x1f" not in text),
    max_size=8,
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(node_texts)
def test_french_nodes_equal_french_text_node_by_node(texts: list[str]) -> None:
    assert typography._french_nodes(texts) == [_french_text(text) for text in texts]


@pytest.mark.parametrize(
    "html",
    [
        "",
        "Non? Alors!",
        "<p>Non?</p><p>Oui !</p>",
        "<p>Non</p>? x",  # a node starting with ? is not glued to the word before the tag
        "<code>a ?</code> b ?",
        "<pre><code>a ?</code> b ?</pre> c ?",
        "</code> a ?",  # a stray closing tag leaves the depth at zero
        "<code><code></code> a ?</code> b ?",
        "<code> a ? <!-- </code> --> b ?</code> c ?",
        "<CODE>a ?</Code> b ?",
        "< /code> a ?<code> b ?< /code> c ?",
        "<codex> a ?</codex>",
        "<pre/> a ? </pre> b ?",
        "a < b ? c",  # a "<" that no ">" follows is text
        "<!-- unclosed ? <p> a ? b > c ?",
        "Voir http://ex.fr/?a=1;b=2 ! et www.ex.fr?x : oui",
        "d&rsquo;été ? &laquo;&#8239;Oui&#8239;&raquo; !",
        "&eacute;? a :&nbsp;b",
        "« Oui » et «non»",
        "a\u00a0:\n b :) 10:30 :p ;) ?!",
        "x\x00y ?",
        "a ? \x000\x00 b",
        "www.a.fr \x005\x00 ?",
        "a\x1fb ?",
    ],
)
def test_french_html_matches_reference_on_edge_cases(html: str) -> None:
    _assert_same(html)


# Every space (and two non-spaces) before and after every mark, in a node's middle and at its end.
_CONTEXTS = [
    f"<p>a{space}{mark}{after}</p>"
    for space in ("", " ", "\t", "\u00a0", "\u202f", " \u00a0", "\n", "\x0b", "x")
    for mark in (";", ":", "!", "?", "»", "«", "!?")
    for after in ("", " b", "\tb", "\u00a0b", "\nb", ")", "&nbsp;", "b", "\u202f")
]


@pytest.mark.parametrize("html", _CONTEXTS)
def test_french_html_matches_reference_around_each_mark(html: str) -> None:
    _assert_same(html)
    _assert_same(html.replace("<p>", "<p><code>x</code>"))  # the path that counts skip depth


def test_markers_are_inert_for_the_rules() -> None:
    """What makes joining nodes safe (see typography._SEP): checked, not only assumed."""
    sep, hole = typography._SEP, typography._HOLE
    assert re.fullmatch(r"\s", sep) and not re.fullmatch(r"\w", sep)
    for char in (sep, hole):
        assert not re.fullmatch(r"[ \t\u00a0\u202f;:!?«»]", char)
    assert re.fullmatch(r"\S", hole) and not re.fullmatch(r"\w", hole)


def _load_corpus():
    path = ROOT / "bench" / "corpus.py"
    spec = importlib.util.spec_from_file_location("_bench_corpus", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _before_typography(markdown: str) -> list[str]:
    """A body's HTML and its first paragraph (the usual summary) as render_markdown has them
    just before the typography step."""
    md = _converter("fr")
    md.reset()
    html = md.convert(markdown)
    md.reset()
    first = re.search(r"<p>.*?</p>", html, re.S)
    return [html, first.group(0) if first else ""]


@lru_cache(maxsize=1)
def _rendered() -> tuple[str, ...]:
    bodies = [post.body for post in _load_corpus().generate(300)]
    sources = [*ROOT.glob("posts/*.md"), *ROOT.glob("pages/*.md"), *ROOT.glob("tests/sites/*/*/*.md")]
    for path in sorted(sources):
        try:
            bodies.append(split_front_matter(path.read_text(encoding="utf-8")).body)
        except (FrontMatterError, UnicodeDecodeError):
            continue
    return tuple(html for body in bodies for html in _before_typography(body))


def test_french_html_matches_reference_on_rendered_posts() -> None:
    rendered = _rendered()
    assert len(rendered) >= 600
    for html in rendered:
        assert typography.french_html(html) == french_html(html)
