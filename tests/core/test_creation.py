"""Tensor creation: dtype inference and factories against PyTorch, memory sharing, errors."""
import numpy as np
import pytest

import ember

DATA = [1, 1.5, True, 2 + 1j, [1, 2], [1, 2.0], [True, False], [[1, 2], [3, 4]], [True, 2],
        [1, 2 + 0j], [], [[]], np.float32(2.0), np.int16(3), np.array([1, 2], np.int32),
        np.array([1.0], np.float64), np.array(True), np.array([1, 2], np.uint8)]


@pytest.mark.parity
@pytest.mark.parametrize("data", DATA, ids=repr)
def test_tensor_dtype_inference(data):
    import torch
    e, t = ember.tensor(data), torch.tensor(data)
    assert e.dtype.name == str(t.dtype).removeprefix("torch.")
    assert e.shape == tuple(t.shape)
    assert e.tolist() == t.tolist()


@pytest.mark.parity
@pytest.mark.parametrize("default", [ember.float64, ember.float32])
def test_default_dtype_changes_inference(default):
    prev = ember.get_default_dtype()
    ember.set_default_dtype(default)
    try:
        assert ember.tensor([1.0]).dtype is default
        assert ember.tensor([1j]).dtype is default.to_complex()
        assert ember.zeros(2).dtype is default and ember.arange(0.0, 1.0, 0.5).dtype is default
    finally:
        ember.set_default_dtype(prev)


def test_tensor_copies_and_as_tensor_shares():
    a = np.arange(4.0)
    t = ember.tensor(a)
    a[0] = 10
    assert t.numpy()[0] == 0
    shared = ember.as_tensor(a)
    a[1] = 20
    assert shared.numpy()[1] == 20
    assert ember.as_tensor(shared) is shared
    assert ember.as_tensor(shared, dtype=ember.float32).dtype is ember.float32
    assert ember.as_tensor([1, 2]).dtype is ember.int64


def test_from_numpy_shares_memory():
    a = np.zeros((2, 3), np.float32)
    t = ember.from_numpy(a)
    a[0, 0] = 5
    assert t.numpy()[0, 0] == 5
    t.numpy()[1, 2] = 7
    assert a[1, 2] == 7
    assert t.dtype is ember.float32
    with pytest.raises(TypeError, match="from_numpy"):
        ember.from_numpy([1, 2])
    with pytest.raises(TypeError, match="no ember equivalent"):
        ember.from_numpy(np.array(["a"]))


def test_from_dlpack():
    a = np.arange(6.0).reshape(2, 3)
    t = ember.from_dlpack(a)
    a[0, 0] = 9
    assert t.numpy()[0, 0] == 9
    assert ember.from_dlpack(t) is t


@pytest.mark.parity
def test_from_dlpack_torch():
    import torch
    tt = torch.arange(4.0)
    e = ember.from_dlpack(tt)
    tt[0] = 3
    assert e.tolist() == [3.0, 1.0, 2.0, 3.0]


FACTORIES = [
    lambda m: m.zeros(2, 3), lambda m: m.zeros((2, 3), dtype=m.int32), lambda m: m.ones([4]),
    lambda m: m.ones(2, 2, dtype=m.bool), lambda m: m.full((2, 2), 3), lambda m: m.full((2,), 1.5),
    lambda m: m.full((2,), True), lambda m: m.full((1,), 2 + 1j), lambda m: m.zeros(()),
    lambda m: m.zeros(0, 3), lambda m: m.arange(5), lambda m: m.arange(1, 4),
    lambda m: m.arange(0, 1, 0.25), lambda m: m.arange(5.0), lambda m: m.arange(10, 0, -3),
    lambda m: m.arange(0, 5, dtype=m.float64), lambda m: m.arange(-1.0, 1.0, 0.1),
    lambda m: m.linspace(0, 1, 5), lambda m: m.linspace(-2, 2, 1), lambda m: m.linspace(0, 1, 0),
    lambda m: m.linspace(0, 10, 4, dtype=m.int64), lambda m: m.logspace(0, 2, 3),
    lambda m: m.logspace(0, 3, 4, base=2), lambda m: m.eye(3), lambda m: m.eye(2, 4),
    lambda m: m.eye(3, dtype=m.int64), lambda m: m.scalar_tensor(3),
]


@pytest.mark.parity
@pytest.mark.parametrize("i", range(len(FACTORIES)))
def test_factories_parity(i):
    import torch
    e, t = FACTORIES[i](ember), FACTORIES[i](torch)
    assert e.dtype.name == str(t.dtype).removeprefix("torch."), (e.dtype, t.dtype)
    assert e.shape == tuple(t.shape)
    np.testing.assert_allclose(np.asarray(e.numpy(), dtype=complex),
                               np.asarray(t.numpy(), dtype=complex), rtol=1e-6, atol=1e-7)


@pytest.mark.parity
@pytest.mark.parametrize("fn", ["zeros_like", "ones_like", "empty_like", "full_like"])
@pytest.mark.parametrize("dtype", [None, "float64", "int32"])
def test_like_factories(fn, dtype):
    import torch
    src_e, src_t = ember.zeros(2, 3, dtype=ember.int16), torch.zeros(2, 3, dtype=torch.int16)
    kw_e = {} if dtype is None else {"dtype": getattr(ember, dtype)}
    kw_t = {} if dtype is None else {"dtype": getattr(torch, dtype)}
    args = (7,) if fn == "full_like" else ()
    e = getattr(ember, fn)(src_e, *args, **kw_e)
    t = getattr(torch, fn)(src_t, *args, **kw_t)
    assert e.dtype.name == str(t.dtype).removeprefix("torch.") and e.shape == tuple(t.shape)
    if fn != "empty_like":
        assert e.tolist() == t.tolist()


def test_empty_shapes_and_dtypes():
    t = ember.empty(2, 3, dtype=ember.float64)
    assert t.shape == (2, 3) and t.dtype is ember.float64
    assert ember.empty((0,)).numel() == 0


@pytest.mark.parametrize("make", [
    lambda: ember.tensor([1.0, 2.0], requires_grad=True),
    lambda: ember.zeros(2, requires_grad=True), lambda: ember.ones(2, requires_grad=True),
    lambda: ember.full((2,), 1.0, requires_grad=True), lambda: ember.empty(2, requires_grad=True),
    lambda: ember.arange(0.0, 2.0, requires_grad=True),
    lambda: ember.linspace(0, 1, 2, requires_grad=True), lambda: ember.eye(2, requires_grad=True),
    lambda: ember.zeros_like(ember.zeros(2), requires_grad=True),
])
def test_requires_grad(make):
    t = make()
    assert t.requires_grad and t.is_leaf
    (t * 2).sum().backward()
    assert t.grad is not None


CREATION_ERRORS = [
    (lambda: ember.tensor([1, 2], requires_grad=True), RuntimeError, "floating point"),
    (lambda: ember.zeros(2, -1), RuntimeError, "negative dimension"),
    (lambda: ember.ones(2.5), TypeError, "size must be a tuple of ints"),
    (lambda: ember.arange(0, 5, 0), RuntimeError, "step must be nonzero"),
    (lambda: ember.arange(5, 0, 1), RuntimeError, "arange"),
    (lambda: ember.tensor([[1, 2], [3]]), (TypeError, ValueError), "tensor"),
    (lambda: ember.tensor("abc"), TypeError, "tensor"),
    (lambda: ember.linspace(0, 1, -1), RuntimeError, "linspace"),
    (lambda: ember.zeros(2, dtype="nope"), TypeError, "dtype"),
]


@pytest.mark.parametrize("fn,exc,msg", CREATION_ERRORS)
def test_errors(fn, exc, msg):
    with pytest.raises(exc, match=msg):
        fn()


def test_tensor_of_tensors_and_devices():
    t = ember.tensor([ember.tensor(1.0), ember.tensor(2.0)])
    assert t.tolist() == [1.0, 2.0] and t.dtype is ember.float32
    assert ember.zeros(2, device="cpu").device == ember.device("cpu")
    copy = ember.tensor(t)
    assert copy.numpy() is not t.numpy()
    assert ember.tensor(t, dtype=ember.float64).dtype is ember.float64


@pytest.mark.parametrize("name,args", [("new_zeros", ((2, 3),)), ("new_ones", (2, 3)),
                                       ("new_empty", ((4,),)), ("new_full", ((2,), 7.0)),
                                       ("new_tensor", ([1, 2],))])
def test_new_factories_take_dtype_and_device_from_self(name, args):
    base = ember.ones(1, dtype=ember.float64)
    out = getattr(base, name)(*args)
    assert out.dtype is ember.float64 and out.device == base.device and not out.requires_grad
    assert getattr(base, name)(*args, dtype=ember.int32).dtype is ember.int32


@pytest.mark.parity
def test_new_factories_parity():
    import torch
    for name, args in [("new_zeros", ((2, 3),)), ("new_full", ((2,), 7.0)),
                       ("new_tensor", ([1, 2],))]:
        e = getattr(ember.ones(1, dtype=ember.float64), name)(*args)
        t = getattr(torch.ones(1, dtype=torch.float64), name)(*args)
        assert e.tolist() == t.tolist() and e.dtype.name == str(t.dtype)[6:]
