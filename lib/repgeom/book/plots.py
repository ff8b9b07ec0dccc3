"""Plotting helpers the chapters share, drawn to the book's figure standard.

Each helper draws one kind of panel the papers use again and again: a grid of
panels in rows of at most three (:func:`panels`), mean ± s.d. curves over runs
(:func:`mean_sd`), a heat map with its colour bar (:func:`heatmap`, one bar
for a whole grid with :func:`shared_colorbar`), grouped bars with bootstrap
intervals (:func:`bars_ci`), a trained / untrained / baseline comparison
(:func:`compare_conditions`) and a picture without a colour scale
(:func:`picture`). They take matplotlib axes and plain arrays, never a model.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import matplotlib.axes
import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np

from repgeom import stats

from .figure_standard import MAX_PANELS_PER_ROW, PAGE_WIDTH_IN, PICTURE


def panels(
    n: int,
    *,
    ncols: int | None = None,
    panel_height: float = 2.3,
    width: float = PAGE_WIDTH_IN,
    sharex: bool = False,
    sharey: bool = False,
    **subplot_kw,
) -> tuple[matplotlib.figure.Figure, list[matplotlib.axes.Axes]]:
    """A figure of ``n`` panels in rows of at most three, at the book's width.

    Parameters
    ----------
    n : int
        Number of panels (≥ 1).
    ncols : int, optional
        Panels per row, at most 3 (default: ``min(n, 3)``).
    panel_height : float
        Height of one row, inches.
    width : float
        Figure width, inches (default: the book's column, 7 in).
    sharex, sharey : bool
        Passed to :func:`matplotlib.pyplot.subplots`.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : list of Axes
        ``n`` panels in reading order; unused grid cells are removed.
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive number of panels, got {n!r}")
    ncols = min(int(n), MAX_PANELS_PER_ROW) if ncols is None else ncols
    if not 1 <= ncols <= MAX_PANELS_PER_ROW:
        raise ValueError(f"ncols must lie in 1..{MAX_PANELS_PER_ROW} (the figure standard), got {ncols!r}")
    nrows = math.ceil(n / ncols)
    fig, grid = plt.subplots(nrows, ncols, figsize=(width, panel_height * nrows), squeeze=False,
                             sharex=sharex, sharey=sharey, layout="constrained", **subplot_kw)
    flat = list(grid.ravel())
    for ax in flat[n:]:
        fig.delaxes(ax)
    return fig, flat[:n]


def mean_sd(
    ax: matplotlib.axes.Axes,
    x: Sequence[float] | np.ndarray,
    runs: np.ndarray,
    *,
    label: str | None = None,
    color=None,
    alpha: float = 0.25,
    **line_kw,
):
    """Draw the mean over runs as a line and ± one standard deviation as a band.

    Parameters
    ----------
    ax : Axes
    x : array, shape (points,)
    runs : array, shape (runs, points)
        One row per run (network, seed); a 1-D array is one run (no band).
    label, color : optional
        Legend label and colour of the line.
    alpha : float
        Opacity of the band.

    Returns
    -------
    matplotlib.lines.Line2D
        The mean line.
    """
    x = np.asarray(x, dtype=float)
    values = np.atleast_2d(np.asarray(runs, dtype=float))
    if values.shape[1] != x.shape[0]:
        raise ValueError(f"runs must have shape (runs, {x.shape[0]}) to match x, got {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError("runs contains NaN or Inf")
    mean = values.mean(axis=0)
    (line,) = ax.plot(x, mean, label=label, color=color, **line_kw)
    if values.shape[0] > 1:
        sd = values.std(axis=0, ddof=1)
        ax.fill_between(x, mean - sd, mean + sd, color=line.get_color(), alpha=alpha, linewidth=0)
    return line


def heatmap(
    ax: matplotlib.axes.Axes,
    matrix: np.ndarray,
    *,
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    colorbar: str | None = None,
    **imshow_kw,
):
    """Draw a matrix as a heat map; with ``colorbar`` (its label) also a colour bar beside it.

    Parameters
    ----------
    ax : Axes
    matrix : array, shape (rows, columns)
    cmap : str
    vmin, vmax : float, optional
        Colour limits (give both when several heat maps share one colour bar).
    colorbar : str, optional
        Label of a colour bar for this panel alone, in words with units.

    Returns
    -------
    matplotlib.image.AxesImage
    """
    values = np.asarray(matrix, dtype=float)
    if values.ndim != 2 or values.size == 0:
        raise ValueError(f"matrix must be a non-empty 2-D array, got shape {values.shape}")
    image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest",
                      aspect=imshow_kw.pop("aspect", "auto"), **imshow_kw)
    if colorbar is not None:
        ax.figure.colorbar(image, ax=ax, label=colorbar, shrink=0.9)
    return image


def shared_colorbar(fig: matplotlib.figure.Figure, image, axes: Sequence[matplotlib.axes.Axes], label: str):
    """One colour bar for several panels drawn with the same colour map and limits.

    Parameters
    ----------
    fig : Figure
    image : ScalarMappable
        One of the panels' images (all must share its colour map and limits).
    axes : sequence of Axes
        The panels the bar serves (the bar is placed beside them).
    label : str
        What the colour means, in words with units.
    """
    if not label or not label.strip():
        raise ValueError("label must say what the colour means, got an empty string")
    return fig.colorbar(image, ax=list(axes), label=label, shrink=0.9)


def picture(ax: matplotlib.axes.Axes, image: np.ndarray, *, title: str | None = None, cmap: str = "gray"):
    """Show an image (a sample, a filter) as a picture: no axes, no colour scale needed."""
    values = np.asarray(image)
    if values.ndim not in (2, 3) or values.size == 0:
        raise ValueError(f"image must have shape (height, width) or (height, width, 3), got {values.shape}")
    shown = ax.imshow(values, cmap=cmap if values.ndim == 2 else None, interpolation="nearest")
    shown.set_gid(PICTURE)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return shown


def bars_ci(
    ax: matplotlib.axes.Axes,
    groups: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    ylabel: str,
    level: float = 0.95,
    seed: int = 0,
    colors: Sequence | None = None,
):
    """Grouped bars of means with bootstrap confidence intervals, and the samples as dots.

    Parameters
    ----------
    ax : Axes
    groups : mapping group name -> (mapping condition name -> samples)
        E.g. ``{"layer 1": {"tanh": [...], "ReLU": [...]}}``; every group has the same conditions.
    ylabel : str
        What the bars measure, in words with units.
    level : float
        Confidence level of the percentile bootstrap (:func:`repgeom.stats.bootstrap_ci`).
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    dict
        ``{(group, condition): Interval}``, the intervals drawn.
    """
    if not groups:
        raise ValueError("groups must name at least one group, got none")
    conditions = list(next(iter(groups.values())))
    for name, by_condition in groups.items():
        if list(by_condition) != conditions:
            raise ValueError(f"group {name!r} has conditions {list(by_condition)}, expected {conditions}")
    palette = list(colors) if colors is not None else [f"C{i}" for i in range(len(conditions))]
    width = 0.8 / len(conditions)
    drawn = {}
    for g, (name, by_condition) in enumerate(groups.items()):
        for c, condition in enumerate(conditions):
            samples = np.asarray(by_condition[condition], dtype=float)
            x = g - 0.4 + width * (c + 0.5)
            if samples.size >= 2:
                ci = stats.bootstrap_ci(samples, level=level, seed=seed)
                err = [[ci.estimate - ci.low], [ci.high - ci.estimate]]
            else:
                ci = stats.Interval(float(samples.mean()), float("nan"), float("nan"), level)
                err = None
            drawn[name, condition] = ci
            ax.bar(x, ci.estimate, width=width * 0.9, color=palette[c], alpha=0.8,
                   label=condition if g == 0 else None, yerr=err, capsize=3)
            ax.scatter(np.full(samples.size, x), samples, s=8, color="black", zorder=3)
    ax.set_xticks(range(len(groups)), list(groups))
    ax.set_ylabel(ylabel)
    return drawn


def compare_conditions(
    ax: matplotlib.axes.Axes,
    x: Sequence[float] | np.ndarray,
    conditions: Mapping[str, np.ndarray],
    *,
    xlabel: str,
    ylabel: str,
    styles: Mapping[str, Mapping] | None = None,
):
    """Curves of one statistic under several conditions (trained, untrained, a random baseline).

    Parameters
    ----------
    ax : Axes
    x : array, shape (points,)
    conditions : mapping name -> array, shape (runs, points) or (points,)
        Drawn as mean ± s.d. in the mapping's order; the first is the main condition.
    xlabel, ylabel : str
        Axis labels in words with units.
    styles : mapping name -> line keyword arguments, optional
        E.g. ``{"random subspaces": {"color": "grey", "linestyle": "--"}}``.
    """
    if not conditions:
        raise ValueError("conditions must name at least one condition, got none")
    styles = styles or {}
    for name, runs in conditions.items():
        mean_sd(ax, x, runs, label=name, **dict(styles.get(name, {})))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
