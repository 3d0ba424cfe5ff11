"""Golden output: the example blog must build to exactly the files in tests/golden/example/.

After an intended change to the output, regenerate with BLOGSITE_UPDATE_GOLDEN=1 and review
the diff like any other code change.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.conftest import tree

GOLDEN = Path(__file__).parent / "golden" / "example"


def test_example_blog_matches_golden_output(make_site, cli):
    site = make_site("example")
    assert cli(site, "build").code == 0
    # Files copied as they are (the theme's static files, the site's static/ folder, the
    # icon at the root) are left out: golden files cover what blogsite generates.
    copied = {"favicon.ico", *tree(site / "static")}
    actual = {
        k: v for k, v in tree(site / "public").items()
        if not k.startswith("static/") and k not in copied
    }
    if os.environ.get("BLOGSITE_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel, data in actual.items():
            (GOLDEN / rel).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / rel).write_bytes(data)
    expected = tree(GOLDEN)
    assert sorted(actual) == sorted(expected)
    for rel in expected:
        assert actual[rel].decode() == expected[rel].decode(), rel
