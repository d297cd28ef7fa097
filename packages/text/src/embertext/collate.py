"""Collate variable-length token sequences into padded batches."""
import numpy as np

import ember
from ember.nn.utils.rnn import pad_sequence

__all__ = ["collate_batch", "pad_batch"]


def _as_ids(sequence):
    if isinstance(sequence, ember.Tensor):
        return sequence.to(ember.int64) if sequence.dtype != ember.int64 else sequence
    return ember.tensor(np.asarray(sequence, dtype=np.int64).reshape(-1))


def pad_batch(sequences, padding_value=0, batch_first=True, padding_side="right"):
    """Pad id sequences (lists or 1-D tensors) into one int64 tensor.

    Returns (ids, lengths, attention_mask): ids (B, L) (or (L, B) when not batch_first),
    lengths int64 (B,), mask int64 (B, L) with 1 on real tokens.
    """
    sequences = [_as_ids(s) for s in sequences]
    if not sequences:
        raise ValueError("pad_batch: received an empty batch")
    lengths = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    ids = pad_sequence(sequences, batch_first=batch_first, padding_value=padding_value,
                       padding_side=padding_side)
    positions = np.arange(lengths.max() if len(lengths) else 0)
    if padding_side == "right":
        mask = positions[None, :] < lengths[:, None]
    else:
        mask = positions[None, :] >= (lengths.max() - lengths)[:, None]
    device = sequences[0].device
    return (ids, ember.tensor(lengths).to(device),
            ember.tensor(mask.astype(np.int64)).to(device))


def collate_batch(batch, text_pipeline=None, label_pipeline=None, padding_value=0,
                  batch_first=True):
    """DataLoader `collate_fn` for (label, text) items, as in torchtext's tutorials.

    `text_pipeline` maps a text to ids (e.g. `lambda t: vocab(tokenizer(t))`), `label_pipeline`
    a label to an int. Returns (labels int64 (B,), ids (B, L), lengths int64 (B,)).
    """
    labels, texts = zip(*batch)
    if label_pipeline is not None:
        labels = [label_pipeline(x) for x in labels]
    if text_pipeline is not None:
        texts = [text_pipeline(t) for t in texts]
    ids, lengths, _ = pad_batch(texts, padding_value=padding_value, batch_first=batch_first)
    return ember.tensor(np.asarray(labels, dtype=np.int64)), ids, lengths
