"""nn.utils: gradient clipping, parameters <-> vector, and rnn padding/packing (vs PyTorch)."""
import math

import numpy as np
import pytest
from ember_testing import rand, torch_or_skip

import ember
from ember import nn
from ember.nn.utils import rnn


def with_grads(lib, grads):
    params = []
    for g in grads:
        p = lib.nn.Parameter(lib.zeros(g.shape))
        p.grad = lib.tensor(g)
        params.append(p)
    return params


GRADS = [rand(3, 4, seed=1, dtype="float32"), rand(5, seed=2, dtype="float32") * 10]


# ----------------------------------------------------------------------------- clipping
@pytest.mark.parity
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, 0])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    torch = torch_or_skip()
    e, t = with_grads(ember, GRADS), with_grads(torch, GRADS)
    total_e = nn.utils.clip_grad_norm_(e, max_norm, norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(t, max_norm, norm_type)
    assert total_e.shape == () and total_e.dtype == ember.float32
    np.testing.assert_allclose(total_e.item(), total_t.item(), rtol=1e-5)
    for pe, pt in zip(e, t):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_edge_cases():
    p = nn.Parameter(ember.zeros(2))
    assert nn.utils.clip_grad_norm_([p], 1.0).item() == 0  # no gradients at all
    p.grad = ember.tensor([3.0, 4.0])
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    p.grad = ember.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    assert math.isinf(nn.utils.clip_grad_norm_(p, 1.0, foreach=True).item())


@pytest.mark.parity
def test_clip_grad_value_matches_torch():
    torch = torch_or_skip()
    e, t = with_grads(ember, GRADS), with_grads(torch, GRADS)
    assert nn.utils.clip_grad_value_(e, 0.7) is None
    torch.nn.utils.clip_grad_value_(t, 0.7)
    for pe, pt in zip(e, t):
        np.testing.assert_array_equal(pe.grad.numpy(), pt.grad.numpy())


# ----------------------------------------------------------------------------- vectors
def test_parameters_vector_round_trip():
    m = nn.Linear(3, 2)
    vec = nn.utils.parameters_to_vector(m.parameters())
    assert vec.shape == (8,) and vec.requires_grad
    np.testing.assert_array_equal(vec.detach().numpy()[:6], m.weight.detach().numpy().ravel())
    vec.sum().backward()
    assert m.weight.grad.sum().item() == 6
    weight = m.weight
    nn.utils.vector_to_parameters(ember.arange(8.0), m.parameters())
    assert m.weight is weight and m.weight.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert m.bias.tolist() == [6, 7]
    with pytest.raises(TypeError, match="expected ember.Tensor"):
        nn.utils.vector_to_parameters([1.0], m.parameters())


# ----------------------------------------------------------------------------- rnn
SEQS = [rand(2, 3, seed=1), rand(4, 3, seed=2), rand(1, 3, seed=3)]


def as_lib(lib, arrays, requires_grad=False):
    return [lib.tensor(a, requires_grad=requires_grad) for a in arrays]


@pytest.mark.parity
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, padding_side):
    torch = torch_or_skip()
    e = rnn.pad_sequence(as_lib(ember, SEQS), batch_first, -1.0, padding_side)
    t = torch.nn.utils.rnn.pad_sequence(as_lib(torch, SEQS), batch_first, -1.0, padding_side)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parity
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_pad_round_trip_matches_torch(batch_first):
    torch = torch_or_skip()
    packed = {}
    for lib in (ember, torch):
        mod = rnn if lib is ember else torch.nn.utils.rnn
        seqs = as_lib(lib, SEQS, requires_grad=True)
        padded = mod.pad_sequence(seqs, batch_first=batch_first)
        p = mod.pack_padded_sequence(padded, [2, 4, 1], batch_first=batch_first,
                                     enforce_sorted=False)
        out, lengths = mod.pad_packed_sequence(p, batch_first=batch_first, padding_value=9.0,
                                               total_length=5)
        weights = lib.tensor(rand(*out.shape, seed=4))
        (out * weights).sum().backward()
        packed[lib.__name__] = (p, out, lengths, [s.grad for s in seqs])
    (pe, oe, le, ge), (pt, ot, lt, gt) = packed["ember"], packed["torch"]
    np.testing.assert_array_equal(pe.data.detach().numpy(), pt.data.detach().numpy())
    for a, b in [(pe.batch_sizes, pt.batch_sizes), (pe.sorted_indices, pt.sorted_indices),
                 (pe.unsorted_indices, pt.unsorted_indices), (le, lt)]:
        assert a.tolist() == b.tolist() and a.dtype == ember.int64
    np.testing.assert_array_equal(oe.detach().numpy(), ot.detach().numpy())
    for a, b in zip(ge, gt):
        np.testing.assert_allclose(a.numpy(), b.numpy())


def test_pack_sequence_and_unpack():
    seqs = as_lib(ember, [rand(3, 2), rand(2, 2, seed=1), rand(2, 2, seed=2)])
    p = rnn.pack_sequence(seqs)
    assert p.sorted_indices is None and p.batch_sizes.tolist() == [3, 3, 1]
    assert isinstance(p, tuple) and p.data.shape == (7, 2)
    for a, b in zip(rnn.unpack_sequence(p), seqs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    shuffled = [seqs[1], seqs[0], seqs[2]]
    for a, b in zip(rnn.unpack_sequence(rnn.pack_sequence(shuffled, enforce_sorted=False)),
                    shuffled):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert p.to(ember.float32).data.dtype == ember.float32 and not p.is_cuda


def test_packing_errors():
    padded = ember.zeros(4, 2)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        rnn.pack_padded_sequence(padded, [1, 3])
    with pytest.raises(RuntimeError, match="greater than 0"):
        rnn.pack_padded_sequence(padded, [2, 0])
    p = rnn.pack_padded_sequence(padded, [3, 1])
    with pytest.raises(ValueError, match="Expected total_length to be at least"):
        rnn.pad_packed_sequence(p, total_length=2)
    with pytest.raises(ValueError, match="padding_side"):
        rnn.pad_sequence([padded], padding_side="middle")
