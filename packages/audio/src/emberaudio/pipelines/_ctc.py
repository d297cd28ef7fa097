"""Greedy (best-path) CTC decoding of emissions into label strings."""
import ember
from ember import nn

__all__ = ["GreedyCTCDecoder"]


class GreedyCTCDecoder(nn.Module):
    """Takes the most likely label per frame, merges repeats, then drops blanks.

    Called on (frames, labels) emissions it returns a string; on (batch, frames, labels), a list
    of strings. Words stay joined by the "|" label; `.replace("|", " ")` gives plain text.
    """

    def __init__(self, labels, blank=0):
        super().__init__()
        self.labels = labels
        self.blank = blank

    def _decode(self, indices):
        out, previous = [], None
        for i in indices:
            if i != previous and i != self.blank:
                out.append(self.labels[i])
            previous = i
        return "".join(out)

    def forward(self, emission):
        if emission.ndim not in (2, 3):
            raise ValueError(f"GreedyCTCDecoder: expected (frames, labels) or (batch, frames, "
                             f"labels) emissions, got shape {list(emission.shape)}")
        indices = ember.argmax(emission, dim=-1).tolist()
        if emission.ndim == 2:
            return self._decode(indices)
        return [self._decode(row) for row in indices]
