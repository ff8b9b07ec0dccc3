"""MyST tables for the chapters."""
import numpy as np
import pandas as pd
import pytest

from repgeom.book.tables import myst_table


def test_table_directive_with_formats_missing_values_and_escaping():
    df = pd.DataFrame({"layer": ["LP a|b", "LP in"], "t": [-6.4912, np.nan], "p": [1.35e-10, 0.5], "n": [10, 20]})
    md = myst_table(df, "tbl-x", "A caption.", formats={"t": "{:.2f}", "p": "{:.2e}"}).data
    lines = md.splitlines()
    assert lines[0] == ":::{table} A caption." and lines[1] == ":name: tbl-x" and lines[-1] == ":::"
    assert lines[3] == "| layer | t | p | n |" and lines[4] == "|---|---|---|---|"
    assert lines[5] == "| LP a\\|b | -6.49 | 1.35e-10 | 10 |"
    assert lines[6] == "| LP in | – | 5.00e-01 | 20 |"


def test_index_and_multiindex_columns_are_shown():
    df = pd.DataFrame([[1.0, 0.1234], [2.0, 0.5]], index=pd.Index(["control", "locality"], name="arm"),
                      columns=pd.MultiIndex.from_tuples([("acc", "mean"), ("acc", "std")]))
    md = myst_table(df, "tbl-y", "C.").data
    assert "| arm | acc mean | acc std |" in md and "| control | 1 | 0.123 |" in md


@pytest.mark.parametrize("kwargs,match", [
    ({"df": [[1]]}, "DataFrame"),
    ({"label": "has space"}, "label"),
    ({"caption": "two\nlines"}, "one line"),
    ({"formats": {"zz": "{:.1f}"}}, "zz"),
])
def test_bad_arguments(kwargs, match):
    args = {"df": pd.DataFrame({"a": [1]}), "label": "tbl-z", "caption": "C.", **kwargs}
    with pytest.raises(ValueError, match=match):
        myst_table(args.pop("df"), args.pop("label"), args.pop("caption"), **args)
