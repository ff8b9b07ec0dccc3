"""AlexNet-LP on ImageNet, data-parallel over GPUs (the locality-prior README's ImageNet run).

    torchrun --nproc_per_node=8 -m repgeom.models.locality_imagenet --data /path/to/imagenet --out runs/alexnet-lp

The networks themselves are in :mod:`repgeom.models.locality_nets`.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Sequence

import torch
import torch.nn.functional as F

from .locality_nets import ARMS, AlexNetLP, collect_activations


def imagenet_parser() -> argparse.ArgumentParser:
    """Command-line options of the AlexNet-LP ImageNet job (README defaults)."""
    p = argparse.ArgumentParser(prog="python -m repgeom.models.locality_imagenet",
                                description="Train AlexNet-LP or its control on ImageNet (run under torchrun).")
    p.add_argument("--data", required=True, help="folder with train/ and val/ ImageFolder trees")
    p.add_argument("--out", required=True, help="output folder (checkpoints, activations)")
    p.add_argument("--arm", choices=ARMS, default="locality")
    p.add_argument("--side", type=int, default=64, help="LP grid side (fc width = side**2)")
    p.add_argument("--width", type=float, default=1.0, help="conv channel multiplier")
    p.add_argument("--cost", choices=("linear", "sqrt", "quadratic"), default="linear")
    p.add_argument("--normalize", action="store_true")
    p.add_argument("--epochs", type=int, default=90)
    p.add_argument("--batch-size", type=int, default=256, help="total over all processes")
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--lr-step", type=int, default=30, help="divide lr by 10 every this many epochs")
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--max-steps", type=int, default=0, help="stop each epoch after this many steps (0: all); for smoke tests")
    p.add_argument("--n-activations", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    return p


def _loaders(args: argparse.Namespace, world: int, rank: int):
    import torchvision.datasets as tvd
    import torchvision.transforms as T
    from torch.utils.data import DataLoader
    from torch.utils.data.distributed import DistributedSampler

    norm = T.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    size = args.image_size
    train_tf = T.Compose([T.RandomResizedCrop(size), T.RandomHorizontalFlip(), T.ToTensor(), norm])
    val_tf = T.Compose([T.Resize(int(round(size * 256 / 224))), T.CenterCrop(size), T.ToTensor(), norm])
    train = tvd.ImageFolder(str(Path(args.data) / "train"), train_tf)
    val = tvd.ImageFolder(str(Path(args.data) / "val"), val_tf)
    sampler = DistributedSampler(train, num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    per_rank = max(1, args.batch_size // world)
    train_loader = DataLoader(train, batch_size=per_rank, sampler=sampler, num_workers=args.workers,
                              pin_memory=torch.cuda.is_available(), drop_last=True, persistent_workers=False)
    return train_loader, sampler, val, len(train.classes)


def train_imagenet(argv: Sequence[str] | None = None) -> Path:
    """The DistributedDataParallel ImageNet job (one process per GPU, launched by ``torchrun``).

    Without ``torchrun``'s environment it runs as a single process (CPU with
    the gloo backend when no GPU is visible), which is how the tests smoke it.

    Returns
    -------
    Path
        The output folder (``checkpoint.pt`` and, on rank 0, ``activations.pt``).
    """
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP

    args = imagenet_parser().parse_args(argv)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29517")
    cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if cuda else "gloo", rank=rank, world_size=world)
    try:
        device = torch.device(f"cuda:{local}") if cuda else torch.device("cpu")
        if cuda:
            torch.cuda.set_device(device)
        torch.manual_seed(args.seed)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        train_loader, sampler, val, classes = _loaders(args, world, rank)
        model = AlexNetLP(args.arm, args.side, width=args.width, num_classes=classes, cost=args.cost,
                          normalize=args.normalize).to(device)
        ddp = DDP(model, device_ids=[local] if cuda else None)
        opt = torch.optim.SGD(ddp.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=args.lr_step, gamma=0.1)
        ckpt = out / "checkpoint.pt"
        start = 0
        if ckpt.is_file():
            state = torch.load(ckpt, map_location=device, weights_only=False)
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            sched.load_state_dict(state["scheduler"])
            start = int(state["epoch"])
        for epoch in range(start, args.epochs):
            sampler.set_epoch(epoch)
            ddp.train()
            for step, (xb, yb) in enumerate(train_loader):
                if args.max_steps and step >= args.max_steps:
                    break
                xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
                opt.zero_grad(set_to_none=True)
                loss = F.cross_entropy(ddp(xb), yb)
                loss.backward()
                opt.step()
            sched.step()
            if rank == 0:
                torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                            "scheduler": sched.state_dict(), "epoch": epoch + 1, "args": vars(args)}, ckpt)
        if rank == 0:
            n = min(args.n_activations, len(val))
            idx = torch.randperm(len(val), generator=torch.Generator().manual_seed(args.seed))[:n]
            x = torch.stack([val[int(i)][0] for i in idx])
            y = torch.tensor([val[int(i)][1] for i in idx])
            acts = collect_activations(model, x, batch_size=100)
            acts["labels"] = y
            torch.save(acts, out / "activations.pt")
        dist.barrier()
    finally:
        dist.destroy_process_group()
    return Path(args.out)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``python -m repgeom.models.locality_imagenet`` (under ``torchrun``)."""
    train_imagenet(argv)


if __name__ == "__main__":  # pragma: no cover - exercised through torchrun
    main()
