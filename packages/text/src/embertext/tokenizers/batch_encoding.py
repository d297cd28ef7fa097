"""BatchEncoding: the dict a tokenizer call returns (`input_ids`, `attention_mask`, ...)."""
import numpy as np

import ember

__all__ = ["BatchEncoding", "to_tensors"]


def to_tensors(data, return_tensors):
    """Turn lists of ints into "np" arrays or "ember"/"pt" int64 tensors, key by key."""
    if return_tensors is None:
        return data
    if return_tensors not in ("ember", "pt", "np"):
        raise ValueError(f"return_tensors must be 'ember' (or its alias 'pt'), 'np' or None, "
                         f"got {return_tensors!r}")
    out = {}
    for key, value in data.items():
        try:
            array = np.asarray(value, dtype=np.int64)
        except ValueError:
            raise ValueError(f"Unable to create tensor from {key!r}: the sequences have different "
                             "lengths; pass padding=True (and truncation=True) to batch "
                             "them") from None
        out[key] = array if return_tensors == "np" else ember.tensor(array, dtype=ember.int64)
    return out


class BatchEncoding(dict):
    """A dict of model inputs, also readable as attributes (`enc.input_ids`).

    `encodings` holds the `tokenizers.Encoding` of each sequence (word ids, tokens, offsets).
    """

    def __init__(self, data=None, encodings=None):
        super().__init__(data or {})
        self.encodings = encodings

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"BatchEncoding has no key or attribute {name!r}") from None

    def _encoding(self, batch_index):
        if not self.encodings:
            raise ValueError("this BatchEncoding was not made by a tokenizer call, so it "
                             "carries no token-level information")
        return self.encodings[batch_index]

    def tokens(self, batch_index=0):
        """The tokens of sequence `batch_index` (after special tokens and padding)."""
        return self._encoding(batch_index).tokens

    def word_ids(self, batch_index=0):
        """For each token, the index of the word it comes from (None for special tokens)."""
        return self._encoding(batch_index).word_ids

    def sequence_ids(self, batch_index=0):
        """For each token, 0 or 1 (first or second text of a pair), None for special tokens."""
        return self._encoding(batch_index).sequence_ids

    def to(self, device):
        """Move every tensor value to `device` (in place, returning self, as in transformers)."""
        for key, value in self.items():
            if isinstance(value, ember.Tensor):
                self[key] = value.to(device)
        return self

    def __repr__(self):
        return f"BatchEncoding({dict.__repr__(self)})"
