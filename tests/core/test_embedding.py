"""embedding, embedding_bag, one_hot and the Embedding/EmbeddingBag modules."""
import numpy as np
import pytest
from ember_testing import assert_close, check_gradcheck, check_parity, rand, torch_or_skip

import ember
import ember.nn as nn
import ember.nn.functional as F

IDX = np.array([[1, 2, 0], [3, 2, 9]])
BAG = np.array([1, 2, 4, 5, 4, 3, 2, 9])
OFFSETS = np.array([0, 2, 2, 5])


def test_embedding_gradcheck():
    # padding_idx and scale_grad_by_freq alter the gradient on purpose: parity covers them.
    idx = ember.from_numpy(IDX)
    check_gradcheck(lambda w: F.embedding(idx, w), rand(10, 3), gradgrad=True)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_gradcheck(mode):
    inp, off = ember.from_numpy(BAG), ember.from_numpy(OFFSETS)
    check_gradcheck(lambda w: F.embedding_bag(inp.to(w.device), w, off.to(w.device), mode=mode),
                    rand(10, 3))


@pytest.mark.parity
@pytest.mark.parametrize("kw", [{}, {"padding_idx": 2}, {"padding_idx": -1},
                                {"scale_grad_by_freq": True}])
def test_embedding_parity(kw):
    check_parity(lambda m, w, i: m.nn.functional.embedding(i, w, **kw), rand(10, 4), IDX)


@pytest.mark.parity
def test_embedding_max_norm_parity():
    torch = torch_or_skip()
    w = rand(10, 4) * 3
    ew, tw = ember.from_numpy(w.copy()), torch.from_numpy(w.copy())
    eo = F.embedding(ember.from_numpy(IDX), ew, max_norm=1.5, norm_type=1.0)
    to = torch.nn.functional.embedding(torch.from_numpy(IDX), tw, max_norm=1.5, norm_type=1.0)
    assert_close(eo, to)
    assert_close(ew, tw)  # looked-up rows renormalized in place


@pytest.mark.parity
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("kw", [{}, {"padding_idx": 2}, {"include_last_offset": True}])
def test_embedding_bag_parity(mode, kw):
    off = np.array([0, 2, 2, 8]) if kw.get("include_last_offset") else OFFSETS
    check_parity(lambda m, w, i, o: m.nn.functional.embedding_bag(i, w, o, mode=mode, **kw),
                 rand(10, 4), BAG, off)


@pytest.mark.parity
def test_embedding_bag_2d_and_per_sample_weights_parity():
    check_parity(lambda m, w, i: m.nn.functional.embedding_bag(i, w, mode="max"), rand(10, 4),
                 IDX)
    check_parity(lambda m, w, i, o, s: m.nn.functional.embedding_bag(
        i, w, o, mode="sum", per_sample_weights=s), rand(10, 4), BAG, OFFSETS, rand(8))


def test_modules():
    m = nn.Embedding(10, 3, padding_idx=0)
    assert not m.weight.detach().numpy()[0].any()
    assert repr(m) == "Embedding(10, 3, padding_idx=0)"
    m(ember.tensor([[0, 1], [2, 0]])).sum().backward()
    assert not m.weight.grad.numpy()[0].any() and m.weight.grad.numpy()[1].all()
    w = ember.randn(5, 2)
    frozen = nn.Embedding.from_pretrained(w)
    assert not frozen.weight.requires_grad and frozen.weight.shape == (5, 2)
    assert nn.Embedding.from_pretrained(w, freeze=False).weight.requires_grad
    assert list(m.state_dict()) == ["weight"]
    bag = nn.EmbeddingBag(10, 3, mode="sum")
    assert repr(bag) == "EmbeddingBag(10, 3, mode=sum)"
    assert bag(ember.tensor([1, 2, 3]), ember.tensor([0, 1])).shape == (2, 3)


def test_one_hot():
    out = F.one_hot(ember.tensor([0, 2, 1]))
    assert out.dtype == ember.int64 and out.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert F.one_hot(ember.tensor([[1], [0]]), 4).shape == (2, 1, 4)
    with pytest.raises(RuntimeError, match="Class values must be non-negative"):
        F.one_hot(ember.tensor([-1, 0]))
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(ember.tensor([3]), 3)
    with pytest.raises(RuntimeError, match="LongTensor"):
        F.one_hot(ember.tensor([1.0]))


def test_errors():
    w = ember.randn(5, 2)
    with pytest.raises(IndexError, match="embedding: index 7 is out of range"):
        F.embedding(ember.tensor([7]), w)
    with pytest.raises(RuntimeError, match="'indices' to have one of the following scalar"):
        F.embedding(ember.tensor([1.0]), w)
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(ember.tensor([1, 2]), w)
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for "
                                                  "mode='sum'"):
        F.embedding_bag(ember.tensor([[1, 2]]), w, mode="mean",
                        per_sample_weights=ember.ones(1, 2))
    with pytest.raises(AssertionError, match="Padding_idx"):
        nn.Embedding(3, 2, padding_idx=3)
