"""The architecture holds: import-linter's contracts in pyproject.toml (one-way imports
crawler -> pipelines -> archive, no Scrapy in the pure cores, no cycles), run as `make check`
does."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from tests.support import REPO

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_the_contracts_are_declared() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    kinds = {c["type"] for c in config["contracts"]}
    assert kinds == {"layers", "forbidden", "acyclic_siblings"}
    layers = next(c for c in config["contracts"] if c["type"] == "layers")
    assert layers["layers"] == ["crawler", "pipelines", "archive"]
    forbidden = next(c for c in config["contracts"] if c["type"] == "forbidden")
    assert {"archive", "pipelines.extract", "pipelines.relevance", "pipelines.dedup"} <= set(
        forbidden["source_modules"]
    )
    assert {"scrapy", "twisted"} <= set(forbidden["forbidden_modules"])


def test_every_contract_is_kept() -> None:
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert "0 broken" in done.stdout
