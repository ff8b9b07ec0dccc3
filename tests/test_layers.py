"""The package layers of DESIGN.md are enforced: import-linter keeps them, and breaks on a planted violation."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT.is_file(), reason="import-linter is not installed (pip install -e '.[book]')")


def _lint(lib: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(lib)}
    return subprocess.run([str(LINT), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=ROOT, env=env, capture_output=True, text=True)


def test_the_library_keeps_every_contract():
    result = _lint(ROOT / "lib")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("module, planted, contract", [
    ("measures/subspace.py", "from repgeom.models import convnets", "Layers"),
    ("book/tables.py", "from repgeom.measures import subspace", "The book's machinery imports no"),
    ("models/convnets.py", "from repgeom.book import figures", "import nothing of the book's machinery"),
    ("experiments/task_structure/params.py", "from repgeom.experiments import shared_geometry", "No experiment module"),
])
def test_a_planted_violation_breaks_its_contract(tmp_path, module, planted, contract):
    lib = tmp_path / "lib"
    shutil.copytree(ROOT / "lib" / "repgeom", lib / "repgeom", ignore=shutil.ignore_patterns("__pycache__"))
    target = lib / "repgeom" / module
    target.write_text(target.read_text() + f"\n{planted}  # planted by the test\n")
    result = _lint(lib)
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if line.rstrip().endswith("BROKEN")]
    assert any(contract in line for line in broken) or contract in result.stdout.split("Broken contracts")[-1], result.stdout
