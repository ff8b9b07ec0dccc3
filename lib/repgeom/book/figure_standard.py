"""The book's figure standard: figures a reader can read at the book's width.

DESIGN.md ("Figures a reader can read"): the main column shows a figure about
7 inches wide, so a figure is at most :data:`MAX_WIDTH_IN` wide, its smallest
text is at least :data:`MIN_TEXT_PT` points, a row holds at most
:data:`MAX_PANELS_PER_ROW` panels, every colour scale has a colour bar and
every axis a label in words.

:func:`problems` lists what a figure breaks (empty when it meets the standard);
:func:`check` raises one ``ValueError`` naming all of it. :mod:`.figures`
checks every figure before saving it, so a figure off the standard cannot reach
the book.
"""
from __future__ import annotations

import matplotlib.axes
import matplotlib.figure
import numpy as np
from matplotlib.collections import QuadMesh
from matplotlib.image import AxesImage
from matplotlib.text import Text

#: The width of the book's main column, in inches (the width to draw figures at).
PAGE_WIDTH_IN = 7.0
#: The widest figure the standard allows, in inches.
MAX_WIDTH_IN = 7.5
#: The smallest text allowed, in points at the figure's own size.
MIN_TEXT_PT = 8.0
#: The most panels side by side.
MAX_PANELS_PER_ROW = 3
#: ``gid`` of an image that shows a picture (RGB photo, sample image), which needs no colour bar.
PICTURE = "repgeom-picture"


def _is_colorbar(ax: matplotlib.axes.Axes) -> bool:
    return ax.get_label() == "<colorbar>" or hasattr(ax, "_colorbar")


def _panels(fig: matplotlib.figure.Figure) -> list[matplotlib.axes.Axes]:
    """The visible data panels (no colour bars, no empty axes)."""
    return [ax for ax in fig.axes
            if ax.get_visible() and not _is_colorbar(ax)
            and (ax.axison or ax.images or ax.collections or ax.lines or ax.patches)]


def _rows(panels: list[matplotlib.axes.Axes]) -> list[list[matplotlib.axes.Axes]]:
    """Group panels into rows: panels whose vertical extents overlap by more than half share a row."""
    rows: list[list[matplotlib.axes.Axes]] = []
    for ax in sorted(panels, key=lambda a: -a.get_position().y1):
        box = ax.get_position()
        for row in rows:
            ref = row[0].get_position()
            overlap = min(box.y1, ref.y1) - max(box.y0, ref.y0)
            if overlap > 0.5 * min(box.height, ref.height):
                row.append(ax)
                break
        else:
            rows.append([ax])
    return rows


def _columns(panels: list[matplotlib.axes.Axes]) -> list[list[matplotlib.axes.Axes]]:
    cols: list[list[matplotlib.axes.Axes]] = []
    for ax in sorted(panels, key=lambda a: a.get_position().x0):
        box = ax.get_position()
        for col in cols:
            ref = col[0].get_position()
            overlap = min(box.x1, ref.x1) - max(box.x0, ref.x0)
            if overlap > 0.5 * min(box.width, ref.width):
                col.append(ax)
                break
        else:
            cols.append([ax])
    return cols


def _texts(fig: matplotlib.figure.Figure) -> list[Text]:
    """Every visible, non-empty text of the figure (titles, labels, tick labels, legends, annotations)."""
    found = []
    for artist in fig.findobj(Text):
        if not artist.get_visible() or not artist.get_text().strip():
            continue
        parent = artist.axes
        if parent is not None and not parent.get_visible():
            continue
        found.append(artist)
    return found


def _scale_mappables(ax: matplotlib.axes.Axes) -> list:
    """The colour-mapped artists of a panel that need a colour bar (pictures excepted)."""
    found = []
    for artist in list(ax.images) + list(ax.collections):
        if artist.get_gid() == PICTURE or not artist.get_visible():
            continue
        if isinstance(artist, AxesImage):
            data = artist.get_array()
            if data is not None and np.ndim(data) == 2:
                found.append(artist)
        elif isinstance(artist, QuadMesh):
            found.append(artist)
        elif getattr(artist, "get_array", None) is not None and artist.get_array() is not None \
                and np.size(artist.get_array()) > 1 and artist.get_gid() == "repgeom-scale":
            found.append(artist)
    return found


def _same_scale(a, b) -> bool:
    return a.cmap.name == b.cmap.name and np.allclose([a.norm.vmin, a.norm.vmax], [b.norm.vmin, b.norm.vmax])


def problems(fig: matplotlib.figure.Figure) -> list[str]:
    """What ``fig`` breaks of the book's figure standard (an empty list when nothing).

    Checks: width ≤ :data:`MAX_WIDTH_IN`; every text ≥ :data:`MIN_TEXT_PT`; at most
    :data:`MAX_PANELS_PER_ROW` panels per row; every colour-mapped image has a colour
    bar (its own or one of the same colour map and limits) and every colour bar a label;
    every panel that shows tick labels has an axis label on that axis, or one in its
    row (y) / column (x) for shared axes.
    """
    found = []
    width, _ = fig.get_size_inches()
    if width > MAX_WIDTH_IN + 1e-6:
        found.append(f"figure is {width:.1f} in wide, the standard allows at most {MAX_WIDTH_IN} in")
    small = sorted({(round(t.get_fontsize(), 1), t.get_text()[:25]) for t in _texts(fig)
                    if t.get_fontsize() < MIN_TEXT_PT - 1e-6})
    if small:
        found.append(f"{len(small)} text(s) smaller than {MIN_TEXT_PT:g} pt, e.g. "
                     + ", ".join(f"{text!r} at {size:g} pt" for size, text in small[:3]))
    panels = _panels(fig)
    widest = max((len(row) for row in _rows(panels)), default=0)
    if widest > MAX_PANELS_PER_ROW:
        found.append(f"{widest} panels in one row, the standard allows at most {MAX_PANELS_PER_ROW} (use rows)")
    colorbars = [ax._colorbar for ax in fig.axes if hasattr(ax, "_colorbar")]
    with_bar = [cb.mappable for cb in colorbars]
    for cb in colorbars:
        if not (cb.ax.get_ylabel().strip() or cb.ax.get_xlabel().strip()):
            found.append("a colour bar has no label (say what the colour means, with units)")
    for ax in panels:
        for m in _scale_mappables(ax):
            if m not in with_bar and not any(_same_scale(m, other) for other in with_bar):
                found.append(f"panel {ax.get_title()!r}: a colour scale without a colour bar")
                break
    for axis, groups in (("x", _columns(panels)), ("y", _rows(panels))):
        for group in groups:
            shown = [ax for ax in group if _shows_ticklabels(ax, axis)]
            labelled = [ax for ax in group if getattr(ax, f"get_{axis}label")().strip()]
            if shown and not labelled:
                title = shown[0].get_title() or "untitled"
                found.append(f"panel {title!r}: its {axis} axis has tick labels but no axis label")
    return found


def _shows_ticklabels(ax: matplotlib.axes.Axes, axis: str) -> bool:
    if not ax.axison:
        return False
    getter = ax.xaxis if axis == "x" else ax.yaxis
    if not getter.get_visible():
        return False
    return any(t.get_visible() and t.get_text().strip() for t in getter.get_ticklabels())


def check(fig: matplotlib.figure.Figure, label: str = "figure") -> None:
    """Raise ``ValueError`` listing every way ``fig`` breaks the standard (see :func:`problems`)."""
    fig.canvas.draw()  # tick labels exist only once drawn
    found = problems(fig)
    if found:
        raise ValueError(f"{label} does not meet the book's figure standard: " + "; ".join(found))
