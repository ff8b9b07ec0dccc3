"""Per-cell timings and the torch.profiler pass of `python -m repgeom run`."""
import json

import nbformat
import pytest

from repgeom.book.profiling import cell_times, label_of, profile_around


def _notebook(*sources, stamps=None):
    cells = [nbformat.v4.new_markdown_cell("# A chapter")]
    cells += [nbformat.v4.new_code_cell(src) for src in sources]
    for cell, (start, end) in zip(cells[1:], stamps or []):
        cell.metadata["execution"] = {"iopub.execute_input": start, "shell.execute_reply": end}
    return nbformat.v4.new_notebook(cells=cells)


def test_label_is_the_first_comment_else_the_first_line():
    assert label_of("%matplotlib inline\n\n# Train the networks\nfit()") == "Train the networks"
    assert label_of("x = load()\ny = 2") == "x = load()"
    assert label_of("") == "(empty)"
    assert label_of("# " + "a" * 100, width=10) == "a" * 9 + "…"


def test_cell_times_slowest_first_and_only_executed_code_cells():
    nb = _notebook("# fast\n1", "# slow\n2", "# never ran\n3", stamps=[
        ("2026-11-25T10:00:00.000000Z", "2026-11-25T10:00:01.500000Z"),
        ("2026-11-25T10:00:01.600000Z", "2026-11-25T10:00:31.600000Z"),
    ])
    times = cell_times(nb)
    assert [(t.index, t.label) for t in times] == [(2, "slow"), (1, "fast")]
    assert times[0].seconds == pytest.approx(30.0) and times[1].seconds == pytest.approx(1.5)


def test_profile_around_writes_the_operator_table_and_trace(tmp_path):
    nb = _notebook("import torch\na = torch.randn(64, 64)", "# the step\nb = a @ a", "c = b.sum()")
    out = profile_around(nb, 2, tmp_path / "step", top=5, trace=True)
    sources = [c.source for c in nb.cells if c.cell_type == "code"]
    assert len(sources) == 5 and sources[2] == "# the step\nb = a @ a"
    namespace: dict = {}
    for src in sources:          # what the kernel does, in one namespace
        exec(src, namespace)
    table = out.table.read_text()
    assert "aten::mm" in table and "Self CPU" in table
    assert "aten::sum" not in table          # the cell after the profiled one is not in it
    assert json.loads(out.trace.read_text())["traceEvents"]


def test_no_trace_unless_asked(tmp_path):
    nb = _notebook("import torch", "b = torch.ones(3) * 2")
    out = profile_around(nb, 2, tmp_path / "step")
    namespace: dict = {}
    for cell in nb.cells[1:]:
        exec(cell.source, namespace)
    assert out.trace is None and out.table.is_file() and not (tmp_path / "step.json").exists()


@pytest.mark.parametrize("index, match", [(0, "not a code cell"), (9, "not a code cell")])
def test_profile_around_rejects_cells_that_are_not_code(tmp_path, index, match):
    with pytest.raises(ValueError, match=match):
        profile_around(_notebook("1"), index, tmp_path / "x")


def test_peak_memory_reads_the_resident_set():
    import resource

    from repgeom.book.profiling import peak_memory

    text = peak_memory("cpu")
    mb = float(text.split(" MB")[0].replace(",", ""))
    assert text.endswith("MB of host memory") and "GPU" not in text
    assert abs(mb - resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024) <= 1  # Linux: kB
