"""The S3 target against a real SeaweedFS S3 gateway, through boto3."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from blogsite.config import load_config
from blogsite.deploy.command import deploy
from blogsite.deploy.plan import DeployReport
from blogsite.deploy.s3 import content_type, invalidation_paths, kind_of
from tests.deploy.conftest import build, changed, set_target, snapshot
from tests.deploy.servers import BUCKET, S3_KEY, S3_SECRET, Weed

_prefixes = itertools.count()


def objects(client, bucket: str, prefix: str = "") -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            body = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            found[item["Key"][len(prefix):]] = body
    return found


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The credential chain sees only what the test sets (no profile, no instance role)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", S3_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", S3_SECRET)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def bucket(blog: Path, weed: Weed, aws: None) -> str:
    """The prefix of this test in the session's bucket (the site's root there)."""
    prefix = f"site-{next(_prefixes)}/"
    set_target(blog, "bucket", f'url = "s3://{BUCKET}/{prefix}"\nendpoint = "{weed.endpoint}"\n'
                               'region = "us-east-1"\ncache_control = {html = "no-cache"}\n')
    return prefix


def run(blog: Path, **kwargs) -> DeployReport:
    lines: list[str] = []
    return deploy(load_config(blog), names=[], dry_run=kwargs.pop("dry_run", False),
                  echo=lines.append, **kwargs)[0]


def test_first_deploy_uploads_everything_with_types_and_cache_control(blog, weed, bucket, cli):
    result = cli(blog, "deploy")
    assert result.code == 0, result.err
    client = weed.client()
    assert objects(client, BUCKET, bucket) == snapshot(blog / "public")
    head = {key: client.head_object(Bucket=BUCKET, Key=bucket + key) for key in
            ("index.html", "rss.xml", "atom.xml", "feed.json", "images/réseaux-sociaux.svg",
             "sitemap.xml")}
    assert head["index.html"]["ContentType"] == "text/html; charset=utf-8"
    assert head["index.html"]["CacheControl"] == "no-cache"
    assert head["rss.xml"]["ContentType"] == "application/rss+xml; charset=utf-8"
    assert head["atom.xml"]["ContentType"] == "application/atom+xml; charset=utf-8"
    assert head["feed.json"]["ContentType"] == "application/feed+json; charset=utf-8"
    assert head["feed.json"]["CacheControl"] == "public, max-age=300"
    assert head["images/réseaux-sociaux.svg"]["ContentType"] == "image/svg+xml"
    assert head["sitemap.xml"]["CacheControl"] == "public, max-age=3600"
    again = cli(blog, "deploy")
    assert f"uploaded 0 file(s) (0 B), deleted 0, {len(snapshot(blog / 'public'))} unchanged" \
        in again.out


def test_a_one_post_edit_uploads_only_what_changed_html_last(blog, weed, bucket):
    run(blog)
    before = snapshot(blog / "public")
    post = blog / "posts" / "billet-03.md"
    post.write_text(post.read_text(encoding="utf-8") + "\nAjout.\n", encoding="utf-8")
    build(blog)
    written, _removed = changed(before, snapshot(blog / "public"))
    steps: list[tuple[str, str]] = []
    report = run(blog, on_step=lambda action, path: steps.append((action, path)))
    assert set(report.uploaded) == written
    assert report.unchanged == len(before) - len(written)
    assert objects(weed.client(), BUCKET, bucket) == snapshot(blog / "public")
    kinds = [path.endswith(".html") for _action, path in steps]
    assert kinds == sorted(kinds)  # every other file before any page
    if "index.html" in written:
        assert steps[-1][1] == "index.html"


def test_a_deleted_post_is_deleted_last_and_other_prefixes_are_left_alone(blog, weed, aws):
    client = weed.client()
    prefix = f"site-{next(_prefixes)}/"
    client.put_object(Bucket=BUCKET, Key=f"{prefix}autre/garder.txt", Body=b"pas au blog")
    set_target(blog, "bucket", f'url = "s3://{BUCKET}/{prefix}blog"\nendpoint = "{weed.endpoint}"\n')
    run(blog)
    before = snapshot(blog / "public")
    (blog / "posts" / "billet-05.md").unlink()
    build(blog)
    written, removed = changed(before, snapshot(blog / "public"))
    steps: list[tuple[str, str]] = []
    report = run(blog, on_step=lambda action, path: steps.append((action, path)))
    assert set(report.deleted) == removed and removed and set(report.uploaded) == written
    assert [a for a, _p in steps] == ["uploading"] * len(written) + ["deleting"] * len(removed)
    assert objects(client, BUCKET, f"{prefix}blog/") == snapshot(blog / "public")
    assert objects(client, BUCKET, f"{prefix}autre/") == {"garder.txt": b"pas au blog"}


def test_dry_run_changes_nothing_in_the_bucket(blog, weed, bucket, cli):
    run(blog)
    post = blog / "posts" / "billet-03.md"
    post.write_text(post.read_text(encoding="utf-8") + "\nAjout.\n", encoding="utf-8")
    (blog / "posts" / "billet-05.md").unlink()
    build(blog)
    stored = objects(weed.client(), BUCKET, bucket)
    result = cli(blog, "deploy", "--dry-run")
    assert result.code == 0, result.err
    assert objects(weed.client(), BUCKET, bucket) == stored
    assert "  upload posts/" not in result.out and "  delete " in result.out
    assert "would upload" in result.out


def test_a_deploy_killed_half_way_leaves_the_old_site_and_the_next_finishes(blog, weed, bucket):
    run(blog)
    client = weed.client()
    old = objects(client, BUCKET, bucket)
    (blog / "site.toml").write_text(
        (blog / "site.toml").read_text(encoding="utf-8").replace("Déploiements", "Autre titre"),
        encoding="utf-8")
    (blog / "posts" / "billet-05.md").unlink()
    build(blog)
    seen: list[str] = []

    def kill(action: str, path: str) -> None:
        seen.append(path)
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(blog, on_step=kill)
    now = objects(client, BUCKET, bucket)
    assert set(old) <= set(now)  # nothing deleted yet
    assert now["index.html"] == old["index.html"]  # the home page goes last
    run(blog)
    assert objects(client, BUCKET, bucket) == snapshot(blog / "public")


@pytest.mark.parametrize(
    ("setting", "message", "hint"),
    [
        ({"AWS_SECRET_ACCESS_KEY": "not-the-secret-at-all"}, "the secret key does not match",
         "AWS_SECRET_ACCESS_KEY"),
        ({"AWS_ACCESS_KEY_ID": "nobody-key"}, "does not know this access key", "AWS_ACCESS_KEY_ID"),
        ({"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None}, "no AWS credentials found",
         "never go in site.toml"),
        ({"bucket": "no-such-bucket"}, "the bucket no-such-bucket does not exist", "aws s3 mb"),
        ({"endpoint": "http://127.0.0.1:{closed}"}, "cannot reach http://127.0.0.1:", "endpoint"),
    ],
    ids=["wrong-secret", "wrong-key", "no-credentials", "missing-bucket", "unreachable"],
)
def test_usual_mistakes_are_clear_errors_without_secrets(blog, weed, aws, cli, monkeypatch,
                                                         setting, message, hint):
    from tests.deploy.servers import free_port

    endpoint = setting.get("endpoint", weed.endpoint).format(closed=free_port())
    prefix = f"site-{next(_prefixes)}/"
    name = setting.get("bucket", BUCKET)
    set_target(blog, "bucket", f'url = "s3://{name}/{prefix}"\nendpoint = "{endpoint}"\n')
    for var, value in setting.items():
        if var.startswith("AWS_"):
            if value is None:
                monkeypatch.delenv(var)
            else:
                monkeypatch.setenv(var, value)
    result = cli(blog, "deploy")
    assert result.code == 1 and "Traceback" not in result.err
    assert "[deploy.bucket]" in result.err and message in result.err and hint in result.err
    assert S3_SECRET not in result.err + result.out
    assert "not-the-secret-at-all" not in result.err + result.out
    assert objects(weed.client(), BUCKET, prefix) == {}


def test_content_types_and_cache_kinds():
    assert content_type("tags/musique/rss.xml") == "application/rss+xml; charset=utf-8"
    assert content_type("sitemap.xml") == "application/xml; charset=utf-8"
    assert content_type("data/other.json") == "application/json; charset=utf-8"
    assert content_type("robots.txt") == "text/plain; charset=utf-8"
    assert content_type("_redirects") == "text/plain; charset=utf-8"
    assert [kind_of(p) for p in ("a/index.html", "feed.json", "static/style.css", "app.js",
                                 "images/x.png", "fonts/a.woff2", "robots.txt")] == \
        ["html", "feeds", "css", "js", "images", "fonts", "default"]


def test_cloudfront_paths_name_each_file_and_each_page_folder():
    """CloudFront itself cannot run here; the paths it would be sent are checked."""
    assert invalidation_paths(["2024/05/réseaux-sociaux/index.html", "rss.xml"]) == [
        "/2024/05/r%C3%A9seaux-sociaux/", "/2024/05/r%C3%A9seaux-sociaux/index.html", "/rss.xml"]
    assert invalidation_paths([f"p{i}.html" for i in range(1001)]) == ["/*"]
