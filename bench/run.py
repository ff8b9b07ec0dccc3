"""Run every ``bench/bench_*.py`` entry and print one table (also written as JSON).

    python bench/run.py [--profile quick|full] [--only NAME[,NAME...]] [--no-scaling] [--record]

The JSON goes to ``_build/bench/bench-<profile>-<device>.json``; ``--record``
also writes it to ``bench/results/`` (named after the profile, the machine and,
with ``--only``, the families run, so recording one family at a time keeps the
others), where the book's Performance page reads committed measurements.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from harness import Row  # noqa: E402


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    from repgeom import runtime

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=runtime.PROFILES, default=runtime.profile())
    parser.add_argument("--only", help="run only bench_<ONLY>.py (several: comma-separated)")
    parser.add_argument("--no-scaling", action="store_true", help="skip the scaling sweeps")
    parser.add_argument("--record", action="store_true", help="also write the JSON to bench/results/")
    args = parser.parse_args()
    settings = runtime.configure()
    device = settings["device"]
    rows: list[Row] = []
    sweeps: list[Row] = []
    for path in sorted(HERE.glob("bench_*.py")):
        if args.only and path.stem.removeprefix("bench_") not in args.only.split(","):
            continue
        print(f"# {path.stem} ...", flush=True)
        module = _load(path)
        rows.extend(module.run(args.profile, device))
        if not args.no_scaling and hasattr(module, "scaling"):
            print(f"# {path.stem} scaling ...", flush=True)
            sweeps.extend(module.scaling(args.profile, device))
    header = f"{'kernel':32} {'size':34} {'device':7} {'ours s':>9} {'peer':28} {'peer s':>9} {'peer/ours':>9}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r.kernel:32} {r.size:34} {r.device:7} {r.ours_s:9.4f} {r.peer:28} {r.peer_s:9.4f} {r.ratio:9.2f}")
    for r in sweeps:
        print(f"{r.kernel:32} {r.scale + ' = ' + format(r.scale_value, 'g'):34} {r.device:7} {r.ours_s:9.4f} "
              f"{r.peer:28} {r.peer_s:9.4f} {r.ratio:9.2f}")
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    payload = {
        "profile": args.profile, "device": str(device), "threads": settings["threads"],
        "cpu": platform.processor() or platform.machine(), "cpu_cores": os.cpu_count(),
        "gpu": gpu, "torch": torch.__version__, "commit": runtime.commit(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "rows": [r.as_dict() for r in rows], "scaling": [r.as_dict() for r in sweeps],
    }
    out = Path("_build") / "bench"
    out.mkdir(parents=True, exist_ok=True)
    targets = [out / f"bench-{args.profile}-{device.type}.json"]
    if args.record:
        machine = re.sub(r"[^a-z0-9]+", "-", (gpu or f"cpu-{os.cpu_count()}-cores").lower()).strip("-")
        families = "-" + "-".join(sorted(args.only.split(","))) if args.only else ""
        targets.append(HERE / "results" / f"{args.profile}-{machine}{families}.json")
    for path in targets:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
