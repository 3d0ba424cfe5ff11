"""The command line. The only place where errors become messages and exit codes."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from datetime import datetime
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from blogsite import __version__
from blogsite.errors import BlogsiteError, Problem, UsageError

if TYPE_CHECKING:
    from blogsite.config import Config

EXAMPLES = {
    "init": "example:\n  blogsite init myblog\n  cd myblog && blogsite build",
    "new": 'example:\n  blogsite new "Tweeter or not Tweeter ?"\n  blogsite new "Ready to go" --no-draft\n'
    '  blogsite new "Influence" --tags "Twitter, Réseaux sociaux" --slug influence\n'
    '  blogsite new "À propos" --page',
    "build": "example:\n  blogsite build\n  blogsite build --drafts --output /tmp/preview\n"
    "  blogsite build --strict        # warnings (misspelled keys) become errors\n"
    "  blogsite build --output /var/www/html --keep-unknown   # keep the files already there",
    "serve": "example:\n  blogsite serve\n  blogsite serve --port 8080 --host 0.0.0.0",
    "check": "example:\n  blogsite check",
    "import": "example:\n  blogsite import ../my-jekyll-blog\n  blogsite import ../my-hugo-site --no-images\n"
    "  blogsite import ~/Downloads/blog-03-08-2024.xml       # a Blogger or WordPress export\n"
    "  blogsite import ../my-hugo-site --force     # overwrite posts edited since the last import",
    "deploy": "example:\n  blogsite deploy --dry-run\n  blogsite deploy\n  blogsite deploy --target pages",
    "publish": "example:\n  blogsite publish --dry-run\n  blogsite publish\n"
    "  blogsite publish --post influence-reputation-et-legitimite-le-succes --network mastodon",
    "replies": "example:\n  blogsite replies\n  blogsite replies --dry-run --network mastodon\n"
    "  blogsite replies --post influence-reputation-et-legitimite-le-succes\n"
    "  blogsite replies --approve mastodon-109348214713957999   # show a held reply",
}


def _color(code: str, text: str, stream) -> str:
    if os.environ.get("NO_COLOR") or not getattr(stream, "isatty", lambda: False)():
        return text
    return f"\033[{code}m{text}\033[0m"


def report(problems: list[Problem] | tuple[Problem, ...], stream=None) -> None:
    stream = stream or sys.stderr
    for p in problems:
        text = p.render()
        head, _, rest = text.partition(": ")
        head = _color("33" if p.warning else "31;1", head, stream)
        print(f"{head}: {rest}", file=stream)
    errors = sum(1 for p in problems if not p.warning)
    if errors > 1:
        print(_color("31;1", f"{errors} errors", stream), file=stream)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's usage errors: exit 2, no traceback
        self.print_usage(sys.stderr)
        wrong = re.search(r"argument COMMAND: invalid choice: '([^']*)'", message)
        if wrong:
            close = get_close_matches(wrong.group(1), list(COMMANDS), n=1, cutoff=0.5)
            hint = f"did you mean `blogsite {close[0]}`?" if close else (
                "commands: " + ", ".join(COMMANDS)
            )
            raise UsageError(Problem("blogsite", f"unknown command `{wrong.group(1)}`", hint))
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _add_chdir(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "-C",
        dest="chdir",
        metavar="DIR",
        default=default,
        help="run as if blogsite was started in DIR",
    )


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="blogsite",
        description="A static blog generator that announces each new post exactly once "
        "on X, Mastodon and Bluesky. Run the commands in your site's folder.",
        epilog="example:\n  blogsite init myblog && cd myblog && blogsite serve",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"blogsite {__version__}")
    _add_chdir(parser, None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(name: str, help: str) -> argparse.ArgumentParser:
        command = sub.add_parser(
            name,
            help=help,
            description=help,
            epilog=EXAMPLES[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        # Before or after the command name; given after, it wins.
        _add_chdir(command, argparse.SUPPRESS)
        return command

    p = add("init", "Create a new site skeleton in DIR.")
    p.add_argument("dir", metavar="DIR", help="folder to create (must be empty or absent)")

    p = add("new", "Create a new post file in posts/ (or a page in pages/) and print its path.")
    p.add_argument("title", metavar="TITLE", help="the post's title")
    p.add_argument(
        "--draft",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="mark the post as a draft (default: --draft)",
    )
    p.add_argument(
        "--tags",
        action="append",
        default=[],
        metavar="TAGS",
        help='tags, comma-separated ("Twitter, Musique"); repeatable',
    )
    p.add_argument("--slug", help="the last part of the URL, and the file's name")
    p.add_argument("--page", action="store_true", help="a page in pages/ (no date, no tags)")

    p = add("build", "Write the site into the output folder (default public/).")
    p.add_argument("--drafts", action="store_true", help="include drafts and future posts")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--output", metavar="DIR", help="output folder (default: [build] output)")
    p.add_argument(
        "--keep-unknown",
        action="store_true",
        help="build into a folder holding files blogsite did not write, keeping them",
    )

    p = add("serve", "Preview the site with live reload; drafts are shown.")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")

    add("check", "Build in memory and report problems (broken links, invalid feeds).")

    p = add("import", "Bring a Blogger or WordPress export, or a Jekyll, Hugo, Pelican or Zola site, "
            "into posts/, pages/, comments/ and static/.")
    p.add_argument("source", metavar="FILE-OR-DIR",
                   help="a Blogger or WordPress export file, or the other site's folder")
    p.add_argument("--no-images", action="store_true", help="leave image links as they are, copy nothing")
    p.add_argument("--force", action="store_true", help="overwrite files edited since the last import")

    p = add("deploy", "Upload what changed in the output folder to the [deploy.*] targets.")
    p.add_argument("--dry-run", action="store_true", help="list what would change, change nothing")
    p.add_argument(
        "--target", action="append", default=[], metavar="NAME",
        help="only this [deploy.NAME] target; repeatable (default: every target)",
    )

    p = add("publish", "Build, deploy, verify live, and announce new posts.")
    p.add_argument("--dry-run", action="store_true", help="show what would be sent, send nothing")
    p.add_argument(
        "--post", action="append", default=[], metavar="SLUG", help="announce this post, whatever its age"
    )
    p.add_argument(
        "--network",
        action="append",
        default=[],
        metavar="NAME",
        help="only this network (x, mastodon, bluesky); repeatable",
    )
    p = add("replies", "Fetch replies, likes and reposts of announced posts into comments/.")
    p.add_argument("--dry-run", action="store_true", help="show what arrived, write nothing")
    p.add_argument(
        "--post", action="append", default=[], metavar="SLUG",
        help="only this post, however long ago it was announced; repeatable",
    )
    p.add_argument(
        "--network", action="append", default=[], metavar="NAME",
        help="only this network (x, mastodon, bluesky); repeatable",
    )
    p.add_argument(
        "--approve", action="append", default=[], metavar="ID",
        help="approve the held reply with this id (fetches nothing); repeatable",
    )
    return parser


def _config() -> Config:
    """The site of the working folder or of the nearest parent holding a site.toml (as
    git and hugo find theirs); the command then runs in the site's folder."""
    from blogsite.config import find_site, load_config

    root = find_site(Path.cwd())
    if root != Path.cwd().resolve():
        os.chdir(root)
    return load_config(root)


def cmd_init(args: argparse.Namespace) -> int:
    from blogsite.scaffold import create_site

    target = create_site(Path(args.dir))
    print(f"Created a new site in {target}")
    print(f"Next: cd {args.dir} && blogsite serve")
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from blogsite.scaffold import new_post

    tags = [t.strip() for value in args.tags for t in value.split(",") if t.strip()]
    if args.page and tags:
        raise UsageError(Problem("blogsite new", "a page has no tags", "leave out --tags"))
    config = _config()
    now = datetime.now(config.zone).replace(microsecond=0)
    path = new_post(
        config, args.title, draft=args.draft, now=now, tags=tags, slug=args.slug, page=args.page
    )
    if args.draft and not args.page:
        from blogsite.publish.drafts import note_new_draft
        from blogsite.publish.ledger import LEDGER_FILE

        if note_new_draft(config, path, args.title, now):
            print(f"noted as a draft in {LEDGER_FILE}: announced whenever it goes public "
                  "(commit both files)", file=sys.stderr)
    print(path)
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from blogsite.build import build_site
    from blogsite.build.options import BuildOptions
    from blogsite.config import placeholder_url
    from blogsite.errors import count, display_path

    config = _config()
    options = BuildOptions.from_env(os.environ)
    placeholder = placeholder_url(config)
    if placeholder is not None and args.strict:
        raise BlogsiteError(placeholder.as_error())
    result = build_site(
        config, output=args.output, include_drafts=args.drafts, strict=args.strict,
        keep_unknown=args.keep_unknown, options=options,
    )
    if options.timings and result.laps:
        print(result.timings(), file=sys.stderr)
    report([*([placeholder] if placeholder else []), *result.warnings])
    print(
        f"Built {count(len(result.site.posts), 'post')}, {count(result.written, 'file')} into "
        f"{display_path(result.output or config.output_dir(args.output))}/ in {result.seconds:.2f} s"
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from blogsite.serve import serve

    serve(_config(), host=args.host, port=args.port)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from blogsite.check import check_site

    problems = check_site(_config())
    if any(not p.warning for p in problems):
        raise BlogsiteError(problems)
    report(problems)
    print("No problems found." if not problems else "No errors found.")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from blogsite.importers.ssg import import_site, report_lines
    from blogsite.importers.ssg.writer import WriteOptions

    source = Path(args.source)
    if source.is_file():
        from blogsite.importers.exports import run_import

        result = run_import(_config(), source, images=not args.no_images, force=args.force)
        print(result.render())
        return 0
    if not source.is_dir():
        raise BlogsiteError(Problem(
            str(source), "does not exist",
            "give a Blogger or WordPress export file, or the folder of a Jekyll, Hugo, Pelican or "
            "Zola site",
        ))
    config = _config()
    report_ = import_site(source, config, WriteOptions(force=args.force, images=not args.no_images))
    for line in report_lines(report_):
        print(line)
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    from blogsite.deploy.command import deploy

    deploy(_config(), names=args.target, dry_run=args.dry_run,
           echo=lambda line: print(line, flush=True))
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from blogsite.publish.flow import publish

    result = publish(
        _config(),
        dry_run=args.dry_run,
        slugs=args.post,
        networks=args.network,
        echo=lambda line: print(line, flush=True),
    )
    return 1 if result.failed else 0


def cmd_replies(args: argparse.Namespace) -> int:
    from blogsite.replies import approve, fetch_replies

    def echo(line: str) -> None:
        print(line, flush=True)

    config = _config()
    if args.approve:
        approve(config, args.approve, echo)
        return 0
    report = fetch_replies(
        config, networks=args.network, slugs=args.post, dry_run=args.dry_run, echo=echo
    )
    return 1 if report.failed else 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "init": cmd_init,
    "new": cmd_new,
    "build": cmd_build,
    "serve": cmd_serve,
    "check": cmd_check,
    "import": cmd_import,
    "deploy": cmd_deploy,
    "publish": cmd_publish,
    "replies": cmd_replies,
}


def _chdir(folder: str | None) -> None:
    if folder is None:
        return
    try:
        os.chdir(folder)
    except OSError as exc:
        raise UsageError(
            Problem(folder, f"-C {folder}: {exc.strerror}", "give the folder of your site")
        ) from None


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    started_in = os.getcwd()
    try:
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return 2
        _chdir(args.chdir)
        return COMMANDS[args.command](args)
    except BlogsiteError as exc:
        report(exc.problems)
        return exc.exit_code
    except KeyboardInterrupt:
        from blogsite.interrupt import announced

        print("interrupted", file=sys.stderr)
        announced()
        return 130
    except BrokenPipeError:
        return 1
    finally:
        os.chdir(started_in)  # -C and a site found in a parent folder: for callers in-process


def run() -> None:
    """The `blogsite` command: main(), then exit at once. Tearing down the heap of a large
    site (tens of thousands of objects, freed one by one) would add a tenth of a second to
    every build, for nothing: files are closed and the cache committed by then."""
    from blogsite.interrupt import install

    install()
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, OSError):
        code = code or 1
    os._exit(code)
