"""Deterministic French blog corpus, written out for blogsite, Hugo and Pelican.

Every post is the same Markdown body for the three generators; only the
metadata block differs (YAML front matter for blogsite and Hugo, Pelican's
``Key: value`` header for Pelican).  Two styles of text:

- "article" (the default): sentences of the user's own sample article
  (bench/sample-article.txt) recombined, with its « guillemets », ellipses,
  smileys and bare URLs, plus emphasis and links, as a real French post reads;
- "words": paragraphs of accented words from a word list (the earlier corpus).

Either way two headings, a list, a blockquote and links; about 5-6 KB a post.

Stdlib only: the benchmark runner must work with any Python 3.11.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

SEED = 20150308
TIMEZONE = ZoneInfo("Europe/Paris")
# Newest post of every corpus; older posts go back one day at a time, so no
# post is ever in the future (Hugo and many generators skip future posts).
LAST_DAY = date(2024, 12, 31)
SITE_URL = "https://bench.example.org/"
PAGINATE = 10
FEED_ITEMS = 20

TAGS = [
    "cuisine",
    "voyage",
    "politique",
    "musique",
    "cinéma",
    "littérature",
    "économie",
    "société",
    "photographie",
    "randonnée",
    "jardinage",
    "technologie",
    "programmation",
    "python",
    "logiciel-libre",
    "vélo",
    "montagne",
    "mer",
    "histoire",
    "philosophie",
    "éducation",
    "santé",
    "sport",
    "écologie",
    "architecture",
    "peinture",
    "théâtre",
    "bande-dessinée",
    "jeux",
    "famille",
    "lecture",
    "écriture",
    "sciences",
    "astronomie",
    "météo",
    "bretagne",
    "provence",
    "paris",
    "lyon",
    "montréal",
    "café",
    "pâtisserie",
    "vin",
    "fromage",
    "opéra",
    "danse",
    "radio",
    "podcast",
    "réseau",
    "sécurité",
]
assert len(TAGS) == 50 and len(set(TAGS)) == 50

WORDS = (
    "le la les un une des du de et ou mais donc or ni car que qui quoi dont où "
    "être avoir faire dire aller voir savoir pouvoir vouloir venir devoir prendre "
    "trouver donner parler aimer passer mettre penser regarder rester croire "
    "été déjà très après avant entre pendant depuis toujours jamais souvent "
    "peut-être là-bas au-delà ainsi aussi encore même enfin bientôt ensuite "
    "maison école rivière forêt château église marché quartier rue fenêtre "
    "lumière matin soirée journée année semaine hiver printemps été automne "
    "café thé pain fromage légume fruit pâtisserie crêpe gâteau bière vin "
    "voiture vélo train avion bateau gare aéroport frontière région ville village "
    "société économie politique élection député ministère réforme grève syndicat "
    "musique chanson opéra théâtre cinéma réalisateur acteur scène décor costume "
    "livre roman poème écrivain bibliothèque librairie chapitre récit personnage "
    "ordinateur logiciel réseau serveur données mémoire processeur écran clavier "
    "idée question réponse problème solution méthode expérience résultat étude "
    "enfant élève professeur médecin ingénieur artisan boulanger pêcheur paysan "
    "montagne colline vallée plage côte île océan lac source glacier sentier "
    "beau belle grand grande petit petite nouveau nouvelle vieux vieille jeune "
    "heureux heureuse célèbre étrange élégant fragile précieux sérieux léger "
    "rapide lent doux amer sucré salé épicé fraîche chaud froid humide sec "
    "évidemment néanmoins cependant toutefois d'ailleurs autrement notamment "
    "à côté au-dessus derrière devant près loin ici partout ailleurs dehors "
    "français française européen européenne québécois breton provençal "
    "réfléchir découvrir préférer espérer répéter célébrer créer élever "
    "écouter étudier échanger éclairer effacer élargir émerveiller énoncer "
    "œuvre cœur sœur nœud bœuf œil manœuvre hôpital hôtel forêt août naïf "
    "Noël maïs ambiguë canoë aïeul Zoé Hélène Cécile Théo Benoît Gaëlle Jérôme"
).split()

TITLE_OPENERS = [
    "Réflexions sur",
    "Notes à propos de",
    "Petite histoire de",
    "Éloge de",
    "Retour sur",
    "Ce que m'a appris",
    "Quelques mots sur",
    "Souvenirs de",
    "Chronique :",
    "Carnet de route :",
    "Pourquoi j'aime",
    "Dix idées sur",
    "Lettre ouverte sur",
    "À la découverte de",
    "Le mystère de",
    "Comment réussir",
    "Digression sur",
    "Regards croisés sur",
    "Un hiver avec",
    "En finir avec",
]
TITLE_SUBJECTS = [
    "la pâtisserie bretonne",
    "le café du matin",
    "les forêts d'automne",
    "la bibliothèque municipale",
    "le vélo en ville",
    "les élections régionales",
    "un vieux château",
    "la mémoire des données",
    "le théâtre d'été",
    "les sentiers de montagne",
    "la cuisine épicée",
    "les écrivains oubliés",
    "l'hôpital de quartier",
    "le marché du dimanche",
    "la lumière d'hiver",
    "les réseaux sociaux",
    "un logiciel libre",
    "la côte sauvage",
    "le pain au levain",
    "les glaciers alpins",
    "la réforme des retraites",
    "l'opéra de Lyon",
    "un roman policier",
    "les crêpes de Noël",
    "le métro parisien",
    "la photographie argentique",
    "les îles grecques",
    "l'école primaire",
    "le fromage de chèvre",
    "la danse contemporaine",
    "les podcasts du soir",
    "le jardin partagé",
    "la sécurité informatique",
    "un voyage au Québec",
    "les étoiles filantes",
    "la météo capricieuse",
    "le vin naturel",
    "une œuvre méconnue",
    "la radio locale",
    "les bœufs du Charolais",
]
TITLE_ENDINGS = [
    "",
    "",
    "",
    "",
    " en hiver",
    " : le bilan",
    " (deuxième partie)",
    ", vraiment ?",
    " au fil des saisons",
    " et autres détours",
    " pour les débutants",
    " vingt ans après",
    " : notes de lecture",
    " sans complexe",
    " à petit budget",
    " malgré tout",
]
DOMAINS = [
    "exemple.fr",
    "journal.example.com",
    "wikipedia.example.org",
    "blog.example.net",
    "musee.example.fr",
    "bibliotheque.example.org",
]


@dataclass(frozen=True)
class Post:
    index: int  # 0 = oldest
    slug: str
    title: str
    date: datetime  # aware, Europe/Paris
    tags: tuple[str, ...]
    body: str  # Markdown, ends with a newline

    @property
    def iso_date(self) -> str:
        return self.date.isoformat()

    @property
    def permalink_path(self) -> str:
        return f"{self.date:%Y}/{self.date:%m}/{self.slug}/"


def slugify(text: str) -> str:
    """ASCII slug: accents folded, runs of other characters collapsed to '-'."""
    text = text.replace("œ", "oe").replace("Œ", "Oe")
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    out = []
    dash = False
    for ch in folded.lower():
        if ch.isalnum():
            out.append(ch)
            dash = False
        elif not dash and out:
            out.append("-")
            dash = True
    return "".join(out).strip("-")


class _Writer:
    """Builds sentences and paragraphs from the word list with one seeded RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def sentence(self, lo: int = 9, hi: int = 23) -> str:
        rng = self.rng
        words = rng.choices(WORDS, k=rng.randint(lo, hi))
        # A little inline emphasis, as real posts have.
        if rng.random() < 0.15:
            i = rng.randrange(len(words))
            words[i] = f"*{words[i]}*"
        elif rng.random() < 0.08:
            i = rng.randrange(len(words))
            words[i] = f"**{words[i]}**"
        if len(words) > 10 and rng.random() < 0.4:
            words[rng.randrange(3, len(words) - 3)] += ","
        text = " ".join(words)
        return text[0].upper() + text[1:] + rng.choice(".....!?…")

    def paragraph(self, lo: int = 3, hi: int = 6, links: list[str] | None = None) -> str:
        sentences = [self.sentence() for _ in range(self.rng.randint(lo, hi))]
        if links:
            for url in links:
                i = self.rng.randrange(len(sentences))
                anchor = " ".join(self.rng.choices(WORDS, k=self.rng.randint(2, 4)))
                sentences[i] = sentences[i][:-1] + f" (voir [{anchor}]({url})){sentences[i][-1]}"
        return " ".join(sentences)

    def heading(self) -> str:
        words = self.rng.choices(WORDS, k=self.rng.randint(2, 5))
        text = " ".join(words)
        return text[0].upper() + text[1:]


SAMPLE = Path(__file__).with_name("sample-article.txt")
STYLES = ("article", "words")


def _sample_sentences() -> list[str]:
    """The sample article's sentences (its first lines, the blog's header, left out)."""
    text = SAMPLE.read_text(encoding="utf-8")
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n")]
    body = [p for p in paragraphs[3:] if len(p) > 30]
    sentences: list[str] = []
    for paragraph in body:
        sentences.extend(s for s in re.split(r"(?<=[.!?…)])\s+(?=[«A-ZÀ-Ý\"])", paragraph) if s)
    return sentences


class _ArticleWriter(_Writer):
    """Paragraphs made of the sample article's sentences, in a seeded order."""

    SENTENCES: list[str] = []

    def sentence(self, lo: int = 9, hi: int = 23) -> str:
        if not self.SENTENCES:
            _ArticleWriter.SENTENCES = _sample_sentences()
        rng = self.rng
        text = rng.choice(self.SENTENCES)
        words = text.split(" ")
        if len(words) > 4 and rng.random() < 0.25:
            i = rng.randrange(1, len(words) - 1)
            if words[i].isalpha():
                words[i] = f"*{words[i]}*" if rng.random() < 0.7 else f"**{words[i]}**"
        return " ".join(words)


def _external_link(rng: random.Random) -> str:
    path = "-".join(slugify(w) or "x" for w in rng.choices(WORDS, k=3))
    return f"https://{rng.choice(DOMAINS)}/{path}"


def _body(rng: random.Random, earlier: list[Post], style: str = "article") -> str:
    w = _ArticleWriter(rng) if style == "article" else _Writer(rng)
    internal = None
    if earlier and rng.random() < 0.6:
        # Absolute link to an earlier post: same URL in every generator.
        internal = "/" + rng.choice(earlier[-200:]).permalink_path
    parts = [
        w.paragraph(4, 6),
        w.paragraph(4, 6, links=[_external_link(rng)]),
        "## " + w.heading(),
        w.paragraph(4, 6),
        w.paragraph(4, 6, links=[internal] if internal else None),
        "\n".join("- " + w.sentence(5, 12) for _ in range(rng.randint(3, 5))),
        "> " + w.paragraph(2, 3),
        "## " + w.heading(),
        w.paragraph(4, 6, links=[_external_link(rng)]),
        w.paragraph(4, 6),
        w.paragraph(4, 6),
        w.paragraph(3, 5),
    ]
    return "\n\n".join(parts) + "\n"


def make_post(
    rng: random.Random, index: int, day: date, earlier: list[Post], used: set[str],
    style: str = "article",
) -> Post:
    title = f"{rng.choice(TITLE_OPENERS)} {rng.choice(TITLE_SUBJECTS)}{rng.choice(TITLE_ENDINGS)}"
    base = slugify(title)
    slug, k = base, 2
    while slug in used:
        slug, k = f"{base}-{k}", k + 1
    used.add(slug)
    if k > 2:
        title = f"{title} ({k - 1})"
    when = datetime(
        day.year,
        day.month,
        day.day,
        rng.randint(8, 19),
        rng.choice((0, 15, 30, 45)),
        tzinfo=TIMEZONE,
    )
    # Mildly skewed tag popularity, as on a real blog.
    tags = []
    for _ in range(rng.randint(1, 3)):
        t = TAGS[int(rng.expovariate(1 / 18)) % len(TAGS)] if rng.random() < 0.7 else rng.choice(TAGS)
        if t not in tags:
            tags.append(t)
    return Post(index, slug, title, when, tuple(tags), _body(rng, earlier, style))


def generate(n: int, seed: int = SEED, style: str = "article") -> list[Post]:
    """n posts, oldest first, one per day ending on LAST_DAY."""
    rng = random.Random(seed)
    first = LAST_DAY - timedelta(days=n - 1)
    posts: list[Post] = []
    used: set[str] = set()
    for i in range(n):
        posts.append(make_post(rng, i, first + timedelta(days=i), posts, used, style))
    return posts


def extra_post(posts: list[Post], label: str = "nouveau") -> Post:
    """A post dated one day after the newest one (for the 'new post' cases)."""
    rng = random.Random(f"{SEED}-{label}-{len(posts)}")
    used = {p.slug for p in posts}
    return make_post(rng, len(posts), posts[-1].date.date() + timedelta(days=1), posts, used)


EDIT_MARK = "Mise à jour n°"


def edit_paragraph(k: int) -> str:
    """The paragraph appended by the k-th edit; its page must then contain EDIT_MARK k."""
    rng = random.Random(f"{SEED}-edit-{k}")
    return f"\n\n{EDIT_MARK} {k} : " + _Writer(rng).paragraph(2, 3) + "\n"


# --- writers -------------------------------------------------------------------------------


def _yaml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def blogsite_source(post: Post) -> str:
    tags = ", ".join(post.tags)
    return (
        f"---\ntitle: {_yaml_str(post.title)}\ndate: {post.iso_date}\nslug: {post.slug}\n"
        f"tags: [{tags}]\n---\n\n" + post.body
    )


def hugo_source(post: Post) -> str:
    tags = ", ".join(_yaml_str(t) for t in post.tags)
    return (
        f"---\ntitle: {_yaml_str(post.title)}\ndate: {post.iso_date}\nslug: {post.slug}\n"
        f"tags: [{tags}]\n---\n\n" + post.body
    )


def pelican_source(post: Post) -> str:
    return (
        f"Title: {post.title}\nDate: {post.date:%Y-%m-%d %H:%M}\nSlug: {post.slug}\n"
        f"Tags: {', '.join(post.tags)}\n\n" + post.body
    )


BLOGSITE_TOML = f"""\
[site]
title = "Bench"
url = "{SITE_URL}"
language = "fr"
timezone = "Europe/Paris"
author = "Bench"
description = "Benchmark"
permalink = "/{{year}}/{{month}}/{{slug}}/"
paginate = {PAGINATE}

[build]
output = "public"
"""

HUGO_TOML = f"""\
baseURL = "{SITE_URL}"
locale = "fr"
defaultContentLanguage = "fr"
title = "Bench"
timeZone = "Europe/Paris"
summaryLength = 50
removePathAccents = true
disableAliases = true
capitalizeListTitles = false
disableKinds = ["section", "taxonomy", "sitemap", "robotsTXT", "404"]

[pagination]
pagerSize = {PAGINATE}
path = "page"

[taxonomies]
tag = "tags"

[permalinks.page]
posts = "/:year/:month/:slug/"

[permalinks.term]
tags = "/tags/:slug/"

[outputs]
home = ["html", "rss"]
page = ["html"]
term = ["html"]

[services.rss]
limit = {FEED_ITEMS}

[markup.goldmark.renderer]
unsafe = true
"""


def pelican_conf(theme: Path, cache: bool) -> str:
    return f"""\
import re

_FIRST_P = re.compile(r"<p>.*?</p>", re.S)


def first_paragraph(html):
    m = _FIRST_P.search(html)
    return m.group(0) if m else ""


JINJA_FILTERS = {{"first_paragraph": first_paragraph}}
# The same Python-Markdown extensions as blogsite uses.
MARKDOWN = {{
    "extension_configs": {{
        "markdown.extensions.fenced_code": {{}},
        "markdown.extensions.codehilite": {{"css_class": "highlight", "guess_lang": False}},
        "markdown.extensions.tables": {{}},
        "markdown.extensions.footnotes": {{}},
        "markdown.extensions.toc": {{"toc_depth": "2-4"}},
        "markdown.extensions.smarty": {{}},
        "markdown.extensions.attr_list": {{}},
        "markdown.extensions.def_list": {{}},
        "markdown.extensions.abbr": {{}},
        "markdown.extensions.sane_lists": {{}},
    }},
    "output_format": "html5",
}}
AUTHOR = "Bench"
SITENAME = "Bench"
SITEURL = "{SITE_URL.rstrip("/")}"
PATH = "content"
OUTPUT_PATH = "output"
THEME = {str(theme)!r}
TIMEZONE = "Europe/Paris"
DEFAULT_LANG = "fr"
ARTICLE_PATHS = ["posts"]
PAGE_PATHS = []
STATIC_PATHS = []
THEME_STATIC_PATHS = []
DIRECT_TEMPLATES = ["index"]
PAGINATED_TEMPLATES = {{"index": None}}
DEFAULT_PAGINATION = {PAGINATE}
PAGINATION_PATTERNS = (
    (1, "{{url}}", "{{save_as}}"),
    (2, "{{base_name}}/page/{{number}}/", "{{base_name}}/page/{{number}}/index.html"),
)
ARTICLE_URL = "{{date:%Y}}/{{date:%m}}/{{slug}}/"
ARTICLE_SAVE_AS = "{{date:%Y}}/{{date:%m}}/{{slug}}/index.html"
TAG_URL = "tags/{{slug}}/"
TAG_SAVE_AS = "tags/{{slug}}/index.html"
CATEGORY_SAVE_AS = ""
AUTHOR_SAVE_AS = ""
INDEX_SAVE_AS = "index.html"
SUMMARY_MAX_LENGTH = 50
FEED_DOMAIN = SITEURL
FEED_ALL_ATOM = None
FEED_ALL_RSS = "index.xml"
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
FEED_MAX_ITEMS = {FEED_ITEMS}
RSS_FEED_SUMMARY_ONLY = False
TYPOGRIFY = False
CACHE_PATH = "cache"
LOAD_CONTENT_CACHE = {cache}
CACHE_CONTENT = {cache}
# 'md5' rather than the default 'mtime' so that the cache survives a fresh clone.
CHECK_MODIFIED_METHOD = "md5"
"""


def write_post(generator: str, site: Path, post: Post) -> Path:
    path = post_path(generator, site, post.slug)
    source = {"blogsite": blogsite_source, "hugo": hugo_source, "pelican": pelican_source}
    path.write_text(source[generator](post), encoding="utf-8")
    return path


def post_path(generator: str, site: Path, slug: str) -> Path:
    if generator == "blogsite":
        return site / "posts" / f"{slug}.md"
    return site / "content" / "posts" / f"{slug}.md"


def write_site(generator: str, site: Path, posts: list[Post], themes: Path) -> None:
    """Write a complete source folder for one generator (site must not exist)."""
    site.mkdir(parents=True)
    (post_path(generator, site, "x").parent).mkdir(parents=True)
    for post in posts:
        write_post(generator, site, post)
    if generator == "blogsite":
        (site / "site.toml").write_text(BLOGSITE_TOML, encoding="utf-8")
        theme = themes / "blogsite"
        if theme.is_dir() and any(theme.iterdir()):
            _copytree(theme, site / "theme")
    elif generator == "hugo":
        (site / "hugo.toml").write_text(HUGO_TOML, encoding="utf-8")
        _copytree(themes / "hugo" / "layouts", site / "layouts")
    elif generator == "pelican":
        theme = (themes / "pelican").resolve()
        (site / "pelicanconf.py").write_text(pelican_conf(theme, True), encoding="utf-8")
        (site / "pelicanconf_nocache.py").write_text(pelican_conf(theme, False), encoding="utf-8")
    else:
        raise ValueError(generator)


def _copytree(src: Path, dst: Path) -> None:
    import shutil

    shutil.copytree(src, dst)


def expected_counts(posts: list[Post]) -> dict[str, int]:
    tags = {t for p in posts for t in p.tags}
    return {
        "posts": len(posts),
        "home": -(-len(posts) // PAGINATE),
        "tags": len(tags),
        "feed_items": min(len(posts), FEED_ITEMS),
    }


if __name__ == "__main__":  # quick look at the corpus: python3 bench/corpus.py 1000
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    ps = generate(n)
    sizes = [len(p.body.encode()) for p in ps]
    print(
        f"{n} posts, mean body {sum(sizes) / n / 1024:.2f} KiB "
        f"({sum(sizes) / n / 1000:.2f} kB), min {min(sizes)}, max {max(sizes)}"
    )
    print(expected_counts(ps))
    print(blogsite_source(ps[-1])[:1500])
