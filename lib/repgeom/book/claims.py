"""Paper claims: declare them, record what we measured, render and check them.

A chapter declares each checkable claim of its paper once (:class:`Claim`),
measures it, and records the outcome on a :class:`ClaimBoard`. The board
renders the chapter's claim table, fails loudly (``AssertionError``) when a
claim that is expected to hold at the active profile does not, and writes a
JSON file per chapter that the scorecard page gathers.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Literal

import pandas as pd

from repgeom import runtime

Verdict = Literal["reproduced", "partly", "not reproduced", "not run"]
VERDICTS: tuple[str, ...] = ("reproduced", "partly", "not reproduced", "not run")


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
        there. Claims that need the paper's full scale list only ``("full",)``.
    """

    id: str
    source: str
    statement: str
    paper_value: str
    assert_at: tuple[str, ...] = ("quick", "full")

    def __post_init__(self) -> None:
        if not self.id or not self.statement:
            raise ValueError(f"a claim needs an id and a statement, got id={self.id!r}")
        bad = [p for p in self.assert_at if p not in runtime.PROFILES]
        if bad:
            raise ValueError(f"assert_at has unknown profile(s) {bad}; expected {runtime.PROFILES}")


@dataclass
class Outcome:
    """What we measured for one claim at one profile."""

    claim: Claim
    ours: str
    verdict: Verdict
    profile: str
    data: str
    note: str = ""

    @property
    def expected(self) -> bool:
        """Whether this claim must hold at the profile it was measured at."""
        return self.profile in self.claim.assert_at


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
    """

    chapter: str
    profile: str
    data: str = ""
    outcomes: list[Outcome] = field(default_factory=list)

    def record(
        self,
        claim: Claim,
        ours: str,
        holds: bool | None,
        *,
        partly: bool = False,
        note: str = "",
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
        """
        if holds is not None and not isinstance(holds, bool):
            holds = bool(holds)  # numpy / torch booleans
        if partly and holds:
            raise ValueError(f"claim {claim.id!r}: partly=True needs holds=False")
        if any(o.claim.id == claim.id for o in self.outcomes):
            raise ValueError(f"claim {claim.id!r} was already recorded in {self.chapter}")
        if holds is None:
            verdict: Verdict = "not run"
        elif holds:
            verdict = "reproduced"
        else:
            verdict = "partly" if partly else "not reproduced"
        outcome = Outcome(claim, str(ours), verdict, self.profile, self.data, note)
        self.outcomes.append(outcome)
        return outcome

    def table(self) -> pd.DataFrame:
        """The claim table: one row per claim."""
        rows = [
            {
                "claim": o.claim.statement,
                "source": o.claim.source,
                "paper": o.claim.paper_value,
                "ours": o.ours,
                "verdict": o.verdict,
                "asserted": "yes" if o.expected else "no",
                "note": o.note,
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
                 "data": o.data, "note": o.note, "asserted": o.expected}
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
            rows.append({"chapter": payload["chapter"], **o})
    columns = ["chapter", "id", "source", "statement", "paper_value", "ours", "verdict", "asserted", "data", "note"]
    return pd.DataFrame(rows, columns=columns)


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
