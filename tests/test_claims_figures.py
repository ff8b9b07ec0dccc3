import json

import matplotlib.pyplot as plt
import pytest

from repgeom.book import claims, figures
from repgeom.book.chapter import ChapterRun, params_table


def _claim(i, assert_at=("quick", "full")):
    return claims.Claim(f"c{i}", "Fig. 1", f"statement {i}", "0.9", assert_at)


def test_board_verdicts_table_and_scorecard(tmp_path):
    board = claims.ClaimBoard("demo", "quick", data="stand-in")
    board.record(_claim(1), "0.91", True)
    board.record(_claim(2, ("full",)), "0.40", False, note="needs full scale")
    board.record(_claim(3, ("full",)), "0.70", False, partly=True)
    board.record(_claim(4, ("full",)), "-", None)
    assert list(board.frame()["verdict"]) == ["reproduced", "not reproduced", "partly", "not run"]
    board.check()  # only c1 is asserted at quick, and it holds
    board.write(tmp_path)
    outcomes = claims.load_outcomes("quick", tmp_path)
    assert len(outcomes) == 4 and set(outcomes["chapter"]) == {"demo"}
    counts = claims.verdict_counts(outcomes)
    assert counts.loc["all chapters"].tolist() == [1, 1, 1, 0, 1]


def test_failed_expected_claim_raises_with_its_id():
    board = claims.ClaimBoard("demo", "quick")
    board.record(_claim(1), "0.1", False)
    with pytest.raises(AssertionError, match="c1: ours 0.1 vs paper 0.9"):
        board.check()


def test_claim_argument_errors():
    board = claims.ClaimBoard("demo", "quick")
    board.record(_claim(1), "x", True)
    with pytest.raises(ValueError, match="already recorded"):
        board.record(_claim(1), "x", True)
    with pytest.raises(ValueError, match="partly"):
        board.record(_claim(2), "x", True, partly=True)
    with pytest.raises(ValueError, match="unknown profile"):
        claims.Claim("a", "b", "c", "d", assert_at=("medium",))


def test_empty_scorecard(tmp_path):
    outcomes = claims.load_outcomes("quick", tmp_path)
    assert outcomes.empty
    assert claims.verdict_counts(outcomes).loc["all chapters"].sum() == 0


def test_save_figure_writes_png_pdf_and_provenance():
    run = ChapterRun.start("demo_chapter", seed=3)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    record = run.save_figure(fig, "fig-demo-line", "A line.")
    plt.close(fig)
    for ext in ("png", "pdf"):
        with open(record.files[ext], "rb") as fh:
            assert fh.read(4) in (b"\x89PNG", b"%PDF")
    sidecar = json.loads(open(record.files["png"].replace(".png", ".json")).read())
    assert sidecar["seeds"] == [3] and sidecar["profile"] == "quick" and sidecar["chapter"] == "demo_chapter"
    assert [r.label for r in figures.records()] == ["fig-demo-line"]
    entry = figures.gallery_entry(record, figures.figure_dir(), "Book", "https://example.org/book")
    assert "{download}`PDF <fig-demo-line.pdf>`" in entry and "@misc{repgeom-demo-line" in entry


@pytest.mark.parametrize("label", ["Fig-1", "demo", "fig_demo", "fig-", ""])
def test_bad_figure_labels(label):
    with pytest.raises(ValueError, match="figure label"):
        figures.check_label(label)


def test_run_header_declares_stand_ins(monkeypatch, tmp_path):
    from repgeom import data

    monkeypatch.setenv("REPGEOM_DATA", str(tmp_path))
    monkeypatch.setattr(data.offline, "DEBIAN_FASHION_MNIST", tmp_path / "absent")
    run = ChapterRun.start("demo")
    run.use_data(data.load("cifar10", "test", n=4).provenance)
    header = run.header()
    assert ":class: warning" in header and "cifar10/test → sklearn_digits/test" in header
    assert "stand-in for cifar10/test" in run.board.data


def test_params_table():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class P:
        width: int = 3
        n_train: int = 5
        shapes: tuple = (0,)
        normalized: bool = False
        lr: float = 0.001

    table = params_table(P(), labels={"width": "Hidden units"}).data
    assert "| Hidden units | 3 |" in table and "| Number of train | 5 |" in table
    assert "| Shapes | 0 |" in table and "| Normalized | no |" in table and "| Learning rate | 0.001 |" in table
    assert "(0,)" not in table and "False" not in table
    with pytest.raises(ValueError, match="dataclass"):
        params_table({"width": 3})
