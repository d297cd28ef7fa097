"""Small helpers of the Trainer's loops: batch limits, batch sizes, the loss in a
training_step's output, float64 batches, an unshuffled copy of a loader."""
import ember


def limit_batches(limit, length, what):
    """How many batches `limit_*_batches` allows out of `length` (float: a fraction)."""
    if limit is None:
        return length
    if isinstance(limit, float):
        if not 0.0 <= limit <= 1.0:
            raise ValueError(f"Trainer: {what} as a float must be in [0, 1], got {limit}")
        count = int(length * limit) if limit < 1.0 else length
        if count == 0 and limit > 0.0:
            raise ValueError(f"Trainer: {what}={limit} of {length} batches is less than one "
                             f"batch; use at least {what}={1.0 / length}")
        return count
    return min(int(limit), length)


def batch_size_of(batch):
    if isinstance(batch, ember.Tensor):
        return batch.shape[0] if batch.dim() else 1
    if isinstance(batch, (list, tuple)) and batch:
        return batch_size_of(batch[0])
    if isinstance(batch, dict) and batch:
        return batch_size_of(next(iter(batch.values())))
    return 1


def loss_of(output):
    if output is None or isinstance(output, ember.Tensor):
        return output
    if isinstance(output, dict) and "loss" in output:
        return output["loss"]
    raise TypeError("training_step must return a loss Tensor, a dict with a 'loss' key, or None "
                    f"(to skip the batch); got {type(output).__name__}")


def to_float64(batch):
    if isinstance(batch, ember.Tensor):
        return batch.double() if batch.dtype.is_floating_point else batch
    if isinstance(batch, (list, tuple)) and not hasattr(batch, "_fields"):
        return type(batch)(to_float64(b) for b in batch)
    if isinstance(batch, dict):
        return {k: to_float64(v) for k, v in batch.items()}
    return batch


def unshuffled(loader):
    """The same data in a fixed order (overfit_batches trains and validates on one set)."""
    return ember.utils.data.DataLoader(loader.dataset, batch_size=loader.batch_size,
                                       shuffle=False, collate_fn=loader.collate_fn,
                                       drop_last=loader.drop_last)
