"""Verdicts with preconditions and controls, and assertion only on the data a claim is calibrated on."""
import pytest

from repgeom.book import claims
from repgeom.book.chapter import ChapterRun
from repgeom.book.claims import Check, Claim, ClaimBoard
from repgeom.data import DataProvenance

FLOOR = "networks at or above 85 % accuracy"
CLAIM = Claim("trained-aligned", "Fig. 2", "trained layers are more aligned", "p < .05",
              assert_at=("quick",), preconditions=(FLOOR,), control="random subspaces of the same sizes")


def _record(board, holds=True, floor=True, beats=True, **kw):
    return board.record(CLAIM, "44.1° vs 45.0°", holds, preconditions=[Check(FLOOR, floor, "91 %")],
                        control=Check("random subspaces of the same sizes", beats, "gap 0.9° vs 0.2°"), **kw)


@pytest.mark.parametrize("holds, floor, beats, verdict", [
    (True, True, True, "reproduced"),
    (True, True, False, "inconclusive"),    # holds, but no better than its control
    (True, False, True, "inconclusive"),    # precondition failed
    (False, False, True, "inconclusive"),   # not testable here: never "not reproduced"
    (False, True, True, "not reproduced"),
    (None, True, True, "not run"),
])
def test_verdict_rules(holds, floor, beats, verdict):
    outcome = _record(ClaimBoard("demo", "quick", data_kind="fashion_mnist"), holds, floor, beats)
    assert outcome.verdict == verdict


def test_declared_preconditions_and_control_must_be_measured():
    board = ClaimBoard("demo", "quick")
    with pytest.raises(ValueError, match="declares preconditions"):
        board.record(CLAIM, "x", True, control=Check("random subspaces of the same sizes", True))
    with pytest.raises(ValueError, match="declares the control"):
        board.record(CLAIM, "x", True, preconditions=[Check(FLOOR, True)])
    plain = Claim("plain", "Fig. 1", "s", "p")
    with pytest.raises(ValueError, match="declares no control"):
        board.record(plain, "x", True, control=Check("other arm", True))
    with pytest.raises(ValueError, match="tuple of names"):
        Claim("a", "b", "c", "d", preconditions="one string")


def test_planted_failure_of_a_calibrated_claim_fails_the_build():
    board = ClaimBoard("demo", "quick", data_kind="fashion_mnist")
    outcome = _record(board, holds=False)
    assert outcome.expected
    with pytest.raises(AssertionError, match="trained-aligned"):
        board.check()


def test_an_inconclusive_calibrated_claim_fails_too():
    board = ClaimBoard("demo", "quick", data_kind="fashion_mnist")
    _record(board, floor=False)
    with pytest.raises(AssertionError, match="trained-aligned"):
        board.check()


@pytest.mark.parametrize("kind", ["mnist", "sklearn_digits", "fashion_mnist+cifar10"])
def test_the_same_failure_on_other_data_only_changes_the_page(kind, tmp_path):
    board = ClaimBoard("demo", "quick", data_kind=kind)
    outcome = _record(board, holds=False)
    assert not outcome.expected and outcome.verdict == "not reproduced"
    board.check()  # records, never raises
    board.write(tmp_path)
    row = claims.load_outcomes("quick", tmp_path).iloc[0]
    assert row["verdict"] == "not reproduced" and not row["asserted"]


def test_chapter_run_sets_the_data_kind_from_what_was_loaded():
    run = ChapterRun.start("demo_chapter")
    assert run.board.data_kind == "synthetic"
    run.use_data(DataProvenance("mnist/train", "fashion_mnist/train", "debian", 10, True, "offline"))
    run.use_data(DataProvenance("cifar10/test", "sklearn_digits/test", "sklearn", 10, True, "offline"))
    assert run.board.data_kind == "fashion_mnist+sklearn_digits"


def test_rendered_table_has_full_text_badges_and_no_index():
    board = ClaimBoard("demo", "quick", data_kind="fashion_mnist")
    long_note = "a note " * 40
    _record(board, beats=False, note=long_note)
    text = board.table().data
    assert "{bdg-secondary}`inconclusive`" in text
    assert long_note.strip() in text and "…" not in text
    assert "Control random subspaces of the same sizes: not beaten (gap 0.9° vs 0.2°)." in text
    header = text.splitlines()[0]
    assert header == "| Claim | Paper | This build | Verdict | Note |"


def test_scorecard_rows_put_the_headline_claim_first_and_count_verdicts(tmp_path):
    board = ClaimBoard("demo", "quick", data_kind="fashion_mnist")
    board.record(Claim("minor", "Fig. 4", "a detail", "p"), "x", False)
    board.record(Claim("main", "Fig. 2", "the headline", "p", headline=True), "y", True)
    board.write(tmp_path)
    outcomes = claims.load_outcomes("quick", tmp_path)
    rows = claims.chapter_rows(outcomes, "demo")
    assert list(rows["id"]) == ["main", "minor"]
    assert claims.counts_line(rows) == "1 reproduced · 1 not reproduced"
