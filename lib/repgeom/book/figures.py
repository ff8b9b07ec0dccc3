"""One plotting style for the book, and figure files with provenance.

:func:`save` writes ``<label>.png`` (200 dpi), ``<label>.pdf`` and a JSON
sidecar ``<label>.json`` into the active profile's figure folder. The figure
gallery page reads the sidecars back with :func:`records`.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt

from repgeom import runtime

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


def use_style() -> None:
    """Apply the book's seaborn style (colour-blind palette, readable fonts)."""
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind", font_scale=0.95)
    plt.rcParams.update({
        "figure.dpi": 110,
        "savefig.dpi": 200,
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


def save(fig: matplotlib.figure.Figure, record: FigureRecord, folder: Path | None = None) -> FigureRecord:
    """Write ``fig`` as PNG and PDF with a JSON provenance sidecar.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    record : FigureRecord
        Its ``label`` names the files; ``files`` is filled in.
    folder : Path, optional
        Defaults to :func:`figure_dir` of the record's profile.

    Returns
    -------
    FigureRecord
        The record with the written file paths.
    """
    check_label(record.label)
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


def records(profile: str | None = None, folder: Path | None = None) -> list[FigureRecord]:
    """Every saved figure of ``profile``, ordered by chapter then label."""
    folder = folder or figure_dir(profile)
    found = []
    for path in sorted(folder.glob("fig-*.json")) if folder.is_dir() else []:
        found.append(FigureRecord(**json.loads(path.read_text())))
    return sorted(found, key=lambda r: (r.chapter, r.label))


def bibtex(record: FigureRecord, book_title: str) -> str:
    """A BibTeX ``@misc`` entry citing one figure of the book at its version and commit."""
    key = "repgeom-" + record.label.removeprefix("fig-")
    first = record.caption.split(". ")[0].rstrip(".").replace("{", "").replace("}", "")
    year = record.created[:4] if record.created else ""
    return (
        f"@misc{{{key},\n"
        f"  title        = {{{{{record.label}}}: {first}}},\n"
        f"  author       = {{{{The repgeom book authors}}}},\n"
        f"  howpublished = {{{book_title}, version {record.version}, commit {record.commit}, "
        f"chapter {record.chapter}, figure {record.label}}},\n"
        f"  year         = {{{year}}},\n"
        f"  note         = {{Profile {record.profile}, device {record.device}}}\n"
        f"}}"
    )


def gallery_entry(record: FigureRecord, page_dir: Path, book_title: str) -> str:
    """MyST Markdown for one figure in the gallery: image, caption, downloads, provenance, BibTeX."""
    import os

    rel = {ext: os.path.relpath(path, page_dir) for ext, path in record.files.items()}
    data = "; ".join(
        f"{d['used']} (n={d['n']})" + (f", stand-in for {d['requested']}: {d['reason']}" if d["substituted"] else "")
        for d in record.data
    ) or "synthetic (generated in the chapter)"
    seeds = ", ".join(str(s) for s in record.seeds[:12]) + (" …" if len(record.seeds) > 12 else "")
    return "\n".join([
        f"### `{record.label}` ({record.chapter})",
        "",
        f"```{{image}} {rel['png']}",
        f":alt: {record.label}",
        ":width: 85%",
        "```",
        "",
        record.caption,
        "",
        f"In its chapter: {{ref}}`{record.label}`. Download {{download}}`PNG <{rel['png']}>` · "
        f"{{download}}`PDF <{rel['pdf']}>`",
        "",
        f"- **profile** {record.profile} · **device** {record.device} · **commit** `{record.commit}` · "
        f"**repgeom** {record.version} · **wall time** {record.wall_time_s} s",
        f"- **seeds** {seeds}",
        f"- **data** {data}",
        "",
        "```bibtex",
        bibtex(record, book_title),
        "```",
        "",
    ])
