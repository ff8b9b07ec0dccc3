"""Shared test set-up: every test runs offline, quietly, with its own output folder."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch, tmp_path):
    for name in ("REPGEOM_PROFILE", "REPGEOM_DEVICE", "REPGEOM_THREADS", "REPGEOM_DATA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REPGEOM_OFFLINE", "1")
    monkeypatch.setenv("REPGEOM_QUIET", "1")
    monkeypatch.setenv("REPGEOM_OUTPUT", str(tmp_path / "out"))
    yield
