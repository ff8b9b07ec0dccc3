"""Command line: list the book's chapters, run one headless, export notebooks.

    python -m repgeom list
    python -m repgeom run CHAPTER [--profile quick|full] [--device auto|cpu|cuda] [--torch-profile CELL [--trace]]
    python -m repgeom notebooks --out DIR
    python -m repgeom compare OLD NEW   (two claims JSON files or output folders, times aside)
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from . import runtime


def _root() -> Path:
    root = runtime.repo_root()
    if root is None:
        raise SystemExit("error: run this inside the book's checkout (the folder with _config.yml and lib/)")
    return root


def chapters(root: Path) -> list[str]:
    from repgeom.book.publish import chapters as toc_chapters

    return toc_chapters(root)


def _chapter_path(root: Path, chapter: str) -> Path:
    known = chapters(root)
    if chapter not in known:
        raise SystemExit(f"error: unknown chapter {chapter!r}; chapters: {', '.join(known) or '(none yet)'}")
    return root / "book" / f"{chapter}.md"


def cmd_list(args: argparse.Namespace) -> int:
    from .book import figures

    root = _root()
    for chapter in chapters(root):
        text = (root / "book" / f"{chapter}.md").read_text()
        labels = sorted(set(line.split()[-1] for line in text.splitlines() if line.startswith(":name: fig-")))
        print(f"{chapter}: {', '.join(labels) or 'no figures'}")
    saved = figures.records()
    print(f"\n{len(saved)} figure(s) saved at profile {runtime.profile()} in {figures.figure_dir()}")
    return 0


def cmd_notebooks(args: argparse.Namespace) -> int:
    """Convert every chapter (and summary notebook) of the toc to .ipynb with jupytext."""
    import jupytext

    root = _root()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.ipynb"):
        old.unlink()
    for chapter in chapters(root) + ["data_sources", "performance"]:
        nb = jupytext.read(root / "book" / f"{chapter}.md")
        jupytext.write(nb, out / f"{chapter}.ipynb")
        print(out / f"{chapter}.ipynb")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Validate every REPGEOM_* setting; print them on one line."""
    settings = runtime.configure()
    print("settings ok: " + ", ".join(f"{k}={v}" for k, v in settings.items()))
    return 0


def cmd_mirror(args: argparse.Namespace) -> int:
    """Write the Colab notebook mirror of every chapter."""
    from repgeom.book.publish import write_mirror

    for path in write_mirror(_root(), Path(args.out)):
        print(path)
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    """Download (or find) the real datasets and weights the book uses; never falls back to a stand-in."""
    from . import data
    from .models.pretrained import RESNET50_FILE, pretrained_resnet50

    failed = 0
    for name in args.datasets:
        try:
            if name == "resnet50-imagenet":
                print(f"{name}: {RESNET50_FILE} (about 98 MB) ...", flush=True)
                model, note = pretrained_resnet50(runtime.offline(), runtime.data_root())
                if model is None:
                    raise data.DataUnavailable(note)
                print(f"{name}: {note}")
            elif name in data.SHAPES:
                if name in data.DOWNLOAD_MB:
                    print(f"{name}: about {data.DOWNLOAD_MB[name]} MB ...", flush=True)
                folder, count = data.fetch(name)
                print(f"{name}: {count} images in {folder}")
            else:
                raise ValueError(f"unknown name {name!r}; expected resnet50-imagenet or one of "
                                 f"{', '.join(data.SHAPES)}")
        except (data.DataUnavailable, data.DataCorrupt, ValueError) as err:
            print(f"error: {err}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def cmd_run(args: argparse.Namespace) -> int:
    """Execute one chapter headless, cell by cell on the terminal; print its slowest cells and claim table."""
    import jupytext

    from repgeom.book.execute import execute_notebook

    root = _root()
    path = _chapter_path(root, args.chapter)
    os.environ["REPGEOM_PROFILE"] = args.profile or runtime.profile()
    if args.device:
        os.environ["REPGEOM_DEVICE"] = args.device
    runtime.configure()  # fail early, with one line, on a bad setting
    if args.slowest < 0:
        raise SystemExit(f"error: --slowest must be 0 or more cells, got {args.slowest}")
    nb = jupytext.read(path)
    profiled = None
    if args.torch_profile is not None:
        from repgeom.book.profiling import profile_around

        stem = root / "_build" / "profile" / f"{args.chapter}-cell{args.torch_profile}-{os.environ['REPGEOM_PROFILE']}"
        try:
            profiled = profile_around(nb, args.torch_profile, stem, trace=args.trace)
        except ValueError as err:
            raise SystemExit(f"error: {err}")

    def index_of(i: int) -> int | None:
        """The chapter's own index of cell ``i``; None for the profiler's inserted start and stop cells."""
        p = args.torch_profile
        if p is None or i < p:
            return i
        return None if i in (p, p + 2) else i - 1 if i == p + 1 else i - 2

    print(f"running {args.chapter} at profile {os.environ['REPGEOM_PROFILE']} ...", flush=True)
    kernel_log = runtime.output_root() / "logs" / f"{args.chapter}-kernel.log"
    result = execute_notebook(nb, path.parent, index_of=index_of, kernel_log=kernel_log)
    if profiled is not None:  # drop the profiler's start and stop cells: indices as in the chapter again
        del nb.cells[args.torch_profile + 2], nb.cells[args.torch_profile]
    if args.save_notebook:
        jupytext.write(nb, args.save_notebook)
    if result.failure is not None:
        print(result.failure.line(args.chapter, args.save_notebook, kernel_log), file=sys.stderr, flush=True)
        return 130 if result.failure.kind == "interrupted" else 1
    print(f"done in {result.seconds:.0f} s")
    from repgeom.book.profiling import cell_times

    print("slowest cells (index: seconds, first comment or line; profile one with --torch-profile INDEX):")
    for cell in cell_times(nb)[:args.slowest]:
        print(f"  {cell.index:3d}: {cell.seconds:7.1f} s  {cell.label}")
    if profiled is not None:
        print(f"torch.profiler of cell {args.torch_profile}: {profiled.table}"
              + (f" and {profiled.trace} (Chrome trace)" if profiled.trace else ""))
    from .book import claims

    table = claims.load_outcomes()
    table = table[table["chapter"] == args.chapter]
    if len(table):
        import pandas as pd

        with pd.option_context("display.max_colwidth", 60, "display.width", 200):
            print(table[["id", "paper_value", "ours", "verdict"]].to_string(index=False))
    from .book import figures

    print(f"figures: {figures.figure_dir()}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare two runs' claims field by field, times aside; exit 1 when they differ."""
    from repgeom.book.compare import compare_paths

    try:
        diffs, compared = compare_paths(Path(args.old), Path(args.new))
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for d in diffs:
        print(d.describe())
    if diffs:
        print(f"{len(diffs)} field(s) differ between {args.old} and {args.new} ({compared} claims file(s) compared, "
              "times aside)")
        return 1
    print(f"identical: {compared} claims file(s) in {args.old} and {args.new} (times aside)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m repgeom", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list chapters and their figure labels").set_defaults(func=cmd_list)
    nbs = sub.add_parser("notebooks", help="convert the chapters to .ipynb (jupytext)")
    nbs.add_argument("--out", required=True)
    nbs.set_defaults(func=cmd_notebooks)
    sub.add_parser("check", help="validate the REPGEOM_* settings").set_defaults(func=cmd_check)
    mirror = sub.add_parser("colab", help="write the Colab notebook mirror (notebooks/)")
    mirror.add_argument("--out", default="notebooks")
    mirror.set_defaults(func=cmd_mirror)
    fetch = sub.add_parser("fetch", help="download the real datasets and weights into REPGEOM_DATA and torch's cache")
    fetch.add_argument("datasets", nargs="+", metavar="NAME",
                       help="mnist, fashion_mnist, cifar10, cifar100, stl10, imagenette, resnet50-imagenet")
    fetch.set_defaults(func=cmd_fetch)
    run = sub.add_parser("run", help="execute one chapter headless, print its claim table")
    run.add_argument("chapter")
    run.add_argument("--profile", choices=runtime.PROFILES)
    run.add_argument("--device", help="auto, cpu, cuda or cuda:N")
    run.add_argument("--save-notebook", help="also write the executed notebook here (.ipynb)")
    run.add_argument("--slowest", type=int, default=5, help="how many of the slowest cells to list (default 5)")
    run.add_argument("--torch-profile", type=int, metavar="CELL",
                     help="run torch.profiler around this cell (index as listed); tables in _build/profile/")
    run.add_argument("--trace", action="store_true", help="with --torch-profile: also write the Chrome trace")
    run.set_defaults(func=cmd_run)
    compare = sub.add_parser("compare", help="compare two runs' claims (JSON files or output folders), times aside")
    compare.add_argument("old", help="a claims JSON file, or a folder with claims/*.json below it")
    compare.add_argument("new", help="the same kind of path for the other run")
    compare.set_defaults(func=cmd_compare)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except runtime.SettingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
