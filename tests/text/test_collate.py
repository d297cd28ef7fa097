"""embertext.collate and embertext.vocab."""
import pytest

import ember
from embertext import Vocab, build_vocab_from_iterator, collate_batch
from embertext.collate import pad_batch


def test_build_vocab_order_min_freq_specials():
    tokens = [["b", "a", "c", "a"], ["b", "d", "a"]]
    v = build_vocab_from_iterator(tokens, specials=["<unk>", "<pad>"])
    assert v.get_itos() == ["<unk>", "<pad>", "a", "b", "c", "d"]  # ties alphabetical
    assert build_vocab_from_iterator(tokens, min_freq=2).get_itos() == ["a", "b"]
    last = build_vocab_from_iterator(tokens, specials=["<unk>"], special_first=False)
    assert last.get_itos()[-1] == "<unk>"
    assert len(build_vocab_from_iterator(tokens, specials=["<unk>"], max_tokens=3)) == 3


def test_vocab_lookup_and_default_index():
    v = build_vocab_from_iterator([["x", "y"]], specials=["<unk>"])
    assert "x" in v and "z" not in v and len(v) == 3 and v["y"] == 2
    with pytest.raises(RuntimeError, match="default index"):
        v["z"]
    v.set_default_index(v["<unk>"])
    assert v.lookup_indices(["x", "z"]) == [1, 0] and v(["y"]) == [2]
    assert v.lookup_tokens([2, 1]) == ["y", "x"]
    with pytest.raises(IndexError):
        v.set_default_index(9)
    v.append_token("w")
    assert v["w"] == 3 and v.get_stoi()["w"] == 3
    with pytest.raises(ValueError, match="twice"):
        Vocab(["a", "a"])


def test_pad_batch_right_and_left():
    ids, lengths, mask = pad_batch([[5, 6, 7], [8]], padding_value=1)
    assert ids.dtype == ember.int64 and ids.tolist() == [[5, 6, 7], [8, 1, 1]]
    assert lengths.tolist() == [3, 1] and mask.tolist() == [[1, 1, 1], [1, 0, 0]]
    ids, _, mask = pad_batch([ember.tensor([5, 6]), ember.tensor([8])], padding_side="left")
    assert ids.tolist() == [[5, 6], [0, 8]] and mask.tolist() == [[1, 1], [0, 1]]
    ids, _, _ = pad_batch([[1, 2], [3]], batch_first=False)
    assert ids.shape == (2, 2)
    with pytest.raises(ValueError, match="empty"):
        pad_batch([])


def test_collate_batch_with_dataloader():
    from ember.utils.data import DataLoader
    vocab = build_vocab_from_iterator([["good", "bad", "movie"]], specials=["<unk>", "<pad>"])
    vocab.set_default_index(0)
    data = [(2, "good movie"), (1, "bad"), (2, "great movie indeed")]
    loader = DataLoader(data, batch_size=3, collate_fn=lambda b: collate_batch(
        b, text_pipeline=lambda t: vocab(t.split()), label_pipeline=lambda y: y - 1,
        padding_value=vocab["<pad>"]))
    labels, ids, lengths = next(iter(loader))
    assert labels.tolist() == [1, 0, 1] and lengths.tolist() == [2, 1, 3]
    assert ids.tolist() == [[vocab["good"], vocab["movie"], 1], [vocab["bad"], 1, 1],
                            [0, vocab["movie"], 0]]
