"""Vocab: a token <-> index table for simple models (torchtext's `Vocab` API)."""
from collections import Counter

__all__ = ["Vocab", "build_vocab_from_iterator"]


class Vocab:
    """Maps tokens to indices in the order of `itos`; unknown tokens raise unless a default
    index is set with `set_default_index`."""

    def __init__(self, itos):
        self._itos = list(itos)
        self._stoi = {}
        for i, token in enumerate(self._itos):
            if token in self._stoi:
                raise ValueError(f"Vocab: token {token!r} appears twice")
            self._stoi[token] = i
        self._default_index = None

    def __len__(self):
        return len(self._itos)

    def __contains__(self, token):
        return token in self._stoi

    def __getitem__(self, token):
        index = self._stoi.get(token, self._default_index)
        if index is None:
            raise RuntimeError(f"Vocab: token {token!r} not found and the default index is not "
                               "set (call set_default_index)")
        return index

    def __call__(self, tokens):
        return self.lookup_indices(tokens)

    def set_default_index(self, index):
        """The index returned for tokens not in the vocabulary (None: raise instead)."""
        if index is not None and not 0 <= index < len(self._itos):
            raise IndexError(f"Vocab.set_default_index: index {index} out of range for a "
                             f"vocabulary of {len(self._itos)} tokens")
        self._default_index = index

    def get_default_index(self):
        return self._default_index

    def lookup_indices(self, tokens):
        return [self[t] for t in tokens]

    def lookup_token(self, index):
        if not 0 <= index < len(self._itos):
            raise IndexError(f"Vocab.lookup_token: index {index} out of range for a vocabulary "
                             f"of {len(self._itos)} tokens")
        return self._itos[index]

    def lookup_tokens(self, indices):
        return [self.lookup_token(i) for i in indices]

    def append_token(self, token):
        if token in self._stoi:
            raise RuntimeError(f"Vocab.append_token: {token!r} is already in the vocabulary")
        self._stoi[token] = len(self._itos)
        self._itos.append(token)

    def insert_token(self, token, index):
        if token in self._stoi:
            raise RuntimeError(f"Vocab.insert_token: {token!r} is already in the vocabulary")
        if not 0 <= index <= len(self._itos):
            raise IndexError(f"Vocab.insert_token: index {index} out of range")
        self._itos.insert(index, token)
        self._stoi = {t: i for i, t in enumerate(self._itos)}

    def get_itos(self):
        return list(self._itos)

    def get_stoi(self):
        return dict(self._stoi)

    def __repr__(self):
        return f"Vocab(size={len(self)}, default_index={self._default_index})"


def build_vocab_from_iterator(iterator, min_freq=1, specials=None, special_first=True,
                              max_tokens=None):
    """A Vocab of the tokens in an iterator of token lists, most frequent first (ties in
    alphabetical order, as torchtext sorts them), keeping tokens seen at least `min_freq`
    times; `specials` go first (or last), and `max_tokens` caps the size including them."""
    if min_freq < 1:
        raise ValueError(f"build_vocab_from_iterator: min_freq must be >= 1, got {min_freq}")
    counter = Counter()
    for tokens in iterator:
        counter.update(tokens)
    specials = list(specials or ())
    for token in specials:
        counter.pop(token, None)
    ordered = [t for t, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
               if n >= min_freq]
    if max_tokens is not None:
        if max_tokens <= len(specials):
            raise ValueError("build_vocab_from_iterator: max_tokens must exceed the number of "
                             "specials")
        ordered = ordered[:max_tokens - len(specials)]
    return Vocab(specials + ordered if special_first else ordered + specials)
