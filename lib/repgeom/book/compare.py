"""Two runs' claims, compared field by field with the times left out.

``python -m repgeom compare OLD NEW`` takes two claims JSON files (what
:meth:`repgeom.book.claims.ClaimBoard.write` writes, ``<output>/<profile>/claims/<chapter>.json``)
or two folders holding them (an output folder, a profile's folder or a
``claims`` folder), prints every field that differs and exits 1 when any
does. A refactor that should not change results proves it this way
(DESIGN.md, "CI and tests"), and so does a check that a chapter is
deterministic.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

__all__ = ["TIMING_FIELDS", "Difference", "diff_values", "claim_files", "compare_paths"]

#: Fields that say when or how long, not what: never compared.
TIMING_FIELDS: frozenset[str] = frozenset({
    "wall_time_s", "commit", "created", "started", "finished", "elapsed", "elapsed_s", "seconds", "timestamp",
})


@dataclass(frozen=True)
class Difference:
    """One field that differs between two runs.

    Attributes
    ----------
    where : str
        The file and the field's path in it, e.g. ``"neural_race.json: outcomes[id=stages].ours"``.
    old, new : object
        The two values (:data:`MISSING` where a side lacks the field or the file).
    """

    where: str
    old: object
    new: object

    def describe(self) -> str:
        """One line for the terminal."""
        return f"{self.where}: {_show(self.old)} -> {_show(self.new)}"


class _Missing:
    def __repr__(self) -> str:
        return "(missing)"


#: Placeholder for a field or file one side does not have.
MISSING = _Missing()


def _show(value: object, width: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _keyed(items: list) -> dict[str, object] | None:
    """A list of objects with unique ``id`` fields, keyed ``id=...`` (claims then line up by id, not position)."""
    if not items or not all(isinstance(x, dict) and "id" in x for x in items):
        return None
    keys = [f"id={x['id']}" for x in items]
    return dict(zip(keys, items)) if len(set(keys)) == len(keys) else None


def diff_values(old: object, new: object, where: str = "", ignore: Iterable[str] = TIMING_FIELDS) -> list[Difference]:
    """Every leaf that differs between two JSON values.

    Parameters
    ----------
    old, new : object
        Parsed JSON (dicts, lists, strings, numbers, booleans, None).
    where : str
        Path of these values, prefixed to each difference's ``where``.
    ignore : iterable of str
        Dict keys left out at any depth (default :data:`TIMING_FIELDS`).

    Returns
    -------
    list of Difference
        Empty when the values are equal apart from the ignored fields. Numbers compare exactly
        (``1`` and ``1.0`` are equal; ``True`` and ``1`` are not).
    """
    ignore = frozenset(ignore)
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[Difference] = []
        for key in list(old) + [k for k in new if k not in old]:
            if key in ignore:
                continue
            sub = f"{where}.{key}" if where else str(key)
            out += diff_values(old.get(key, MISSING), new.get(key, MISSING), sub, ignore)
        return out
    if isinstance(old, list) and isinstance(new, list):
        a, b = _keyed(old), _keyed(new)
        if a is not None and b is not None:  # claims line up by id; a changed order is one difference
            order = [Difference(f"{where} (order)", list(a), list(b))] if list(a) != list(b) and set(a) == set(b) else []
            return order + diff_values(a, b, where, ignore)
        out = []
        for i in range(max(len(old), len(new))):
            out += diff_values(old[i] if i < len(old) else MISSING, new[i] if i < len(new) else MISSING,
                               f"{where}[{i}]", ignore)
        return out
    same = type(old) is type(new) or (isinstance(old, (int, float)) and isinstance(new, (int, float))
                                      and not isinstance(old, bool) and not isinstance(new, bool))
    if same and old == new:
        return []
    if isinstance(old, float) and isinstance(new, float) and old != old and new != new:  # NaN written by a chapter
        return []
    return [Difference(where or "(value)", old, new)]


def claim_files(path: Path) -> dict[str, Path]:
    """The claims JSON files of a file or folder, keyed by their path below it.

    Parameters
    ----------
    path : Path
        A ``.json`` file, a ``claims`` folder, or any folder above one
        (every ``claims/*.json`` below it is taken).

    Returns
    -------
    dict of str to Path
    """
    path = Path(path)
    if path.is_file():
        return {path.name: path}
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is neither a claims JSON file nor a folder")
    if path.name == "claims":
        files = sorted(path.glob("*.json"))
    else:
        files = sorted(p for p in path.rglob("*.json") if p.parent.name == "claims")
    return {str(p.relative_to(path)): p for p in files}


def _load(path: Path) -> object:
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path} is not readable JSON ({type(err).__name__}: {err})") from None


def compare_paths(old: Path, new: Path, ignore: Iterable[str] = TIMING_FIELDS) -> tuple[list[Difference], int]:
    """Compare the claims of two runs.

    Parameters
    ----------
    old, new : Path
        Two claims JSON files (compared whatever their names), or two folders
        (their claims files matched by path; a file on one side only is a difference).
    ignore : iterable of str
        Fields never compared (default :data:`TIMING_FIELDS`).

    Returns
    -------
    differences : list of Difference
    compared : int
        How many pairs of files were compared.

    Raises
    ------
    FileNotFoundError
        A path does not exist, or a folder holds no claims file.
    ValueError
        One path is a file and the other a folder, or a file is not JSON.
    """
    old, new = Path(old), Path(new)
    for p in (old, new):
        if not p.exists():
            raise FileNotFoundError(f"{p} does not exist")
    if old.is_file() != new.is_file():
        raise ValueError(f"compare two files or two folders, got {old} and {new}")
    if old.is_file():
        pairs = {old.name: (old, new)}
    else:
        a, b = claim_files(old), claim_files(new)
        if not a and not b:
            raise FileNotFoundError(f"no claims JSON (claims/*.json) under {old} or {new}")
        pairs = {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b))}
    out: list[Difference] = []
    compared = 0
    for name, (pa, pb) in pairs.items():
        if pa is None or pb is None:
            out.append(Difference(name, MISSING if pa is None else "present", MISSING if pb is None else "present"))
            continue
        compared += 1
        out += [Difference(f"{name}: {d.where}", d.old, d.new) for d in diff_values(_load(pa), _load(pb), "", ignore)]
    return out, compared
