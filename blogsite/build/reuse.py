"""The key phase: every output's key, the last build's where it cannot have changed.

Two builds of the same site structure (all but the posts' bodies) differ only in bodies: a
page keeps its key unless it shows a post that changed (its deps say which). The other
keys are computed."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from blogsite.build.keys import GROUP_BITS, GROUPS, Fingerprints, plain_groups
from blogsite.build.manifest import FileEntry, Idents, KeyedFrom, LastGraph
from blogsite.build.posts import groups_of, read_stored
from blogsite.build.store import Store, digest
from blogsite.post import Post, source_of
from blogsite.site import Site

if TYPE_CHECKING:
    from blogsite.build.inputs import Inputs
    from blogsite.render import Output, Renderer


@dataclass(frozen=True)
class Graph:
    """This build's site structure: its posts and pages (items) by path and identity
    (their cache record, or their field groups), and a digest of all but posts' bodies."""

    structure: str
    paths: list[str]
    idents: list[str]
    groups: list[dict[str, str]]
    index: dict[int, int]  # id(post) -> its position in items
    items: list[Post]
    fingerprints: Fingerprints

    def last(self, deps: dict[str, list[int]]) -> LastGraph:
        return LastGraph(self.structure, self.paths, self.idents, deps)


class Before(NamedTuple):
    """What the last build (or serve's last pass) leaves to reuse."""

    keys: dict[str, str | None]  # by output path
    graph: LastGraph | None


@dataclass
class Keying:
    keys: list[str | None]  # by output
    deps: list[list[int] | None]  # by output: the posts its key covers (post * 64 + groups)
    before: Before = field(default_factory=lambda: Before({}, None))
    graph: Graph | None = None
    changed: dict[int, int] | None = None  # posts changed since, if the structure is the same
    keyed: int = 0  # keys computed (the others were reused)


def key_all(
    outputs: list[Output], site: Site, renderer: Renderer, inputs: Inputs, before: Before,
    store: Store | None,
) -> Keying:
    """Every output's key: the last build's where none of the posts it shows changed,
    computed for the others."""
    keying = Keying([None] * len(outputs), [None] * len(outputs), before)
    graph = keying.graph = graph_of(site, renderer, inputs)
    keying.changed = changed_posts(before.graph, graph, store)
    last_deps = before.graph.deps if before.graph is not None and keying.changed is not None else {}
    todo = []
    for i, out in enumerate(outputs):
        if out.source is not None:
            d = inputs.files.get(str(out.source))
            keying.keys[i] = f"copy:{d}" if d else None
        elif out.key is not None:
            key, deps = before.keys.get(out.path), last_deps.get(out.path)
            if key is not None and deps is not None and not affected(deps, keying.changed):
                keying.keys[i], keying.deps[i] = key, deps
            else:
                todo.append(i)
    # In this process: keying over workers saved nothing at 10,000 posts (a new post).
    for i in todo:
        keying.keys[i], keying.deps[i] = key_of(outputs[i], graph)
    keying.keyed = len(todo)
    graph.fingerprints.forget()  # its memos: not needed to render, large at 100,000 posts
    return keying


def graph_of(site: Site, renderer: Renderer, inputs: Inputs) -> Graph:
    items = [*site.all_posts, *site.pages]
    paths = [source_of(p) for p in items]
    if not renderer.reads_source():
        # Named from the site's folder: the same site cloned elsewhere (a CI checkout in
        # a folder of its own) has the same structure, so keeps its keys.
        base = os.path.join(str(site.config.root), "")
        paths = [p[len(base):] if p.startswith(base) else p for p in paths]
    groups = [plain_groups(p) for p in items]
    # What a post is: its cache record (whose field groups the store keeps), or for a post
    # that could not be stored, its field groups themselves.
    idents = [
        p.stored.key if p.stored else "u:" + ",".join(g[name] for name in GROUPS)
        for p, g in zip(items, groups, strict=True)
    ]
    parts = [inputs.settings, *inputs.others]
    for p, path, ident, g in zip(items, paths, idents, groups, strict=True):
        # Pages whole (they are in every page's globals); posts but their bodies.
        parts.append(f"{path}\0{ident if p.is_page else g['meta']}\0{p.url}\0{site.is_published(p)}")
    return Graph(
        digest("\n".join(parts).encode("utf-8", "surrogateescape")), paths, idents, groups,
        {id(p): i for i, p in enumerate(items)}, items, renderer.fingerprints,
    )


def changed_posts(last: LastGraph | None, graph: Graph, store: Store | None) -> dict[int, int] | None:
    """None if the structure changed; else the posts that changed (their index) with the
    groups of fields that changed (GROUP_BITS)."""
    if last is None or (last.structure, last.paths) != (graph.structure, graph.paths):
        return None
    if len(last.idents) != len(graph.idents):
        return None
    changed = {i: a for i, (a, b) in enumerate(zip(last.idents, graph.idents, strict=True)) if a != b}
    # Which field groups changed: the old post's are in its record, still in the store.
    stored = read_stored(store, list(changed.values())) if changed else {}
    bits: dict[int, int] = {}
    for i, ident in changed.items():
        before, after = groups_of(ident, stored), graph.groups[i]
        bits[i] = sum(
            GROUP_BITS[g] for g in GROUPS if before is None or before.get(g) != after.get(g)
        )
    return bits


def affected(deps: list[int], changed: dict[int, int] | None) -> bool:
    """Whether a page keyed from `deps` (post index * 64 + groups) shows a change."""
    if changed:
        for dep in deps:
            bits = changed.get(dep >> 6)
            if bits is not None and bits & dep:
                return True
    return False


def key_of(out: Output, graph: Graph) -> tuple[str | None, list[int] | None]:
    """A page's key, and the posts it was made from (None with no key)."""
    assert out.key is not None  # pages with a key function only
    graph.fingerprints.last_deps = {}
    found = out.key()
    index = graph.index
    # Each post (its index) with the groups of its fields the key covers, in one int.
    deps = sorted(
        index[d] * 64 + bits for d, bits in graph.fingerprints.last_deps.items() if d in index
    )
    return found, deps if found is not None else None


def to_save(keying: Keying, entries: dict[str, FileEntry]) -> list[tuple[str, object]]:
    """What the next build reuses, by name in the store: the idents always (small), what
    each page was keyed from only when it changed (it rarely does), both apart from the
    manifest so that a build that finds nothing changed stays quick."""
    graph, last = keying.graph, keying.before.graph
    if graph is None:
        return []
    deps = {rel: d for rel, d in zip(entries, keying.deps, strict=True) if d is not None}
    found: list[tuple[str, object]] = [("idents", Idents(graph.structure, graph.idents))]
    if keying.changed is None or last is None or deps != last.deps:
        found.append(("graph", KeyedFrom(graph.structure, graph.paths, deps)))
    return found
