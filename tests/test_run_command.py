"""``python -m repgeom run``: cells reported as they run, one line when a cell raises or the kernel dies.

Tiny notebooks executed by a real kernel (a few seconds each): one that prints and
shows a progress bar, one whose cell raises, one whose kernel dies (``os._exit``).
The command itself runs on a throw-away book checkout holding such a chapter.
"""
from __future__ import annotations

import io
import json
import os
import signal
import textwrap
import time
from pathlib import Path

import jupytext
import nbformat
import pytest

from repgeom.__main__ import main
from repgeom.book.execute import CellFailure, cell_heading, execute_notebook

HEADER = textwrap.dedent("""\
    ---
    jupytext:
      text_representation:
        extension: .md
        format_name: myst
    kernelspec:
      name: python3
      display_name: Python 3
    ---
    """)


def _chapter(*cells: str) -> str:
    """A MyST chapter: a heading, then one code cell per source."""
    body = ["# A tiny chapter", ""]
    for i, src in enumerate(cells):
        body += [f"## Step {i}", "", "```{code-cell} ipython3", src, "```", ""]
    return HEADER + "\n".join(body)


def _nb(*cells: str) -> nbformat.NotebookNode:
    return jupytext.reads(_chapter(*cells), fmt="md:myst")


PRINTS = ("# say hello\nprint('hello from the kernel')",
          "import sys, time\nfor i in range(3):\n    print(f'step {i}', file=sys.stderr, flush=True)\n"
          "    time.sleep(0.05)\nx = 41 + 1")
RAISES = ("value = 1", "# divide\nvalue / 0", "print('never')")
DIES = ("value = 1", "import os\nos._exit(3)", "print('never')")


def test_cells_are_reported_and_their_output_let_through(tmp_path, capsys):
    out = io.StringIO()
    nb = _nb(*PRINTS)
    result = execute_notebook(nb, tmp_path, out=out)
    text, err = out.getvalue(), capsys.readouterr().err
    assert result.ok and result.cells_run == 2 and result.seconds > 0
    assert "[1/2] cell 1: Step 0 · say hello" in text and "[2/2] cell 3: Step 1 · import sys, time" in text
    assert "cell 1 done in" in text and "cell 3 done in" in text
    assert "hello from the kernel" in text                     # the cell's stdout, as it arrived
    assert "step 0" in err and "step 2" in err                 # and its stderr (where progress bars go)
    assert nb.cells[1].outputs[0]["text"].strip() == "hello from the kernel"  # the notebook still gets them


def test_a_raising_cell_ends_in_one_line_and_keeps_the_cells_before(tmp_path):
    out = io.StringIO()
    nb = _nb(*RAISES)
    result = execute_notebook(nb, tmp_path, out=out)
    f = result.failure
    assert isinstance(f, CellFailure) and (f.index, f.kind) == (3, "error")
    assert f.message == "ZeroDivisionError: division by zero" and f.label == "Step 1 · divide"
    assert result.cells_run == 1 and "never" not in out.getvalue()
    line = f.line("tiny", "saved.ipynb")
    assert "\n" not in line and line.startswith("error: tiny stopped in cell 3 (Step 1 · divide)")
    assert "fix the error" in line and "saved.ipynb" in line
    assert nb.cells[1].get("execution_count") == 1 and not nb.cells[5].get("outputs")  # the last never ran


def test_a_dead_kernel_ends_in_one_line_naming_its_cell(tmp_path):
    out = io.StringIO()
    result = execute_notebook(_nb(*DIES), tmp_path, out=out)
    f = result.failure
    assert f is not None and (f.index, f.kind) == (3, "dead kernel") and result.cells_run == 1
    assert "kernel process died" in f.line("tiny") and "--save-notebook" in f.line("tiny")


class _CtrlC(io.StringIO):
    """Presses Ctrl-C (SIGINT to this process) when ``at`` is written."""

    def __init__(self, at: str):
        super().__init__()
        self.at = at

    def write(self, text: str) -> int:
        n = super().write(text)
        if self.at in text:
            os.kill(os.getpid(), signal.SIGINT)
        return n


def test_ctrl_c_interrupts_the_cell_and_says_so(tmp_path):
    out = _CtrlC("sleeping now")  # printed by the cell itself: the kernel is inside it when Ctrl-C comes
    started = time.perf_counter()
    cells = ("value = 1", "import time\nprint('sleeping now', flush=True)\ntime.sleep(60)", "print('never')")
    result = execute_notebook(_nb(*cells), tmp_path, out=out)
    f = result.failure
    assert time.perf_counter() - started < 50  # the sleeping cell was interrupted, not waited for
    assert f is not None and (f.index, f.kind) == (3, "interrupted") and result.cells_run == 1
    assert "interrupting the running cell" in out.getvalue() and "run again to continue" in f.line("tiny")


def test_heading_of_a_cell():
    nb = _nb("a = 1", "b = 2")
    assert cell_heading(nb, 0) == "" and cell_heading(nb, 1) == "Step 0" and cell_heading(nb, 3) == "Step 1"


@pytest.fixture
def book(tmp_path, monkeypatch):
    """A throw-away checkout: _config.yml, lib/repgeom, a toc with one chapter; cwd inside it."""
    root = tmp_path / "book-root"
    (root / "lib" / "repgeom").mkdir(parents=True)
    (root / "book").mkdir()
    (root / "_config.yml").write_text("title: tiny\n")
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: book/tiny\n")
    monkeypatch.chdir(root)
    return root


def test_run_command_saves_the_executed_cells_and_ends_in_one_line(book, capsys):
    (book / "book" / "tiny.md").write_text(_chapter(*RAISES))
    saved = book / "partial.ipynb"
    assert main(["run", "tiny", "--save-notebook", str(saved)]) == 1
    captured = capsys.readouterr()
    assert "[1/3] cell 1: Step 0 · value = 1" in captured.out and "cell 1 done in" in captured.out
    err_lines = [line for line in captured.err.splitlines() if line.strip() and "WARNING" not in line]
    assert len(err_lines) == 1 and "Traceback" not in captured.err  # one line, no traceback
    assert err_lines[0].startswith("error: tiny stopped in cell 3") and str(saved) in err_lines[0]
    nb = json.loads(saved.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code[0]["execution_count"] == 1 and code[1]["outputs"][-1]["ename"] == "ZeroDivisionError"
    assert not code[2]["outputs"]


def test_run_command_on_a_dead_kernel(book, capsys):
    (book / "book" / "tiny.md").write_text(_chapter(*DIES))
    assert main(["run", "tiny"]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip() and "WARNING" not in line]
    assert len(err) == 1 and "cell 3" in err[0] and "dead kernel" in err[0]


def test_run_command_success_lists_cells_and_times(book, capsys):
    (book / "book" / "tiny.md").write_text(_chapter(*PRINTS))
    assert main(["run", "tiny", "--slowest", "1"]) == 0
    out = capsys.readouterr().out
    assert "[2/2] cell 3" in out and "done in" in out and "slowest cells" in out
    assert Path(book / "tiny.ipynb").exists() is False  # nothing saved unless asked
