"""Publishing: the Colab mirror is up to date, the workflow is valid, the config is consistent."""
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from repgeom.book import publish

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("chapter", publish.chapters(ROOT) or ["(no chapter yet)"])
def test_colab_mirror_is_up_to_date(chapter):
    if chapter == "(no chapter yet)":
        pytest.skip("no chapter in _toc.yml yet")
    path = ROOT / "notebooks" / f"{chapter}.ipynb"
    assert path.is_file(), f"missing {path}: run `python -m repgeom colab`"
    fresh = nbformat.writes(publish.colab_notebook(ROOT / "book" / f"{chapter}.md"))
    assert path.read_text() == fresh + "\n" or path.read_text() == fresh, (
        f"{path} is out of date with book/{chapter}.md: run `python -m repgeom colab`")


def test_mirror_has_install_cell_and_no_stale_notebooks(tmp_path):
    stale = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")} - set(publish.chapters(ROOT))
    assert not stale, f"notebooks/ has mirrors of chapters not in _toc.yml: {sorted(stale)}"
    md = tmp_path / "demo.md"
    md.write_text("---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
                  "kernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n# Demo\n\n"
                  "```{code-cell} python\nprint(1)\n```\n")
    nb = publish.colab_notebook(md)
    assert "git clone --depth 1 --branch v" in nb.cells[0].source
    assert nb.cells[-1].source == "print(1)"


def test_repository_url_matches_config():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["repository"]["url"] == publish.REPOSITORY
    assert config["launch_buttons"]["colab_url"] and config["launch_buttons"]["binderhub_url"]


def test_github_workflow_is_valid():
    exe = shutil.which("check-jsonschema") or str(Path(sys.executable).with_name("check-jsonschema"))
    out = subprocess.run([exe, "--builtin-schema", "vendor.github-workflows",
                          str(ROOT / ".github" / "workflows" / "book.yml")], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
