"""Training loops shared by the models: seeded batches, ``fit``, checkpoints, progress bars (:mod:`.fit`)."""
from .fit import Batch, History, accuracy, epoch_batches, fit, progress, steps_per_epoch

__all__ = ["Batch", "History", "accuracy", "epoch_batches", "fit", "progress", "steps_per_epoch"]
