"""The figure standard (repgeom.book.figure_standard) and the shared plotting helpers (repgeom.book.plots)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from repgeom.book import figure_standard, figures, plots


@pytest.fixture(autouse=True)
def _style():
    figures.use_style()
    yield
    plt.close("all")


def _good_figure():
    fig, axes = plots.panels(3)
    for i, ax in enumerate(axes):
        ax.plot([0, 1], [0, i])
        ax.set_xlabel("training step")
        ax.set_ylabel("alignment")
    return fig


def test_good_figure_meets_the_standard():
    fig = _good_figure()
    fig.canvas.draw()
    assert figure_standard.problems(fig) == []
    figure_standard.check(fig)


def test_too_wide_too_many_panels_and_small_text_are_named():
    fig, axes = plt.subplots(1, 5, figsize=(15, 3))
    for ax in axes:
        ax.plot([0, 1], [0, 1])
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.tick_params(labelsize=5)
    fig.canvas.draw()
    found = " | ".join(figure_standard.problems(fig))
    assert "15.0 in wide" in found and "5 panels in one row" in found and "smaller than 8 pt" in found
    with pytest.raises(ValueError, match="figure standard"):
        figure_standard.check(fig, "fig-bad")


def test_missing_axis_label_is_found_but_shared_row_label_suffices():
    fig, axes = plots.panels(2, sharey=True)
    for ax in axes:
        ax.plot([0, 1], [0, 1])
        ax.set_xlabel("epoch")
    axes[0].set_ylabel("loss")
    fig.canvas.draw()
    assert figure_standard.problems(fig) == []  # the row has its y label
    axes[0].set_ylabel("")
    assert any("y axis has tick labels but no axis label" in p for p in figure_standard.problems(fig))


def test_colour_scale_needs_a_labelled_colour_bar_shared_bar_counts():
    fig, axes = plots.panels(2)
    images = [plots.heatmap(ax, np.eye(3), vmin=0, vmax=1) for ax in axes]
    for ax in axes:
        ax.set_xlabel("unit")
        ax.set_ylabel("unit")
    fig.canvas.draw()
    assert any("colour scale without a colour bar" in p for p in figure_standard.problems(fig))
    plots.shared_colorbar(fig, images[0], axes, "correlation")
    fig.canvas.draw()
    assert figure_standard.problems(fig) == []


def test_unlabelled_colour_bar_and_pictures():
    fig, axes = plots.panels(2)
    image = axes[0].imshow(np.eye(3))
    fig.colorbar(image, ax=axes[0])
    plots.picture(axes[1], np.zeros((4, 4, 3)))
    axes[0].set_xlabel("a")
    axes[0].set_ylabel("b")
    fig.canvas.draw()
    found = figure_standard.problems(fig)
    assert found == ["a colour bar has no label (say what the colour means, with units)"]


def test_panels_layout_and_bad_arguments():
    fig, axes = plots.panels(5)
    assert len(axes) == 5 and len(fig.axes) == 5
    assert fig.get_size_inches()[0] == pytest.approx(figure_standard.PAGE_WIDTH_IN)
    with pytest.raises(ValueError, match="ncols"):
        plots.panels(4, ncols=4)
    with pytest.raises(ValueError, match="n must be"):
        plots.panels(0)


def test_mean_sd_band_is_one_standard_deviation():
    fig, ax = plt.subplots(figsize=(4, 3))
    runs = np.array([[0.0, 1.0], [2.0, 3.0]])
    line = plots.mean_sd(ax, [0, 1], runs)
    np.testing.assert_allclose(line.get_ydata(), [1.0, 2.0])
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == pytest.approx(1.0 - np.sqrt(2)) and band.max() == pytest.approx(2.0 + np.sqrt(2))
    with pytest.raises(ValueError, match="runs must have shape"):
        plots.mean_sd(ax, [0, 1, 2], runs)
    with pytest.raises(ValueError, match="NaN"):
        plots.mean_sd(ax, [0, 1], np.array([[0.0, np.nan]]))


def test_bars_ci_match_the_bootstrap():
    from repgeom import stats

    fig, ax = plt.subplots(figsize=(4, 3))
    groups = {"layer 1": {"tanh": [1.0, 2.0, 3.0], "ReLU": [0.0, 0.5, 1.0]}}
    drawn = plots.bars_ci(ax, groups, ylabel="decoding accuracy")
    assert drawn["layer 1", "tanh"] == stats.bootstrap_ci([1.0, 2.0, 3.0], seed=0)
    with pytest.raises(ValueError, match="conditions"):
        plots.bars_ci(ax, {"a": {"x": [1, 2]}, "b": {"y": [1, 2]}}, ylabel="y")


def test_save_refuses_a_figure_off_the_standard(tmp_path):
    from repgeom.book.chapter import ChapterRun

    run = ChapterRun.start("demo_chapter", seed=1)
    fig, ax = plt.subplots(figsize=(12, 3))
    ax.plot([0, 1], [0, 1])
    with pytest.raises(ValueError, match="12.0 in wide"):
        run.publish_figure(fig, "fig-demo-wide", "Too wide.", paper=None, data=[])
    record = run.publish_figure(_good_figure(), "fig-demo-good", "Three lines, synthetic.", paper="Fig. 2", data=[])
    assert record.caption.startswith("Reproduces paper Fig. 2. ") and record.data == [] and record.order == 0
    assert "url          = {https://" in figures.bibtex(record, "Book", "https://example.org/book")
