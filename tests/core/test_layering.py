"""The layering contracts of docs/architecture.md hold, and the tool that checks them in CI catches a new break."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
                          cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture(scope="module")
def copy_of_the_code(tmp_path_factory) -> Path:
    tree = tmp_path_factory.mktemp("layering")
    shutil.copytree(ROOT / "portal", tree / "portal", ignore=shutil.ignore_patterns("translations", "__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_code_keeps_its_layering(copy_of_the_code):
    run = lint_imports(copy_of_the_code)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


@pytest.mark.parametrize(("module", "source", "contract"), [
    # core reaching up into an area
    ("portal/core/leak.py", "from portal.recalls import services\n", "core imports no area"),
    # a lower area importing a higher one: a new cycle between recalls and ownership
    ("portal/ownership/leak.py", "from portal.recalls.models import RecallCampaign\n", "Areas depend downwards only"),
    # an area importing a face
    ("portal/warranty/leak.py", "import portal.console.dashboard\n", "Areas depend downwards only"),
])
def test_a_new_break_fails_the_check(copy_of_the_code, module, source, contract):
    leak = copy_of_the_code / module
    leak.write_text(source)
    try:
        run = lint_imports(copy_of_the_code)
    finally:
        leak.unlink()
    assert run.returncode != 0
    broken = run.stdout.split("Broken contracts", 1)[1]
    assert contract in broken and module.removesuffix(".py").replace("/", ".") in broken
