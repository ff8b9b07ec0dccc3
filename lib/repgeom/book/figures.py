"""One plotting style for the book, and figure files with provenance.

:func:`save` checks a figure against the book's standard
(:mod:`.figure_standard`) and writes ``<label>.png`` (at the resolution the
page shows it), ``<label>.pdf`` and a JSON sidecar ``<label>.json`` into the
active profile's figure folder. The figure gallery page reads the sidecars
back with :func:`records` and lays them out with :func:`gallery_entry`.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt

from repgeom import runtime

from . import figure_standard

_LABEL = re.compile(r"^fig-[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class FigureRecord:
    """The sidecar of one saved figure (what the gallery shows)."""

    label: str
    chapter: str
    caption: str
    profile: str
    device: str
    commit: str
    version: str
    seeds: list[int]
    data: list[dict]
    wall_time_s: float
    created: str
    files: dict[str, str] = field(default_factory=dict)
    #: The paper figure it reproduces ("Fig. 2, top"), or "" for a figure beyond the paper.
    paper_figure: str = ""
    #: Its place among the chapter's figures (0 = first saved), for the gallery's order.
    order: int = 0


def use_style() -> None:
    """Apply the book's seaborn style (colour-blind palette, readable fonts)."""
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind", font_scale=0.9)
    plt.rcParams.update({
        # The page shows figures at about their natural size: 7 in at 110 dpi fill the main column.
        "figure.dpi": 110,
        "savefig.dpi": 110,
        "savefig.bbox": "tight",
        "axes.titlesize": "medium",
        "axes.titleweight": "bold",
        "legend.frameon": False,
        "pdf.fonttype": 42,
    })


def figure_dir(profile: str | None = None) -> Path:
    """The folder figures of ``profile`` are saved in."""
    return runtime.output_root(profile) / "figures"


def check_label(label: str) -> str:
    """Validate a figure label: ``fig-`` then lowercase words joined by ``-``."""
    if not isinstance(label, str) or not _LABEL.match(label):
        raise ValueError(f"figure label must look like 'fig-some-name' (lowercase, digits, dashes), got {label!r}")
    return label


def save(fig: matplotlib.figure.Figure, record: FigureRecord, folder: Path | None = None,
         *, standard: bool = True) -> FigureRecord:
    """Check ``fig`` against the figure standard, then write it as PNG and PDF with a JSON provenance sidecar.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    record : FigureRecord
        Its ``label`` names the files; ``files`` is filled in.
    folder : Path, optional
        Defaults to :func:`figure_dir` of the record's profile.
    standard : bool
        Check the figure standard first (``ValueError`` when it is not met).

    Returns
    -------
    FigureRecord
        The record with the written file paths.
    """
    check_label(record.label)
    if standard:
        figure_standard.check(fig, record.label)
    folder = folder or figure_dir(record.profile)
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for ext in ("png", "pdf"):
        path = folder / f"{record.label}.{ext}"
        fig.savefig(path, metadata={"Title": record.label} if ext == "pdf" else None)
        files[ext] = str(path)
    record.files = files
    (folder / f"{record.label}.json").write_text(json.dumps(asdict(record), indent=2))
    return record


def records(profile: str | None = None, folder: Path | None = None,
            chapters: list[str] | None = None) -> list[FigureRecord]:
    """Every saved figure of ``profile``, by chapter (in ``chapters``' order when given), then as saved."""
    folder = folder or figure_dir(profile)
    found = []
    for path in sorted(folder.glob("fig-*.json")) if folder.is_dir() else []:
        found.append(FigureRecord(**json.loads(path.read_text())))
    rank = {name: i for i, name in enumerate(chapters or [])}
    return sorted(found, key=lambda r: (rank.get(r.chapter, len(rank)), r.chapter, r.order, r.label))


def figure_url(record: FigureRecord, base_url: str) -> str:
    """The stable address of a figure in the published book: its chapter page and label anchor."""
    return f"{base_url.rstrip('/')}/book/{record.chapter}.html#{record.label}"


def _bibtex_text(text: str) -> str:
    """Text safe inside a BibTeX braced field (balanced: braces dropped, ``%`` escaped)."""
    return " ".join(text.replace("{", "").replace("}", "").replace("%", r"\%").split())


def bibtex(record: FigureRecord, book_title: str, base_url: str) -> str:
    """A BibTeX ``@misc`` entry citing one figure of the book at its version and commit, with its URL."""
    key = "repgeom-" + record.label.removeprefix("fig-")
    title = _bibtex_text(record.caption)
    year = record.created[:4] if record.created else ""
    return (
        f"@misc{{{key},\n"
        f"  title        = {{{{{title}}}}},\n"
        f"  author       = {{{{The repgeom book authors}}}},\n"
        f"  howpublished = {{{book_title}, version {record.version}, commit {record.commit}, "
        f"chapter {record.chapter}, figure {record.label}}},\n"
        f"  url          = {{{figure_url(record, base_url)}}},\n"
        f"  year         = {{{year}}},\n"
        f"  note         = {{Profile {record.profile}, device {record.device}}}\n"
        f"}}"
    )


def data_phrase(data: list[dict]) -> str:
    """The data a figure used, for a reader (``"synthetic"`` when it used no dataset)."""
    return "; ".join(
        f"{d['used']} (n={d['n']})" + (f", stand-in for {d['requested']}: {d['reason']}" if d["substituted"] else "")
        for d in data
    ) or "synthetic (generated in the chapter)"


def gallery_entry(record: FigureRecord, page_dir: Path, book_title: str, base_url: str) -> str:
    """MyST Markdown for one figure in the gallery: image, caption once, downloads, provenance, BibTeX."""
    import os

    rel = {ext: os.path.relpath(path, page_dir) for ext, path in record.files.items()}
    seeds = ", ".join(str(s) for s in record.seeds[:12]) + (" …" if len(record.seeds) > 12 else "")
    return "\n".join([
        f"### {{numref}}`{record.label}`",  # "Figure 2.3", a link to the figure in its chapter
        "",
        f"```{{image}} {rel['png']}",
        f":alt: {record.caption}",
        "```",
        "",
        record.caption,
        "",
        f"Label `{record.label}` (the anchor to cite) · download "
        f"{{download}}`PNG <{rel['png']}>` · {{download}}`PDF <{rel['pdf']}>`",
        "",
        f"- **profile** {record.profile} · **device** {record.device} · **commit** `{record.commit}` · "
        f"**repgeom** {record.version} · **wall time** {record.wall_time_s} s",
        f"- **seeds** {seeds}",
        f"- **data** {data_phrase(record.data)}",
        "",
        "```bibtex",
        bibtex(record, book_title, base_url),
        "```",
        "",
    ])
