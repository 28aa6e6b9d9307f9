"""`pip install .` (not editable) gives a working app: the wheel carries templates, static files
and the default bank."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .test_cli import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return next(out.glob("*.whl"))


@pytest.mark.slow
def test_wheel_contains_templates_static_files_and_the_bank(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (ROOT / "templates").glob("*.html"):
        assert f"quiz/templates/{template.name}" in names
    for asset in (ROOT / "static").iterdir():
        assert f"quiz/static/{asset.name}" in names
    assert "quiz/questions.yaml" in names
    assert not any(name.startswith("tests/") for name in names)


@pytest.mark.slow
def test_installed_wheel_validates_and_serves(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
        timeout=900,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUIZ_")}
    env["QUIZ_INSTANCE_PATH"] = str(tmp_path / "instance")
    quiz = str(venv / "bin" / "quiz")
    checked = subprocess.run(
        [quiz, "validate"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert checked.returncode == 0, checked.stderr
    assert "site-packages/quiz/questions.yaml" in checked.stdout

    port = free_port()
    server = subprocess.Popen(
        [quiz, "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert b"Start the assessment" in wait_for(f"http://127.0.0.1:{port}/", 60)
        assert b"--accent" in wait_for(f"http://127.0.0.1:{port}/static/style.css")
        assert b"htmx:afterSettle" in wait_for(f"http://127.0.0.1:{port}/static/app.js")
    finally:
        server.terminate()
        server.wait(10)
    assert (tmp_path / "instance" / "quiz.db").exists()
