"""Theme strings and dates in the site's (or the post's) language.

Dates come from Babel's CLDR data, so every language gets correct month names. Theme strings
are translated here for the languages the default theme ships with; others fall back to
English, which is better than a half-translated page.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

STRINGS: dict[str, dict[str, str]] = {
    "fr": {
        "Home": "Accueil",
        "Tags": "Étiquettes",
        "Archives": "Archives",
        "Newer posts": "Articles plus récents",
        "Older posts": "Articles plus anciens",
        "Page {n} of {total}": "Page {n} sur {total}",
        "Posted on": "Publié le",
        "Updated on": "Mis à jour le",
        "Tagged": "Étiquettes",
        "Read more": "Lire la suite",
        "Posts tagged “{tag}”": "Articles étiquetés «\u202f{tag}\u202f»",
        "Posts from {period}": "Articles de {period}",
        "Previous post": "Article précédent",
        "Next post": "Article suivant",
        "Also on": "Aussi sur",
        "Draft": "Brouillon",
        "Scheduled": "Programmé",
        "Feed": "Flux",
        "Subscribe": "S’abonner",
        "Page not found": "Page introuvable",
        "This page does not exist, or no longer does.": "Cette page n’existe pas, ou plus.",
        "Back to the home page": "Retour à l’accueil",
        "Skip to content": "Aller au contenu",
        "Contents": "Sommaire",
        "No posts yet.": "Aucun article pour l’instant.",
        "{n} posts": "{n} articles",
        "1 post": "1 article",
        "All tags": "Toutes les étiquettes",
        "Redirecting to": "Redirection vers",
        "Main navigation": "Navigation principale",
        "Pagination": "Pagination",
        "minute read": "min de lecture",
        "Powered by": "Propulsé par",
        "Feeds": "Flux",
        "Feed for this tag": "Flux de cette étiquette",
        "Comments": "Commentaires",
        "Mentions": "Mentions",
        "mentioned this post": "a mentionné cet article",
        "Reply to": "Réponse à",
        "Latest posts": "Derniers articles",
        "About the author": "À propos de l’auteur",
        "Profiles": "Profils",
        "Jump back to footnote %d in the text": "Revenir à l’appel de note %d dans le texte",
    },
}

# Counted words, by the CLDR plural category of the number (Babel's plural rules: French
# says "0 commentaire" and "1 commentaire", English "0 comments" and "1 comment").
PLURALS: dict[str, dict[str, dict[str, str]]] = {
    "en": {
        "comments": {"one": "{n} comment", "other": "{n} comments"},
        "likes": {"one": "{n} like", "other": "{n} likes"},
        "reposts": {"one": "{n} repost", "other": "{n} reposts"},
    },
    "fr": {
        "comments": {"one": "{n} commentaire", "other": "{n} commentaires"},
        "likes": {"one": "{n} j’aime", "other": "{n} j’aime"},
        "reposts": {"one": "{n} partage", "other": "{n} partages"},
    },
}


def base_language(lang: str) -> str:
    return lang.replace("_", "-").split("-")[0].lower()


@lru_cache(maxsize=64)
def _locale(lang: str) -> Locale:
    try:
        return Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        try:
            return Locale.parse(base_language(lang))
        except (UnknownLocaleError, ValueError):
            return Locale.parse("en")


def translate(text: str, lang: str, **values: object) -> str:
    table = STRINGS.get(base_language(lang), {})
    result = table.get(text, text)
    return result.format(**values) if values else result


def count_posts(n: int, lang: str) -> str:
    if n == 1:
        return translate("1 post", lang)
    return translate("{n} posts", lang, n=n)


def count_of(n: int, what: str, lang: str) -> str:
    """ "2 commentaires": `what` is a key of PLURALS ("comments", "likes", "reposts")."""
    table = PLURALS.get(base_language(lang), PLURALS["en"])[what]
    form = _locale(lang).plural_form(n)
    return table.get(form, table["other"]).format(n=n)


@lru_cache(maxsize=4096)
def _fmt_date(day: date, lang: str, fmt: str) -> str:
    return format_date(day, format=fmt, locale=_locale(lang))


def long_date(when: datetime, lang: str) -> str:
    """ "8 mars 2010" in French, "March 8, 2010" in English."""
    return _fmt_date(when.date(), lang, "long")


def month_name(year: int, month: int, lang: str) -> str:
    from datetime import date

    return _fmt_date(date(year, month, 1), lang, "LLLL y")
