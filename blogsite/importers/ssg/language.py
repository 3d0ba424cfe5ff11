"""The language of a post, told from its text (lingua, offline: its models ship in the wheel)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# Below these, a guess is a coin toss: the post keeps the site's language.
MIN_WORDS = 12
MIN_CONFIDENCE = 0.5
# A few paragraphs tell the language as well as a whole post, in a fraction of the time.
SAMPLE_CHARS = 1200


@lru_cache(maxsize=1)
def _detector() -> Any:
    from lingua import LanguageDetectorBuilder

    # Low accuracy mode: a tenth of the memory and time; plenty for whole paragraphs.
    return LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()


def prose_of(markdown: str) -> str:
    """The words of a Markdown body: no code, tags, link targets or shortcodes."""
    text = re.sub(r"^([ \t]*)(`{3,}|~{3,}).*?^\1\2[ \t]*$", " ", markdown, flags=re.M | re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"<[^>]*>", " ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"\{[{%].*?[}%]\}", " ", text, flags=re.S)
    text = re.sub(r"https?://\S+", " ", text)
    return " ".join(text.split())


def detect_language(markdown: str) -> str | None:
    """ISO 639-1 code of the body's language, or None when the text is too short or unclear."""
    text = prose_of(markdown)
    if len(text.split()) < MIN_WORDS:
        return None
    values = _detector().compute_language_confidence_values(text[:SAMPLE_CHARS])
    if not values or values[0].value < MIN_CONFIDENCE:
        return None
    return str(values[0].language.iso_code_639_1.name).lower()
