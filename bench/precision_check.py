"""Does bfloat16 autocast change the representations the chapters measure?

``train.fit(..., autocast=torch.bfloat16, channels_last=True)`` is faster on a
tensor-core GPU (``bench_ensemble.mixed_precision_row`` times it), but the
chapters may use it only where it does not change the measured geometry. This
script measures that. It trains ResNet-18s on CIFAR-10 (or its declared
stand-in) from the same seeds and the same batches twice, in float32 and
under bfloat16 autocast, and compares the networks' penultimate
representations of held-out images with linear CKA (Kornblith et al., 2019):

* **precision**: the same seed, float32 against bfloat16: what mixed
  precision changes;
* **seed**: float32, one seed against another: the variation every chapter
  already averages over.

Mixed precision is within the chapters' noise where the precision CKA is at
least the seed CKA. Usage::

    python bench/precision_check.py [--profile quick|full] [--seeds 3]

Writes ``_build/bench/precision/<profile>-<device>.json``; ``--record`` also
writes ``bench/results/precision/<profile>-<machine>.json``, which the book's
Performance page shows. Quick: 1024 images
at 32 px, 2 epochs (about 2 minutes on a 2-core CPU, where bfloat16 is
emulated and slow); full: 20,000 images, 10 epochs.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from repgeom import data, runtime  # noqa: E402
from repgeom import training as train
from repgeom.measures.similarity import linear_cka  # noqa: E402

SIZES = {"quick": dict(n_train=1024, n_test=512, epochs=2), "full": dict(n_train=20_000, n_test=2000, epochs=10)}


def trained_features(seed: int, autocast: torch.dtype | None, train_set: data.ImageData, test_x: torch.Tensor,
                     epochs: int, device: torch.device) -> torch.Tensor:
    """Penultimate features (n_test, 512) of a ResNet-18 trained from ``seed``, float32 or under ``autocast``."""
    torch.manual_seed(seed)
    net = torchvision.models.resnet18(num_classes=train_set.num_classes).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    batches = lambda e: train.epoch_batches(train_set.x, train_set.y, 64, seed=seed, epoch=e,  # noqa: E731
                                            device=device)
    train.fit(net, batches, F.cross_entropy, opt, epochs, autocast=autocast, channels_last=autocast is not None,
              desc=f"seed {seed} {'bf16' if autocast else 'fp32'}")
    net.fc = nn.Identity()
    with torch.no_grad():
        return torch.cat([net(xb.to(device)).float().cpu() for xb in test_x.split(256)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=runtime.PROFILES, default=runtime.profile())
    parser.add_argument("--seeds", type=int, default=3, help="networks per precision (at least 2)")
    parser.add_argument("--record", action="store_true", help="also write bench/results/precision/")
    args = parser.parse_args()
    if args.seeds < 2:
        raise SystemExit(f"error: --seeds must be at least 2 to measure seed-to-seed variation, got {args.seeds}")
    device = runtime.configure()["device"]
    size = SIZES[args.profile]
    train_set = data.load("cifar10", "train", size["n_train"], normalize=True, subset_seed=0)
    test_x = data.load("cifar10", "test", size["n_test"], normalize=True, subset_seed=1).x
    print(f"data: {train_set.provenance.summary()}; device {device}; profile {args.profile}")
    seeds = list(range(args.seeds))
    feats = {(s, p): trained_features(s, torch.bfloat16 if p == "bf16" else None, train_set, test_x,
                                      size["epochs"], device)
             for s in seeds for p in ("fp32", "bf16")}
    precision = [float(linear_cka(feats[s, "fp32"], feats[s, "bf16"])) for s in seeds]
    seed = [float(linear_cka(feats[a, "fp32"], feats[b, "fp32"])) for a, b in itertools.combinations(seeds, 2)]
    verdict = "within" if min(precision) >= sum(seed) / len(seed) else "beyond"
    print(f"linear CKA, same seed, fp32 vs bf16:  {', '.join(f'{v:.4f}' for v in precision)}")
    print(f"linear CKA, fp32, seed vs seed:       {', '.join(f'{v:.4f}' for v in seed)}")
    print(f"bfloat16 autocast changes the representations {verdict} seed-to-seed variation")
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    machine = gpu or f"CPU, {os.cpu_count()} cores"
    payload = {"profile": args.profile, "device": str(device), "machine": machine, "commit": runtime.commit(),
               "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "data": train_set.provenance.summary(), "n_train": size["n_train"], "epochs": size["epochs"],
               "cka_precision": precision, "cka_seed": seed, "verdict": verdict}
    targets = [Path("_build") / "bench" / "precision" / f"{args.profile}-{device.type}.json"]
    if args.record:
        slug = re.sub(r"[^a-z0-9]+", "-", machine.lower()).strip("-")
        targets.append(Path(__file__).resolve().parent / "results" / "precision" / f"{args.profile}-{slug}.json")
    for out in targets:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
