"""`blogsite import FILE`: bring an old blog in from its export, with its comments, images and
every old address.

Each export format has its reader (blogger.py, wordpress.py) that turns the export into an
`Export` of typed posts and comments (model.py); what follows is shared by all of them:
images brought home (images.py), files written idempotently (writer.py), the report
(report.py).
"""

from __future__ import annotations

from pathlib import Path

from blogsite.config import Config
from blogsite.errors import BlogsiteError, Problem, display_path
from blogsite.importers.model import Export
from blogsite.importers.report import ImportReport, make_report
from blogsite.importers.xmltree import Element, parse


def read_export(path: Path, config: Config) -> Export:
    """The export at `path`, whatever its format; BlogsiteError (nothing written) when it is
    not one."""
    from blogsite.importers import blogger, wordpress

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BlogsiteError(Problem(display_path(path), f"cannot read the file: {exc.strerror}",
                                    "check the path you gave to blogsite import")) from None
    root = parse(path, data)
    zone, lang = config.zone, config.site.language
    if wordpress.is_wxr(root):
        return wordpress.read(root, zone, lang)
    if root.name == "feed" and _is_blogger(root):
        return blogger.read(root, zone, lang)
    raise BlogsiteError(Problem(
        display_path(path), f"this is not a Blogger or WordPress export (its root element is <{root.qname}>)",
        "use Blogger's backup (Settings > Back up content), Google Takeout's feed.atom, or "
        "WordPress's export (Tools > Export)", root.line,
    ))


def _is_blogger(root: Element) -> bool:
    ident = root.child_text("id")
    return "blogger.com" in ident or any("blogger" in v for v in root.attrs.values())


def run_import(config: Config, path: Path, *, images: bool = True, force: bool = False) -> ImportReport:
    from blogsite.importers.images import bring_home
    from blogsite.importers.syndication import mark_as_old_news
    from blogsite.importers.writer import drop_own_addresses, file_names, plan, write
    from blogsite.site import url_maker

    export = read_export(path, config)
    fetched = bring_home(export, config.root / "static") if images else None
    make_url = url_maker(config)
    drop_own_addresses(export, lambda post: f"/{post.slug}/" if post.is_page
                       else make_url(post.date, post.slug, config.site.language))
    files = plan(export, config.site.language)
    result = write(config.root, files, force=force)
    names = file_names(export.posts)
    report = make_report(display_path(path), export, names, fetched, result)
    marked = mark_as_old_news(config, [n for n in names if n.startswith("posts/")], display_path(path))
    if marked is None:
        report.warnings.append("the site has errors (see `blogsite build`): the imported posts are "
                               "not yet recorded as old news; run the import again once it builds")
    else:
        report.recorded = marked
    return report
