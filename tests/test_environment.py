"""The install files agree with each other and with the verified pins."""
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + project["optional-dependencies"]["book"]
    return dict(re.match(r"^([A-Za-z0-9_.-]+)==(\S+)$", d).groups() for d in deps)


def test_every_dependency_is_pinned_exactly():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for name, deps in extras.items():
        loose = [d for d in deps if not re.match(r"^[A-Za-z0-9_.-]+==\S+$", d)]
        assert not loose, f"extra [{name}] has unpinned requirements: {loose}"
    pins = _pyproject_pins()
    assert pins["torch"] == "2.14.1" and pins["torchvision"] == "0.29.1"
    assert pins["jupyter-book"].startswith("1.")


def test_environment_yml_matches_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda_pins = dict(p.split("==") for p in pip if "==" in p)
    assert conda_pins == _pyproject_pins()
    assert "-e ." in pip


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()


def test_citation_cff_is_valid_yaml_with_required_keys():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    for key in ("cff-version", "message", "title", "authors", "version"):
        assert key in cff
    import repgeom

    assert str(cff["version"]) == repgeom.__version__


def test_cli_lists_and_rejects_bad_settings(monkeypatch):
    out = subprocess.run([sys.executable, "-m", "repgeom", "list"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    bad = subprocess.run([sys.executable, "-m", "repgeom", "list"], cwd=ROOT, capture_output=True, text=True,
                         env={"REPGEOM_PROFILE": "huge", "PATH": "/usr/bin:/bin"})
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "error: REPGEOM_PROFILE='huge' is not a profile; expected one of quick, full"]
