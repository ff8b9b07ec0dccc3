"""Paper claims: declare them, record what we measured, render and check them.

A chapter declares each checkable claim of its paper once (:class:`Claim`),
with the preconditions that make it testable and, where one exists, its
control; measures it; and records the outcome on a :class:`ClaimBoard`. The
board renders the chapter's claim table, fails loudly (``AssertionError``)
when a claim that is calibrated to hold at the active profile and on the data
this build used does not, and writes a JSON file per chapter that the
scorecard page gathers.

Verdicts (DESIGN.md, "Claims and verdicts"):

==================  ==========================================================
reproduced          the claim holds **and** beats its control where it has one
partly              it holds for part of what the paper states
not reproduced      it was testable here and does not hold
inconclusive        it ran, but a precondition failed (a network below its
                    floor, weights that barely moved, too few samples), or
                    the effect is no larger than its control
not run             it needs what this build did not have
==================  ==========================================================
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Literal, Sequence

import pandas as pd

from repgeom import runtime

if TYPE_CHECKING:
    from IPython.display import Markdown

Verdict = Literal["reproduced", "partly", "not reproduced", "inconclusive", "not run"]
VERDICTS: tuple[str, ...] = ("reproduced", "partly", "not reproduced", "inconclusive", "not run")
#: Data kinds the chapters' asserted claims are calibrated on: what CI has (Debian's Fashion-MNIST as the
#: image stand-in, and the synthetic tasks). On other data a verdict is recorded, never asserted.
CALIBRATED_DATA: tuple[str, ...] = ("fashion_mnist", "synthetic")


@dataclass(frozen=True)
class Check:
    """A precondition or a control of a claim, as measured in this build.

    Parameters
    ----------
    what : str
        The name the claim declared it under (e.g. ``"LeNets at or above 85 % accuracy"``).
    met : bool
        For a precondition: it holds. For a control: the effect is larger than the control's.
    value : str
        What was measured, for the reader (e.g. ``"41.2 % and 43.9 %"``).
    """

    what: str
    met: bool
    value: str = ""

    def __post_init__(self) -> None:
        if not self.what:
            raise ValueError("a check needs a name (what), got an empty string")
        object.__setattr__(self, "met", bool(self.met))  # numpy / torch booleans

    def describe(self) -> str:
        state = "met" if self.met else "not met"
        return f"{self.what}: {state}" + (f" ({self.value})" if self.value else "")


@dataclass(frozen=True)
class Claim:
    """One checkable statement of a paper.

    Parameters
    ----------
    id : str
        Short stable identifier, unique within the chapter (e.g. ``"xor-stages"``).
    source : str
        Where the paper makes it (e.g. ``"Fig. 3"``).
    statement : str
        The claim in one sentence.
    paper_value : str
        The number or outcome the paper reports.
    assert_at : tuple of str
        Profiles at which the claim is expected to hold; the board asserts it
        there, on the data it is calibrated on. Claims that need the paper's
        full scale list only ``("full",)``.
    preconditions : tuple of str
        What must hold for the claim to be testable (e.g. ``"networks at or
        above their accuracy floor"``); each is measured and passed to
        :meth:`ClaimBoard.record` as a :class:`Check` of that name.
    control : str
        The same statistic where the effect should be absent (random
        subspaces, an untrained network, the other arm); "reproduced" then
        requires beating it. Empty when the claim has no control.
    headline : bool
        The paper's headline claim (listed first on the scorecard).
    calibrated_on : tuple of str, optional
        Data kinds on which the claim is asserted (default :data:`CALIBRATED_DATA`).
    """

    id: str
    source: str
    statement: str
    paper_value: str
    assert_at: tuple[str, ...] = ("quick", "full")
    preconditions: tuple[str, ...] = ()
    control: str = ""
    headline: bool = False
    calibrated_on: tuple[str, ...] = CALIBRATED_DATA

    def __post_init__(self) -> None:
        if not self.id or not self.statement:
            raise ValueError(f"a claim needs an id and a statement, got id={self.id!r}")
        bad = [p for p in self.assert_at if p not in runtime.PROFILES]
        if bad:
            raise ValueError(f"assert_at has unknown profile(s) {bad}; expected {runtime.PROFILES}")
        if isinstance(self.preconditions, str):
            raise ValueError(f"claim {self.id!r}: preconditions must be a tuple of names, got the string "
                             f"{self.preconditions!r}")


@dataclass
class Outcome:
    """What we measured for one claim at one profile."""

    claim: Claim
    ours: str
    verdict: Verdict
    profile: str
    data: str
    note: str = ""
    data_kind: str = "synthetic"
    preconditions: tuple[Check, ...] = ()
    control: Check | None = None

    @property
    def calibrated(self) -> bool:
        """Whether this build's data is what the claim was calibrated on."""
        return all(kind in self.claim.calibrated_on for kind in self.data_kind.split("+"))

    @property
    def expected(self) -> bool:
        """Whether this claim must hold: at a profile it is asserted at, on data it is calibrated on."""
        return self.profile in self.claim.assert_at and self.calibrated


@dataclass
class ClaimBoard:
    """The claims of one chapter and what we measured for them.

    Parameters
    ----------
    chapter : str
        Chapter id (the file stem, e.g. ``"neural_race"``).
    profile : str
        Profile the measurements come from.
    data : str
        Short description of the data actually used (shown in every row).
    data_kind : str
        The image datasets actually used, ``"+"``-joined (``"fashion_mnist"``,
        ``"mnist+cifar10"``), or ``"synthetic"``; decides which claims are asserted.
    """

    chapter: str
    profile: str
    data: str = ""
    outcomes: list[Outcome] = field(default_factory=list)
    data_kind: str = "synthetic"

    def record(
        self,
        claim: Claim,
        ours: str,
        holds: bool | None,
        *,
        partly: bool = False,
        note: str = "",
        preconditions: Sequence[Check] = (),
        control: Check | None = None,
    ) -> Outcome:
        """Record a measurement of ``claim``.

        Parameters
        ----------
        claim : Claim
        ours : str
            Our value, formatted for the table (e.g. ``"0.91 (0.88-0.93)"``).
        holds : bool or None
            Whether the claim held; ``None`` when it was not measured at this
            profile (verdict "not run").
        partly : bool
            The claim held only in part (verdict "partly"; ``holds`` must be False).
        note : str
            The likely reason when it does not hold, or a qualification.
        preconditions : sequence of Check
            One per precondition the claim declares, by the same name. Any
            not met makes the verdict "inconclusive".
        control : Check, optional
            Required when the claim declares a control (and was measured):
            ``met`` is whether the effect beats it. A claim that holds but
            does not beat its control is "inconclusive".
        """
        if holds is not None and not isinstance(holds, bool):
            holds = bool(holds)  # numpy / torch booleans
        if partly and holds:
            raise ValueError(f"claim {claim.id!r}: partly=True needs holds=False")
        if any(o.claim.id == claim.id for o in self.outcomes):
            raise ValueError(f"claim {claim.id!r} was already recorded in {self.chapter}")
        preconditions = tuple(preconditions)
        given = [c.what for c in preconditions]
        if holds is not None and sorted(given) != sorted(claim.preconditions):
            raise ValueError(f"claim {claim.id!r} declares preconditions {list(claim.preconditions)}, "
                             f"got checks for {given}")
        if control is not None and not claim.control:
            raise ValueError(f"claim {claim.id!r} declares no control, got a control check {control.what!r}")
        if holds is not None and claim.control and control is None:
            raise ValueError(f"claim {claim.id!r} declares the control {claim.control!r}; pass control=Check(...)")
        if holds is None:
            verdict: Verdict = "not run"
        elif not all(c.met for c in preconditions):
            verdict = "inconclusive"
        elif holds and control is not None and not control.met:
            verdict = "inconclusive"
        elif holds:
            verdict = "reproduced"
        else:
            verdict = "partly" if partly else "not reproduced"
        outcome = Outcome(claim, str(ours), verdict, self.profile, self.data, note, self.data_kind,
                          preconditions, control)
        self.outcomes.append(outcome)
        return outcome

    def table(self) -> "Markdown":
        """The chapter's claim table for the page (full text, verdicts as badges)."""
        return render_table(self.frame(), data=None)

    def frame(self) -> pd.DataFrame:
        """The claim table as a DataFrame: one row per claim."""
        rows = [
            {
                "claim": o.claim.statement,
                "source": o.claim.source,
                "paper": o.claim.paper_value,
                "ours": o.ours,
                "verdict": o.verdict,
                "asserted": "yes" if o.expected else "no",
                "note": full_note(o.note, o.preconditions, o.control),
            }
            for o in self.outcomes
        ]
        return pd.DataFrame(rows, columns=["claim", "source", "paper", "ours", "verdict", "asserted", "note"])

    def failures(self) -> list[Outcome]:
        """Claims expected at this profile that did not reproduce."""
        return [o for o in self.outcomes if o.expected and o.verdict != "reproduced"]

    def check(self) -> None:
        """Raise ``AssertionError`` naming every expected claim that failed."""
        bad = self.failures()
        if bad:
            lines = "; ".join(f"{o.claim.id}: ours {o.ours} vs paper {o.claim.paper_value}" for o in bad)
            raise AssertionError(
                f"{len(bad)} claim(s) of {self.chapter} expected at profile {self.profile!r} did not hold: {lines}"
            )

    def write(self, out_dir: Path | None = None, wall_time_s: float | None = None,
              device: str = "") -> Path:
        """Write the outcomes (and the chapter's run time) as JSON for the scorecard; returns the file."""
        folder = (out_dir or runtime.output_root(self.profile)) / "claims"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.chapter}.json"
        payload = {
            "chapter": self.chapter,
            "profile": self.profile,
            "wall_time_s": wall_time_s,
            "device": device,
            "outcomes": [
                {**asdict(o.claim), "ours": o.ours, "verdict": o.verdict, "profile": o.profile,
                 "data": o.data, "note": o.note, "asserted": o.expected, "data_kind": o.data_kind,
                 "checks": [asdict(c) for c in o.preconditions],
                 "control_check": asdict(o.control) if o.control is not None else None}
                for o in self.outcomes
            ],
        }
        path.write_text(json.dumps(payload, indent=2))
        return path


def load_outcomes(profile: str | None = None, out_dir: Path | None = None) -> pd.DataFrame:
    """All recorded claims of all chapters at one profile, one row per claim."""
    profile = profile or runtime.profile()
    folder = (out_dir or runtime.output_root(profile)) / "claims"
    rows: list[dict] = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        payload = json.loads(path.read_text())
        for o in payload["outcomes"]:
            checks = tuple(Check(**c) for c in o.get("checks") or ())
            control = Check(**o["control_check"]) if o.get("control_check") else None
            rows.append({"chapter": payload["chapter"], **o, "headline": bool(o.get("headline", False)),
                         "full_note": full_note(o.get("note", ""), checks, control)})
    columns = ["chapter", "id", "source", "statement", "paper_value", "ours", "verdict", "asserted", "data", "note",
               "headline", "full_note"]
    return pd.DataFrame(rows, columns=columns)


def chapter_rows(outcomes: pd.DataFrame, chapter: str) -> pd.DataFrame:
    """One chapter's claims for :func:`render_table`, the paper's headline claims first."""
    rows = outcomes[outcomes["chapter"] == chapter]
    rows = pd.concat([rows[rows["headline"]], rows[~rows["headline"]]])
    return rows.rename(columns={"statement": "claim", "paper_value": "paper"}).assign(note=rows["full_note"])


def counts_line(rows: pd.DataFrame) -> str:
    """``"3 reproduced · 1 partly · 2 inconclusive"``: the verdicts of some claims, in the order of VERDICTS."""
    counts = rows["verdict"].value_counts()
    return " · ".join(f"{int(counts[v])} {v}" for v in VERDICTS if v in counts) or "no claims"


def run_times(profile: str | None = None, out_dir: Path | None = None) -> pd.DataFrame:
    """Each reporting chapter's execution wall time (s) and device at one profile."""
    profile = profile or runtime.profile()
    folder = (out_dir or runtime.output_root(profile)) / "claims"
    rows = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        payload = json.loads(path.read_text())
        rows.append({"chapter": payload["chapter"], "wall time (s)": payload.get("wall_time_s"),
                     "device": payload.get("device", "")})
    return pd.DataFrame(rows, columns=["chapter", "wall time (s)", "device"])


def verdict_counts(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Verdict counts per chapter (rows) with a total row."""
    counts = (
        pd.crosstab(outcomes["chapter"], pd.Categorical(outcomes["verdict"], categories=VERDICTS))
        if len(outcomes) else pd.DataFrame(columns=list(VERDICTS))
    )
    counts = counts.reindex(columns=list(VERDICTS), fill_value=0)
    counts.columns.name = None
    counts.loc["all chapters"] = counts.sum()
    return counts


def chapters_reported(outcomes: pd.DataFrame) -> Iterable[str]:
    """Chapter ids that have written claims."""
    return list(dict.fromkeys(outcomes["chapter"]))


def full_note(note: str, preconditions: Sequence[Check] = (), control: Check | None = None) -> str:
    """The note with the preconditions and the control spelled out (what a reader needs to weigh the verdict)."""
    parts = [note.strip()] if note and note.strip() else []
    parts += [f"Precondition {c.describe()}." for c in preconditions]
    if control is not None:
        parts.append(f"Control {control.what}: {'beaten' if control.met else 'not beaten'}"
                     + (f" ({control.value})" if control.value else "") + ".")
    return " ".join(parts)


#: The sphinx-design badge of each verdict.
BADGES = {"reproduced": "bdg-success", "partly": "bdg-warning", "not reproduced": "bdg-danger",
          "inconclusive": "bdg-secondary", "not run": "bdg-light"}


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip() or "–"


def render_table(rows: pd.DataFrame, data: str | None = None) -> "Markdown":
    """A claim table for readers: claim (with its source), paper, ours, verdict badge and note; no index.

    Parameters
    ----------
    rows : pandas.DataFrame
        Columns ``claim``, ``source``, ``paper``, ``ours``, ``verdict``, ``note``
        (as :meth:`ClaimBoard.frame` returns, or the scorecard's per-chapter rows).
    data : str, optional
        The data behind every row, stated once above the table.

    Returns
    -------
    IPython.display.Markdown
        MyST Markdown; ``display`` it in a chapter cell. Text is never truncated.
    """
    from IPython.display import Markdown

    missing = [c for c in ("claim", "source", "paper", "ours", "verdict", "note") if c not in rows.columns]
    if missing:
        raise ValueError(f"rows lack the column(s) {missing}; got {list(rows.columns)}")
    lines = [f"Data: {data}", ""] if data else []
    lines += ["| Claim | Paper | This build | Verdict | Note |", "|---|---|---|---|---|"]
    for _, r in rows.iterrows():
        badge = f"{{{BADGES.get(r['verdict'], 'bdg-light')}}}`{r['verdict']}`"
        lines.append(f"| {_md_cell(r['claim'])} ({_md_cell(r['source'])}) | {_md_cell(r['paper'])} | "
                     f"{_md_cell(r['ours'])} | {badge} | {_md_cell(r['note'])} |")
    return Markdown("\n".join(lines) + "\n")
