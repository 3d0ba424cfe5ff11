import os

AUTHOR = "Dominique"
SITENAME = "Carnet"
PATH = "content"
TIMEZONE = "Europe/Paris"
DEFAULT_LANG = "fr"
ARTICLE_URL = "{date:%Y}/{date:%m}/{slug}.html"
ARTICLE_SAVE_AS = ARTICLE_URL
PAGE_URL = "pages/{slug}.html"
STATIC_PATHS = ["images"]
THEME = os.path.join("themes", "simple")  # not a literal: ignored (the file is never run)
