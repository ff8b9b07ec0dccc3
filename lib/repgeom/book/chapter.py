"""The context of one chapter's execution: settings, seeds, data, outputs.

A chapter starts with ``run = ChapterRun.start("neural_race", seed=0)``. The
run validates every setting (one clear error for a bad environment variable),
seeds everything, records the data each load actually returned, and stamps
figures and claims with the same provenance.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np
import torch

from repgeom import __version__, runtime

from . import claims, figures, publish

if TYPE_CHECKING:  # the book's machinery only records what the data layer reports
    from repgeom.data import DataProvenance


def _plain_number_reprs() -> None:
    """Show numpy scalars as plain numbers in the notebook (``0.25``, not ``np.float64(0.25)``).

    numpy 2's repr breaks MyST-NB's ``{glue:text}`name:.2f``` formatting of glued numbers.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    plain = shell.display_formatter.formatters["text/plain"]
    # Each concrete scalar type defines its own __repr__, which IPython finds before np.generic.
    for scalar_type in {t for t in np.sctypeDict.values() if issubclass(t, np.generic)}:
        plain.for_type(scalar_type, lambda obj, printer, cycle: printer.text(repr(obj.item())))


@dataclass
class ChapterRun:
    """Settings and provenance shared by everything a chapter produces.

    Attributes
    ----------
    chapter : str
        Chapter id, the chapter file's stem.
    profile : {"quick", "full"}
    device : torch.device
    seeds : list of int
        Every seed the chapter used (the first is the master seed).
    data : list of DataProvenance
        Every dataset load, in order.
    """

    chapter: str
    profile: str
    device: torch.device
    seeds: list[int]
    commit: str
    version: str = __version__
    started: float = field(default_factory=time.perf_counter)
    data: list[DataProvenance] = field(default_factory=list)
    board: claims.ClaimBoard | None = None
    figures_saved: int = 0

    @classmethod
    def start(cls, chapter: str, seed: int = 0) -> "ChapterRun":
        """Validate the settings, seed everything and apply the book's style."""
        if not chapter.replace("_", "").isalnum():
            raise ValueError(f"chapter id must be a file stem like 'neural_race', got {chapter!r}")
        settings = runtime.configure()
        runtime.seed_everything(seed)
        figures.use_style()
        _plain_number_reprs()
        run = cls(chapter, str(settings["profile"]), settings["device"], [seed], runtime.commit())
        run.board = claims.ClaimBoard(chapter, run.profile)
        return run

    @property
    def quick(self) -> bool:
        return self.profile == "quick"

    @property
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self.started

    def use_data(self, provenance: DataProvenance) -> DataProvenance:
        """Record a dataset load (shown in the header, figures and claims)."""
        if provenance not in self.data:
            self.data.append(provenance)
        self.board.data = self.data_summary()
        self.board.data_kind = self.data_kind()
        return provenance

    def data_kind(self) -> str:
        """The image datasets actually used, ``"+"``-joined and sorted, or ``"synthetic"`` (decides what is asserted)."""
        kinds = sorted({p.used.split("/")[0] for p in self.data})
        return "+".join(kinds) if kinds else "synthetic"

    def add_seeds(self, *seeds: int) -> None:
        """Record further seeds the chapter used (e.g. one per network)."""
        self.seeds.extend(s for s in seeds if s not in self.seeds)

    def data_summary(self) -> str:
        """The data actually used, one short phrase."""
        if not self.data:
            return "synthetic (generated in the chapter)"
        return "; ".join(dict.fromkeys(p.summary() for p in self.data))

    @property
    def substituted(self) -> list[DataProvenance]:
        return [p for p in self.data if p.substituted]

    def publish_figure(
        self,
        fig: matplotlib.figure.Figure,
        label: str,
        caption: str,
        *,
        paper: str | None,
        data: "Sequence[DataProvenance]",
    ) -> figures.FigureRecord:
        """Check ``fig`` against the figure standard, save it with its provenance, glue it for the page, close it.

        Parameters
        ----------
        fig : Figure
        label : str
            Its stable label, ``fig-...`` (the page shows it with ``{glue:figure}`` of the same name).
        caption : str
            What it shows, at which scale, on which data (the gallery's caption).
        paper : str or None
            The paper figure it reproduces (``"Fig. 2, top"``); ``None`` for a figure beyond the paper.
            The caption is prefixed "Reproduces paper ..." or "Beyond the paper.".
        data : sequence of DataProvenance
            The datasets this figure used (empty for a synthetic-task figure): its provenance.
        """
        from myst_nb import glue

        for p in data:
            if p not in self.data:
                raise ValueError(f"figure {label}: data {p.used!r} was not recorded with run.use_data")
        prefix = f"Reproduces paper {paper}." if paper else "Beyond the paper."
        record = self.save_figure(fig, label, f"{prefix} {caption}", data=list(data), standard=True,
                                  paper_figure=paper or "")
        glue(label, fig, display=False)
        plt.close(fig)
        return record

    def save_figure(self, fig: matplotlib.figure.Figure, label: str, caption: str, *,
                    data: "Sequence[DataProvenance] | None" = None, standard: bool = False,
                    paper_figure: str = "") -> figures.FigureRecord:
        """Save ``fig`` as PNG + PDF with this run's provenance (``data``: default every dataset used so far)."""
        used = self.data if data is None else data
        record = figures.FigureRecord(
            label=figures.check_label(label),
            chapter=self.chapter,
            caption=caption,
            profile=self.profile,
            device=str(self.device),
            commit=self.commit,
            version=self.version,
            seeds=list(self.seeds),
            data=[p.as_dict() for p in used],
            wall_time_s=round(self.elapsed, 1),
            created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            paper_figure=paper_figure,
            order=self.figures_saved,
        )
        saved = figures.save(fig, record, standard=standard)
        self.figures_saved += 1
        return saved

    def header(self) -> str:
        """A MyST admonition saying how this page was computed (for ``display(Markdown(...))``)."""
        lines = [
            f"**Profile** `{self.profile}` · **device** `{self.device}` · "
            f"**repgeom** {self.version} at commit `{self.commit}` · **seed** {self.seeds[0]}",
            "",
            f"**Data used:** {self.data_summary()}",
        ]
        mirror = (runtime.repo_root() or Path.cwd()) / "notebooks" / f"{self.chapter}.ipynb"
        if mirror.is_file():
            lines += ["", f"Run this chapter yourself: [open it in Colab]({publish.colab_url(self.chapter)}), "
                          f"or `python -m repgeom run {self.chapter}` in a checkout."]
        kind = "note"
        if self.substituted:
            kind = "warning"
            lines += ["", "**Stand-in data.** The real dataset was not available, so this page used a declared stand-in:"]
            lines += [f"- {p.requested} → {p.used} ({p.reason}; {p.transform or 'unchanged'})" for p in self.substituted]
            lines += ["", "Numbers on this page are therefore not the paper's setting; see the claim table."]
        if self.quick:
            lines += ["", "The quick profile runs at reduced scale on a CPU. Set `REPGEOM_PROFILE=full` "
                          "for the paper's scale on a GPU."]
        return f":::{{admonition}} How this page was computed\n:class: {kind}\n\n" + "\n".join(lines) + "\n:::"

    def finish(self) -> claims.ClaimBoard:
        """Write the claims for the scorecard and assert the expected ones; returns the board."""
        self.board.data = self.data_summary()
        self.board.write(wall_time_s=round(self.elapsed, 1), device=str(self.device))
        self.board.check()
        return self.board

    def footer(self) -> str:
        """One line for the end of a chapter: how long it ran, where and with what."""
        return (f"This page executed in {self.elapsed:.0f} s on `{self.device}` at the `{self.profile}` profile "
                f"(repgeom {self.version}, commit `{self.commit}`).")


#: Abbreviations in parameter names, spelled out for the page.
_WORDS = {"lr": "learning rate", "wd": "weight decay", "n": "number of", "dim": "dimension", "sd": "s.d.",
          "init": "initial", "eval": "evaluation", "cnn": "CNN", "mlp": "MLP", "srm": "SRM", "rsm": "RSM",
          "lp": "locality-prior", "imagenet": "ImageNet", "resnet": "ResNet", "convnet": "ConvNet",
          "px": "pixels", "ub": "upper bound", "ccgp": "CCGP", "gdln": "GDLN", "xor": "XOR", "relu": "ReLU"}


def _words(name: str) -> str:
    """``n_train_images`` -> ``number of train images`` (a field's ``metadata["label"]`` wins)."""
    text = " ".join(_WORDS.get(part, part) for part in name.split("_") if part)
    return text[:1].upper() + text[1:]


def _value_text(value: object) -> str:
    """A parameter's value for a reader: no Python reprs (tuples, booleans, None)."""
    import dataclasses

    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "; ".join(f"{_value_text(k)}: {_value_text(v)}" for k, v in value.items())
    if isinstance(value, (tuple, list, set, frozenset)):
        return ", ".join(_value_text(v) for v in value) or "none"
    if dataclasses.is_dataclass(value):
        return "; ".join(f"{_words(f.name).lower()} {_value_text(getattr(value, f.name))}"
                         for f in dataclasses.fields(value))
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # numpy / torch scalars
        return _value_text(value.item())
    return str(value)


def params_table(params: object, labels: "dict[str, str] | None" = None) -> "Markdown":
    """The chapter's parameter dataclass as a two-column table for a reader (names in words, plain values).

    Parameters
    ----------
    params : dataclass instance
    labels : dict, optional
        Field name -> the words to show (e.g. ``{"img_m": "Image routes (M)"}``). Otherwise a field's
        ``metadata["label"]``, else its name spelled out (``n_train`` -> "Number of train").
    """
    labels = labels or {}
    import dataclasses

    from IPython.display import Markdown

    if not dataclasses.is_dataclass(params):
        raise ValueError(f"params_table needs a dataclass instance, got {type(params).__name__}")
    rows = ["| Parameter | Value |", "| --- | --- |"]
    for f in dataclasses.fields(params):
        label = labels.get(f.name) or f.metadata.get("label") or _words(f.name)
        rows.append(f"| {label} | {_value_text(getattr(params, f.name)).replace('|', '/')} |")
    return Markdown("\n".join(rows))
