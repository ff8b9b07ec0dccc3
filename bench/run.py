"""Run every ``bench/bench_*.py`` entry and print one table (also written as JSON).

    python bench/run.py [--profile quick|full] [--only NAME]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
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
    parser.add_argument("--only", help="run only bench_<ONLY>.py")
    args = parser.parse_args()
    settings = runtime.configure()
    device = settings["device"]
    rows: list[Row] = []
    for path in sorted(HERE.glob("bench_*.py")):
        if args.only and path.stem != f"bench_{args.only}":
            continue
        print(f"# {path.stem} ...", flush=True)
        rows.extend(_load(path).run(args.profile, device))
    header = f"{'kernel':32} {'size':34} {'device':7} {'ours s':>9} {'peer':28} {'peer s':>9} {'peer/ours':>9}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r.kernel:32} {r.size:34} {r.device:7} {r.ours_s:9.4f} {r.peer:28} {r.peer_s:9.4f} {r.ratio:9.2f}")
    out = Path("_build") / "bench"
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "profile": args.profile, "device": str(device), "threads": settings["threads"],
        "cpu": platform.processor() or platform.machine(), "torch": torch.__version__,
        "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "rows": [r.as_dict() for r in rows],
    }
    path = out / f"bench-{args.profile}-{device.type}.json"
    path.write_text(json.dumps(payload, indent=2))
    print(f"written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
