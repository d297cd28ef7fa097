"""Variable-length sequences: padding and PyTorch's PackedSequence layout.

Every conversion here is one differentiable gather: the values are concatenated (plus one row of
padding where needed) and indexed with an index array computed on the host from the lengths, so
gradients flow back through the indexing op with no backward code of our own.
"""
from collections import namedtuple

import numpy as np

from ..._tensor import Tensor


def _int64_tensor(values):
    from ...ops.creation import tensor
    from ... import _dtypes
    return tensor(np.asarray(values, dtype=np.int64), dtype=_dtypes.int64)


def _host_ints(x):
    """A host int64 array from a tensor or a sequence of ints."""
    if isinstance(x, Tensor):
        return np.asarray(x._cpu_array(), dtype=np.int64).reshape(-1)
    return np.asarray(list(x), dtype=np.int64).reshape(-1)


def _gather_rows(source, index, device):
    """`source[index]` with a host index array moved to `source`'s device."""
    from ...ops.creation import tensor
    return source[tensor(index, device=device)]


def _with_pad_row(rows, padding_value):
    """`rows` (N, *) with one extra row of `padding_value` at index N."""
    from ... import cat, full
    pad = full((1,) + tuple(rows.shape[1:]), padding_value, dtype=rows.dtype, device=rows.device)
    return cat([rows, pad])


def invert_permutation(permutation):
    if permutation is None:
        return None
    perm = _host_ints(permutation)
    inv = np.empty_like(perm)
    inv[perm] = np.arange(perm.size)
    from ...ops.creation import tensor
    return tensor(inv, device=permutation.device)


_PackedSequenceBase = namedtuple("PackedSequence",
                                 ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedSequenceBase):
    """A batch of variable-length sequences packed time step by time step: `data` holds, for
    t = 0, 1, ..., the step-t elements of the `batch_sizes[t]` sequences still running (longest
    first); `sorted_indices` maps that order back to the original batch."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence(data, batch_sizes) from a tuple, as in PyTorch
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        idx = [None if i is None else i.to(device=data.device)
               for i in (self.sorted_indices, self.unsorted_indices)]
        return type(self)(data, self.batch_sizes, *idx)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else device)

    def float(self):
        return self.to(dtype="float32")

    def double(self):
        return self.to(dtype="float64")

    def half(self):
        return self.to(dtype="float16")

    @property
    def is_cuda(self):
        return self.data.is_cuda


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shape (L_i, *) into (max L, B, *) (or (B, max L, *) with batch_first),
    filling with `padding_value` on the right (or left)."""
    from ... import cat
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    lengths = [s.shape[0] if s.ndim else 1 for s in sequences]
    max_len, batch = max(lengths), len(sequences)
    rows = _with_pad_row(cat([s.reshape((n,) + tuple(s.shape[1:]))
                              for s, n in zip(sequences, lengths)]), padding_value)
    pad_row = rows.shape[0] - 1
    index = np.full((batch, max_len), pad_row, dtype=np.int64)
    start = 0
    for b, n in enumerate(lengths):
        lo = 0 if padding_side == "right" else max_len - n
        index[b, lo:lo + n] = np.arange(start, start + n)
        start += n
    return _gather_rows(rows, index if batch_first else index.T, rows.device)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of unpadded sequences from a right-padded batch and its lengths."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:n] for seq, n in zip(padded_sequences.unbind(0), _host_ints(lengths).tolist())]


def _batch_sizes(sorted_lengths):
    """batch_sizes[t] = how many sequences are longer than t (lengths sorted decreasing)."""
    steps = np.arange(sorted_lengths[0])
    return (sorted_lengths[None, :] > steps[:, None]).sum(1).astype(np.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) (or (B, T, *)) whose sequences have `lengths`."""
    lengths = _host_ints(lengths)
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if enforce_sorted:
        if np.any(lengths[1:] > lengths[:-1]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
                               "pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        order = np.arange(lengths.size)
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = _int64_tensor(order).to(input.device)
    sorted_lengths = lengths[order]
    steps, batch = (input.shape[1], input.shape[0]) if batch_first else input.shape[:2]
    if sorted_lengths[0] > steps:
        raise RuntimeError(f"pack_padded_sequence: a length of {sorted_lengths[0]} exceeds the "
                           f"{steps} time steps of the input")
    batch_sizes = _batch_sizes(sorted_lengths)
    # Row of (t, original batch b) in the input flattened to (T*B, *) or (B*T, *).
    index = np.concatenate([
        order[:n] * steps + t if batch_first else t * batch + order[:n]
        for t, n in enumerate(batch_sizes)])
    flat = input.reshape((-1,) + tuple(input.shape[2:]))
    data = _gather_rows(flat, index, input.device)
    return PackedSequence(data, _int64_tensor(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo pack_padded_sequence: (padded batch, lengths) in the original batch order."""
    data, batch_sizes = sequence.data, _host_ints(sequence.batch_sizes)
    max_len, batch = batch_sizes.size, int(batch_sizes[0])
    if total_length is not None:
        if total_length < max_len:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {max_len}")
        max_len = total_length
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]])
    rows = _with_pad_row(data, padding_value)
    # index[t, s]: packed row of sorted sequence s at step t, or the padding row.
    index = np.full((max_len, batch), rows.shape[0] - 1, dtype=np.int64)
    for t, n in enumerate(batch_sizes):
        index[t, :n] = offsets[t] + np.arange(n)
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1)  # per sorted sequence
    if sequence.unsorted_indices is not None:
        unsorted = _host_ints(sequence.unsorted_indices)
        index, lengths = index[:, unsorted], lengths[unsorted]
    padded = _gather_rows(rows, index.T if batch_first else index, data.device)
    return padded, _int64_tensor(lengths)


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors (L_i, *) directly."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of tensors a PackedSequence was made of, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


__all__ = ["PackedSequence", "invert_permutation", "pad_sequence", "unpad_sequence",
           "pack_padded_sequence", "pad_packed_sequence", "pack_sequence", "unpack_sequence"]
