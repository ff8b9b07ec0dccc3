"""Numbered, captioned tables for the chapters.

A glued DataFrame renders as a figure ("Fig. N"); a table should be a table.
:func:`myst_table` writes a DataFrame as a MyST ``{table}`` directive, which a
chapter glues and shows with ``{glue:md}`` (``:format: myst``), so Sphinx
numbers it as "Table N" and ``{numref}`` links to it.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd
from IPython.display import Markdown


def _cell(value: object, fmt: str | None, na: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return na
    if fmt is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        text = fmt.format(value)
    elif isinstance(value, float):
        text = f"{value:.3g}"
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _header(column: object) -> str:
    return " ".join(str(c) for c in column) if isinstance(column, tuple) else str(column)


def myst_table(df: pd.DataFrame, label: str, caption: str, *, formats: Mapping[object, str] | None = None,
               index: bool | None = None, na: str = "–") -> Markdown:
    """A MyST ``{table}`` directive holding ``df``.

    Parameters
    ----------
    df : pandas.DataFrame
    label : str
        The table's name for ``{numref}`` (e.g. ``"tbl-locality-accuracy"``).
    caption : str
        One line of MyST Markdown.
    formats : mapping, optional
        Column -> format string (e.g. ``{"p": "{:.2e}"}``); other floats use 3 significant digits.
    index : bool, optional
        Show the index as the first column (default: when it is not a plain 0..n-1 range).
    na : str
        Text for missing values.

    Returns
    -------
    IPython.display.Markdown
        Glue it and show it with ``{glue:md}`` and ``:format: myst``.
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    if not label or any(ch.isspace() for ch in label):
        raise ValueError(f"label must be a non-empty name without spaces, got {label!r}")
    if "\n" in caption:
        raise ValueError("caption must be one line")
    formats = dict(formats or {})
    unknown = [c for c in formats if c not in df.columns]
    if unknown:
        raise ValueError(f"formats names columns that df does not have: {unknown}; columns: {list(df.columns)}")
    if index is None:
        index = not (isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and df.index.step == 1)
    headers = ([_header(df.index.name or "")] if index else []) + [_header(c) for c in df.columns]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for key, row in df.iterrows():
        cells = ([_cell(key if not isinstance(key, tuple) else " ".join(map(str, key)), None, na)] if index else [])
        cells += [_cell(row[c], formats.get(c), na) for c in df.columns]
        lines.append("| " + " | ".join(cells) + " |")
    body = "\n".join(lines)
    return Markdown(f":::{{table}} {caption}\n:name: {label}\n\n{body}\n:::\n")
