"""The S3 target (`url = "s3://bucket/prefix/"`), for AWS or any S3-compatible store.

Credentials come from the standard AWS chain only (environment, profile, instance role). What
is in the bucket is listed, and a file is uploaded only when the bucket has no object of the
same size and MD5 (the ETag of a single-part upload, which is how blogsite uploads). Order:
every other file first, then the pages (the home page last), then deletions: a page never
links to a file not uploaded yet, and a deploy cut short leaves the old site serving; the next
run, listing the bucket again, finishes the job.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from blogsite.deploy.plan import (
    DeployFailure,
    DeployPlan,
    DeployReport,
    LocalSite,
    Progress,
    html_last,
    plan_then_apply,
)
from blogsite.deploy.settings import DeploySection

FEEDS = {
    "rss.xml": "application/rss+xml; charset=utf-8",
    "atom.xml": "application/atom+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
}
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
}
CACHE_CONTROL = {
    "html": "public, max-age=300",
    "feeds": "public, max-age=300",
    "css": "public, max-age=3600",
    "js": "public, max-age=3600",
    "images": "public, max-age=86400",
    "fonts": "public, max-age=604800",
    "default": "public, max-age=3600",
}
FONTS = (".woff2", ".woff", ".ttf", ".otf", ".eot")
WORKERS = 8
# Above this many changed paths, one wildcard invalidation is cheaper than a list.
INVALIDATION_MAX = 1000


def content_type(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    if name in FEEDS:
        return FEEDS[name]
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix in TYPES:
        return TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name)
    if guessed is None:
        return "application/octet-stream" if suffix else "text/plain; charset=utf-8"
    return guessed


def kind_of(path: str) -> str:
    """The Cache-Control kind of a file: html, feeds, css, js, images, fonts or default."""
    name = path.rsplit("/", 1)[-1].lower()
    if name in FEEDS:
        return "feeds"
    ctype = content_type(path)
    for kind, test in (("html", ctype.startswith("text/html")), ("css", name.endswith(".css")),
                       ("js", name.endswith(".js")), ("images", ctype.startswith("image/")),
                       ("fonts", name.endswith(FONTS))):
        if test:
            return kind
    return "default"


def invalidation_paths(paths: list[str]) -> list[str]:
    """CloudFront paths for changed files: each file, and the folder URL of each index.html."""
    found: list[str] = []
    for path in paths:
        url = "/" + quote(path, safe="/-._~")
        found.append(url)
        if url.endswith("/index.html"):
            found.append(url[: -len("index.html")])
    unique = sorted(set(found))
    return ["/*"] if len(unique) > INVALIDATION_MAX else unique


def md5_of(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class S3Url:
    bucket: str
    prefix: str  # "" or "folder/"


def parse_s3_url(url: str) -> S3Url:
    bucket, _, prefix = url[len("s3://"):].partition("/")
    prefix = prefix.strip("/")
    return S3Url(bucket, prefix + "/" if prefix else "")


class S3Target:
    def __init__(self, section: DeploySection) -> None:
        self.section = section
        self.url = parse_s3_url(section.url)
        self.cache_control = {**CACHE_CONTROL, **dict(section.cache_control)}
        self._client: Any = None

    def close(self) -> None:
        self._client = None

    def client(self) -> Any:
        if self._client is None:
            self._client = _make_client(self.section)
        return self._client

    def _remote(self) -> dict[str, tuple[str, int]]:
        """What the bucket holds under the prefix: path -> (ETag, size)."""
        found: dict[str, tuple[str, int]] = {}
        pages = self.client().get_paginator("list_objects_v2").paginate(
            Bucket=self.url.bucket, Prefix=self.url.prefix)
        with s3_errors(self):
            for page in pages:
                for item in page.get("Contents", []):
                    rel = item["Key"][len(self.url.prefix):]
                    if rel and not rel.endswith("/"):
                        found[rel] = (item["ETag"].strip('"'), int(item["Size"]))
        return found

    def plan(self, site: LocalSite) -> DeployPlan:
        remote = self._remote()
        uploads: list[str] = []
        for path, local in site.files.items():
            there = remote.get(path)
            if there is None or there[1] != local.size:
                uploads.append(path)
            elif there[0] != md5_of((site.folder / path).read_bytes()):
                uploads.append(path)
        deletions = sorted(set(remote) - set(site.files))
        order = tuple(html_last(uploads))
        return DeployPlan(self.section.name, order, tuple(deletions),
                          len(site.files) - len(uploads), site.size_of(order))

    def _put(self, site: LocalSite, path: str) -> None:
        data = (site.folder / path).read_bytes()
        with s3_errors(self):
            self.client().put_object(
                Bucket=self.url.bucket, Key=self.url.prefix + path, Body=data,
                ContentType=content_type(path), CacheControl=self.cache_control[kind_of(path)],
                ContentMD5=base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest())
                .decode())

    def _delete(self, paths: list[str]) -> None:
        with s3_errors(self):
            answer = self.client().delete_objects(Bucket=self.url.bucket, Delete={
                "Objects": [{"Key": self.url.prefix + p} for p in paths], "Quiet": True})
        errors = answer.get("Errors") or []
        if errors:
            first = errors[0]
            raise DeployFailure(f"could not delete {first.get('Key')}: {first.get('Message')}",
                                "check that this identity may s3:DeleteObject in the bucket")

    def deploy(self, site: LocalSite, progress: Progress) -> DeployReport:
        return plan_then_apply(self, site, progress)

    def apply(self, site: LocalSite, plan: DeployPlan, progress: Progress) -> DeployReport:
        started = time.monotonic()
        progress.start(len(plan.uploads) + len(plan.deletions))
        pages = [p for p in plan.uploads if p.endswith(".html")]
        others = [p for p in plan.uploads if not p.endswith(".html")]
        home = [p for p in pages if "/" not in p]
        deeper = [p for p in pages if "/" in p]
        for group in (others, deeper, home):  # a page never links to a file not yet there
            _in_parallel(group, lambda path: self._put(site, path),
                         lambda path: progress.step("uploading", path))
        for start in range(0, len(plan.deletions), 1000):
            batch = list(plan.deletions[start:start + 1000])
            self._delete(batch)
            for path in batch:
                progress.step("deleting", path)
        note = self._invalidate([*plan.uploads, *plan.deletions])
        return DeployReport(self.section.name, self.section.shown_url, False, list(plan.uploads),
                            list(plan.deletions), plan.unchanged, plan.upload_bytes,
                            time.monotonic() - started, note=note)

    def _invalidate(self, changed: list[str]) -> str:
        distribution = self.section.cloudfront_distribution
        if not distribution or not changed:
            return ""
        paths = invalidation_paths(changed)
        with s3_errors(self, cloudfront=True):
            answer = _make_client(self.section, "cloudfront").create_invalidation(
                DistributionId=distribution, InvalidationBatch={
                    "Paths": {"Quantity": len(paths), "Items": paths},
                    "CallerReference": f"blogsite-{time.time_ns()}"})
        return f"CloudFront invalidation {answer['Invalidation']['Id']} of {len(paths)} path(s)"


def _in_parallel(paths: list[str], work: Callable[[str], None], done: Callable[[str], None]) -> None:
    """Run `work` on each path with a few threads; `done` runs in this thread, in order of
    completion. The first failure (or an interrupt) stops the rest from starting."""
    if not paths:
        return
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        pending: dict[Future[None], str] = {}
        queue = iter(paths)
        try:
            _fill(pool, pending, queue, work)
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    path = pending.pop(future)
                    future.result()
                    done(path)
                _fill(pool, pending, queue, work)
        finally:
            for future in pending:
                future.cancel()


def _fill(pool: ThreadPoolExecutor, pending: dict[Future[None], str], queue: Iterator[str],
          work: Callable[[str], None]) -> None:
    while len(pending) < WORKERS * 2:
        path = next(queue, None)
        if path is None:
            return
        pending[pool.submit(work, path)] = path


def _make_client(section: DeploySection, service: str = "s3") -> Any:
    try:
        import boto3
        from botocore.config import Config as BotoConfig
    except ImportError:
        raise DeployFailure("boto3 is not installed", "pip install boto3") from None
    session = boto3.session.Session()
    if session.get_credentials() is None:
        raise DeployFailure(
            "no AWS credentials found",
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) in the environment, "
            "or run where an instance role applies; credentials never go in site.toml")
    options: dict[str, Any] = {"retries": {"max_attempts": 3, "mode": "standard"},
                               "connect_timeout": 10, "read_timeout": 60}
    if section.endpoint and service == "s3":
        # S3-compatible stores: bucket in the path, and only the checksums S3 always had.
        options.update(s3={"addressing_style": "path"}, request_checksum_calculation="when_required",
                       response_checksum_validation="when_required")
    return session.client(service, endpoint_url=(section.endpoint or None) if service == "s3" else None,
                          region_name=section.region or None, config=BotoConfig(**options))


@contextmanager
def s3_errors(target: S3Target, cloudfront: bool = False) -> Iterator[None]:
    """Turns botocore's exceptions into DeployFailure with the fix."""
    try:
        yield
    except DeployFailure:
        raise
    except Exception as exc:  # noqa: BLE001 - every botocore error becomes a message
        raise translate(exc, target.url, target.section, cloudfront) from None


def translate(exc: Exception, url: S3Url, section: DeploySection, cloudfront: bool) -> DeployFailure:
    from botocore import exceptions as bx

    where = section.endpoint or "S3"
    if isinstance(exc, bx.NoCredentialsError):
        return DeployFailure("no AWS credentials found", "set AWS_ACCESS_KEY_ID and "
                             "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE); never in site.toml")
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError)):
        return DeployFailure(f"cannot reach {where}",
                             "check endpoint (and your network), then deploy again")
    if not isinstance(exc, bx.ClientError):
        return DeployFailure(f"{type(exc).__name__}: {exc}", "deploy again; the old site still serves")
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return _client_error(code, str(exc.response.get("Error", {}).get("Message", "")), url, cloudfront)


def _client_error(code: str, message: str, url: S3Url, cloudfront: bool) -> DeployFailure:
    bucket = url.bucket
    if cloudfront:
        return DeployFailure(f"the files are online, but the CloudFront invalidation failed "
                             f"({code}: {message})",
                             "check cloudfront_distribution and that this identity may "
                             "cloudfront:CreateInvalidation; or wait for the cache to expire")
    known = {
        "NoSuchBucket": (f"the bucket {bucket} does not exist",
                         f"create it (aws s3 mb s3://{bucket}) or fix the bucket name in url"),
        "InvalidAccessKeyId": ("the S3 service does not know this access key",
                               "check AWS_ACCESS_KEY_ID (or the profile in AWS_PROFILE)"),
        "SignatureDoesNotMatch": ("the secret key does not match the access key",
                                  "check AWS_SECRET_ACCESS_KEY (or the profile in AWS_PROFILE)"),
        "AccessDenied": (f"permission denied on the bucket {bucket}",
                         "allow this identity s3:ListBucket, s3:PutObject and s3:DeleteObject on it"),
        "ExpiredToken": ("the AWS session token has expired", "get new credentials, then deploy again"),
    }
    if code in known:
        return DeployFailure(*known[code])
    return DeployFailure(f"the S3 service refused: {code}: {message}",
                         "deploy again; if it keeps failing, check the bucket's settings")
