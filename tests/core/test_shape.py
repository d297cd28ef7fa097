"""Shape ops: views stay views (shared memory and version counter), gradients, parity."""
import numpy as np
import pytest

import ember
from ember_testing import check_gradcheck, check_parity, rand

# (name, fn(module, x), input shape)
CASES = [
    ("reshape", lambda m, x: x.reshape(4, -1), (2, 3, 4)),
    ("view", lambda m, x: x.contiguous().view(6, 4), (2, 3, 4)),
    ("permute", lambda m, x: x.permute(2, 0, 1), (2, 3, 4)),
    ("transpose", lambda m, x: x.transpose(0, -1), (2, 3, 4)),
    ("swapaxes", lambda m, x: m.swapaxes(x, 0, 1), (2, 3, 4)),
    ("swapdims", lambda m, x: x.swapdims(1, 2), (2, 3, 4)),
    ("t", lambda m, x: x.t(), (3, 4)),
    ("T", lambda m, x: x.T, (3, 4)),
    ("mT", lambda m, x: x.mT, (2, 3, 4)),
    ("H", lambda m, x: x.H, (3, 4)),
    ("mH", lambda m, x: x.mH, (2, 3, 4)),
    ("squeeze_all", lambda m, x: x.squeeze(), (1, 3, 1, 4)),
    ("squeeze_dim", lambda m, x: x.squeeze(2), (1, 3, 1, 4)),
    ("squeeze_tuple", lambda m, x: x.squeeze((0, 1, 2)), (1, 3, 1, 4)),
    ("unsqueeze", lambda m, x: x.unsqueeze(-1), (3, 4)),
    ("flatten", lambda m, x: x.flatten(1), (2, 3, 4)),
    ("flatten_mid", lambda m, x: m.flatten(x, 0, 1), (2, 3, 4)),
    ("unflatten", lambda m, x: x.unflatten(1, (2, -1)), (3, 4)),
    ("ravel", lambda m, x: x.ravel(), (3, 4)),
    ("broadcast_to", lambda m, x: m.broadcast_to(x, (2, 3, 4)), (3, 1)),
    ("expand", lambda m, x: x.expand(2, -1, 4), (3, 1)),
    ("movedim", lambda m, x: m.movedim(x, (0, 1), (2, 0)), (2, 3, 4)),
    ("moveaxis", lambda m, x: x.moveaxis(0, -1), (2, 3, 4)),
    ("select", lambda m, x: x.select(1, -1), (2, 3, 4)),
    ("narrow", lambda m, x: x.narrow(2, 1, 2), (2, 3, 4)),
    ("view_as", lambda m, x: x.contiguous().view_as(x.new_zeros(12) if m is not ember
                                                    else ember.zeros(12)), (3, 4)),
    ("reshape_as", lambda m, x: x.reshape_as(m.zeros(4, 3)), (3, 4)),
    ("diagonal", lambda m, x: x.diagonal(), (3, 4)),
    ("diagonal_offset", lambda m, x: m.diagonal(x, 1, -1, 0), (2, 3, 4)),
    ("diagonal_neg", lambda m, x: x.diagonal(-1, 1, 2), (2, 3, 4)),
    ("diag_embed", lambda m, x: m.diag_embed(x), (2, 3)),
    ("diag_embed_offset", lambda m, x: m.diag_embed(x, -1, 0, 2), (2, 3)),
    ("diag_vec", lambda m, x: m.diag(x, 1), (3,)),
    ("diag_mat", lambda m, x: m.diag(x, -1), (3, 4)),
    ("unfold", lambda m, x: x.unfold(1, 3, 2), (2, 7, 3)),
    ("unfold_overlap", lambda m, x: x.unfold(0, 2, 1), (4, 3)),
    ("flip", lambda m, x: x.flip((0, 2)), (2, 3, 4)),
    ("fliplr", lambda m, x: m.fliplr(x), (3, 4)),
    ("flipud", lambda m, x: x.flipud(), (3, 4)),
    ("roll", lambda m, x: x.roll((1, -2), (0, 2)), (2, 3, 4)),
    ("roll_flat", lambda m, x: m.roll(x, 5), (3, 4)),
    ("rot90", lambda m, x: m.rot90(x), (3, 4)),
    ("rot90_k2", lambda m, x: x.rot90(2, (1, 2)), (2, 3, 4)),
    ("rot90_k3", lambda m, x: m.rot90(x, -1, (0, 1)), (3, 4)),
    ("tril", lambda m, x: x.tril(), (3, 4)),
    ("triu", lambda m, x: m.triu(x, -1), (2, 3, 4)),
    ("atleast_3d", lambda m, x: m.atleast_3d(x), (3, 4)),
    ("atleast_2d", lambda m, x: m.atleast_2d(x), (3,)),
    ("atleast_1d", lambda m, x: m.atleast_1d(x), ()),
    ("broadcast_tensors", lambda m, x: m.broadcast_tensors(x, m.zeros(2, 1, 1)), (3, 4)),
]


@pytest.mark.parametrize("name,fn,shape", CASES, ids=[c[0] for c in CASES])
def test_gradcheck(name, fn, shape):
    check_gradcheck(lambda x: fn(ember, x), rand(*shape))


@pytest.mark.parity
@pytest.mark.parametrize("name,fn,shape", CASES, ids=[c[0] for c in CASES])
def test_parity(name, fn, shape):
    check_parity(fn, rand(*shape))


@pytest.mark.parametrize("fn", [
    lambda x: x.permute(1, 0), lambda x: x[1:], lambda x: x.unsqueeze(0), lambda x: x.t(),
    lambda x: x.diagonal(), lambda x: x.unfold(1, 2, 1), lambda x: x.view(-1),
    lambda x: x.squeeze(), lambda x: x.narrow(1, 1, 2), lambda x: x.select(0, 1),
    lambda x: x.expand(2, 3, 4), lambda x: x.split(2, 1)[1], lambda x: x.mT,
])
def test_views_share_memory_and_version(fn):
    x = ember.from_numpy(rand(3, 4))
    v = fn(x)
    assert np.shares_memory(v._data, x._data)
    assert v._base is x
    before = x._version
    x.add_(1)
    assert v._version == before + 1


def test_reshape_copies_when_layout_requires():
    x = ember.from_numpy(rand(3, 4)).t()
    y = x.reshape(-1)
    assert not np.shares_memory(y._data, x._data)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.view(-1)


def test_broadcast_shapes():
    assert ember.broadcast_shapes((3, 1), (2, 1, 4), 4) == (2, 3, 4)
    with pytest.raises(RuntimeError, match="broadcast_shapes"):
        ember.broadcast_shapes((3,), (4,))


@pytest.mark.parametrize("fn,exc,match", [
    (lambda x: x.permute(0, 0), RuntimeError, "permute"),
    (lambda x: x.permute(0), RuntimeError, "permute"),
    (lambda x: x.transpose(0, 3), IndexError, "transpose"),
    (lambda x: x.unsqueeze(3), IndexError, "unsqueeze"),
    (lambda x: x.flatten(1, 0), RuntimeError, "flatten"),
    (lambda x: x.unsqueeze(0).t(), RuntimeError, "t()"),
    (lambda x: x.select(0, 3), IndexError, "select"),
    (lambda x: x.narrow(1, 2, 3), RuntimeError, "narrow"),
    (lambda x: x.diagonal(0, 1, 1), RuntimeError, "diagonal"),
    (lambda x: x.unfold(1, 5, 1), RuntimeError, "unfold"),
    (lambda x: x.expand(3, 5), RuntimeError, "expand"),
    (lambda x: x.reshape(5, -1), RuntimeError, "reshape"),
    (lambda x: x[0].tril(), RuntimeError, "tril"),
    (lambda x: x.rot90(1, (0, 0)), RuntimeError, "rot90"),
    (lambda x: x.roll((1, 2), 0), RuntimeError, "roll"),
    (lambda x: x[0].mT, RuntimeError, "mT"),
])
def test_errors_name_the_op(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn(ember.from_numpy(rand(3, 4)))


def test_properties_are_on_the_class():
    assert isinstance(ember.Tensor.T, property) and isinstance(ember.Tensor.mH, property)
    x = ember.tensor([[1 + 2j, 3j]])
    np.testing.assert_array_equal(x.H.numpy(), np.array([[1 - 2j], [-3j]]))


@pytest.mark.parity
def test_in_place_through_permuted_view_reaches_base():
    import ember_testing
    torch = ember_testing.torch_or_skip()
    a = rand(3, 4)
    grads = []
    for m in (ember, torch):
        x = m.tensor(a, requires_grad=True) if m is ember else torch.tensor(a, requires_grad=True)
        h = x * 1
        d = h.t()[1:]  # a view of a view
        d.mul_(3)
        (h * h).sum().backward()
        grads.append(x.grad.detach().numpy() if m is torch else x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1])
