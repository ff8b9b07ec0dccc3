"""``python -m repgeom compare``: two runs' claims field by field, times aside."""
from __future__ import annotations

import copy
import json
import math

import pytest

from repgeom.__main__ import main
from repgeom.book.claims import Check, Claim, ClaimBoard
from repgeom.book.compare import MISSING, claim_files, compare_paths, diff_values


def _board(ours: str = "0.91", holds: bool = True) -> ClaimBoard:
    board = ClaimBoard("tiny", "quick", data="synthetic")
    board.record(Claim("a", "Fig. 1", "A holds.", "0.9", preconditions=("trained",)), ours, holds,
                 preconditions=[Check("trained", True, "99 %")])
    board.record(Claim("b", "Fig. 2", "B holds.", "yes"), "yes", None)
    return board


def _write(board: ClaimBoard, folder, wall: float):
    return board.write(folder, wall_time_s=wall, device="cpu")


def test_identical_runs_differ_only_in_time(tmp_path):
    a = _write(_board(), tmp_path / "a", 12.5)
    b = _write(_board(), tmp_path / "b", 80.0)
    assert json.loads(a.read_text())["wall_time_s"] != json.loads(b.read_text())["wall_time_s"]
    assert compare_paths(a, b) == ([], 1)
    assert compare_paths(tmp_path / "a", tmp_path / "b") == ([], 1)  # folders: claims/*.json below them


def test_a_changed_value_is_named_by_claim_id(tmp_path):
    a = _write(_board("0.91"), tmp_path / "a", 1.0)
    b = _write(_board("0.92", holds=False), tmp_path / "b", 1.0)
    diffs, n = compare_paths(a, b)
    where = {d.where: (d.old, d.new) for d in diffs}
    assert n == 1 and where == {"tiny.json: outcomes.id=a.ours": ("0.91", "0.92"),
                                "tiny.json: outcomes.id=a.verdict": ("reproduced", "not reproduced")}


def test_diff_values_leaves_ignores_order_and_types():
    old = {"x": 1, "commit": "abc", "nested": {"created": "2024", "v": [1.0, 2.0]}, "nan": float("nan")}
    new = {"x": 1.0, "commit": "def", "nested": {"created": "2025", "v": [1.0, 2.5, 3.0]}, "nan": math.nan}
    diffs = diff_values(old, new)
    assert [(d.where, d.old, d.new) for d in diffs] == [("nested.v[1]", 2.0, 2.5), ("nested.v[2]", MISSING, 3.0)]
    assert diff_values({"a": True}, {"a": 1})[0].where == "a"          # a boolean is not a number
    assert diff_values({"a": 1}, {"b": 1}) == diff_values({"a": 1}, {"b": 1})
    assert {d.where for d in diff_values({"a": 1}, {"b": 1})} == {"a", "b"}
    rows = [{"id": "p", "v": 1}, {"id": "q", "v": 2}]
    swapped = list(reversed(rows))
    assert [d.where for d in diff_values({"o": rows}, {"o": swapped})] == ["o (order)"]
    assert diff_values({"wall_time_s": 1}, {"wall_time_s": 2}, ignore=()) != []


def test_folders_with_a_chapter_on_one_side_only(tmp_path):
    _write(_board(), tmp_path / "a", 1.0)
    other = _board()
    other.chapter = "second"
    _write(_board(), tmp_path / "b", 1.0)
    _write(other, tmp_path / "b", 1.0)
    diffs, n = compare_paths(tmp_path / "a", tmp_path / "b")
    assert n == 1 and [d.where for d in diffs] == ["claims/second.json"] and diffs[0].old is MISSING
    assert list(claim_files(tmp_path / "b" / "claims")) == ["second.json", "tiny.json"]


def test_bad_paths(tmp_path):
    f = _write(_board(), tmp_path / "a", 1.0)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        compare_paths(f, tmp_path / "nothing.json")
    with pytest.raises(ValueError, match="two files or two folders"):
        compare_paths(f, tmp_path / "a")
    (tmp_path / "empty1").mkdir()
    (tmp_path / "empty2").mkdir()
    with pytest.raises(FileNotFoundError, match="no claims JSON"):
        compare_paths(tmp_path / "empty1", tmp_path / "empty2")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match="not readable JSON"):
        compare_paths(f, broken)


def test_command_exit_codes(tmp_path, capsys):
    a = _write(_board(), tmp_path / "a", 1.0)
    b = _write(_board(), tmp_path / "b", 2.0)
    assert main(["compare", str(a), str(b)]) == 0
    assert "identical: 1 claims file(s)" in capsys.readouterr().out
    payload = json.loads(b.read_text())
    changed = copy.deepcopy(payload)
    changed["outcomes"][1]["note"] = "different"
    b.write_text(json.dumps(changed))
    assert main(["compare", str(a), str(b)]) == 1
    out = capsys.readouterr().out
    assert "tiny.json: outcomes.id=b.note: '' -> 'different'" in out and "1 field(s) differ" in out
    assert main(["compare", str(a), str(tmp_path / "missing")]) == 2
    assert "error:" in capsys.readouterr().err
