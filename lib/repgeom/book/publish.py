"""The book's table of contents and its notebook mirror for Colab.

Colab opens ``.ipynb`` files from GitHub, not MyST Markdown, so
``notebooks/<chapter>.ipynb`` mirrors every chapter (made by jupytext) with a
first cell that installs this library at the book's release tag.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from repgeom import __version__

REPOSITORY = "https://github.com/repgeom/repgeom-book"
#: Where the Pages workflow publishes the book (the stable address figures are cited at).
BOOK_URL = "https://repgeom.github.io/repgeom-book"
SUMMARY_PAGES = frozenset({"intro", "scorecard", "gallery", "performance", "data_sources"})


def toc_files(root: Path) -> list[str]:
    """Every file listed in ``_toc.yml``, in reading order (paths without extension)."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files: list[str] = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def chapters(root: Path) -> list[str]:
    """Chapter ids (file stems) of the table of contents, in reading order."""
    return [Path(f).name for f in toc_files(root) if Path(f).name not in SUMMARY_PAGES]


def chapter_title(root: Path, chapter: str) -> str:
    """The first heading of ``book/<chapter>.md`` (the chapter's title), or the id when it has none."""
    path = root / "book" / f"{chapter}.md"
    for line in path.read_text().splitlines() if path.is_file() else []:
        if line.startswith("# "):
            return line[2:].strip()
    return chapter


def colab_url(chapter: str) -> str:
    """Where Colab opens the chapter's notebook mirror."""
    return f"https://colab.research.google.com/github/{REPOSITORY.removeprefix('https://github.com/')}/blob/main/notebooks/{chapter}.ipynb"


def colab_notebook(chapter_md: Path) -> nbformat.NotebookNode:
    """The chapter as a notebook whose first cell installs the book at its release tag."""
    import jupytext

    nb = jupytext.read(chapter_md)
    tag = f"v{__version__}"
    setup = nbformat.v4.new_code_cell(
        "# Colab set-up: the book's code and pinned environment at its release tag.\n"
        "import os, sys\n"
        "if 'google.colab' in sys.modules and not os.path.isdir('repgeom-book'):\n"
        f"    !git clone --depth 1 --branch {tag} {REPOSITORY} repgeom-book\n"
        "    !pip install -q -e repgeom-book\n"
        "    %cd repgeom-book/book"
    )
    setup.metadata["tags"] = ["colab-setup"]
    nb.cells.insert(0, setup)
    for i, cell in enumerate(nb.cells):  # stable ids: the mirror must not change between conversions
        cell["id"] = f"{chapter_md.stem[:40]}-{i}"
    nb.metadata.pop("jupytext", None)
    return nb


def write_mirror(root: Path, out: Path) -> list[Path]:
    """Write ``out/<chapter>.ipynb`` for every chapter; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for chapter in chapters(root):
        path = out / f"{chapter}.ipynb"
        nbformat.write(colab_notebook(root / "book" / f"{chapter}.md"), path)
        written.append(path)
    return written
