"""The one test helper for ops: forward and gradients against PyTorch, gradcheck in float64.

    from ember_testing import check_parity, check_gradcheck, rand
    def test_exp():
        check_gradcheck(ember.exp, rand(3, 4))
    @pytest.mark.parity
    def test_exp_parity():
        check_parity(lambda m, x: m.exp(x), rand(3, 4))

`check_parity(fn, *inputs)` calls `fn(module, *tensors)` once with `module=ember` and once with
`module=torch` so one lambda serves both frameworks.

Both checks run on every device of `devices()`: "cpu", plus "cuda" when CuPy sees a GPU
(`EMBER_TEST_DEVICES=cpu,cuda` overrides the list). On a GPU the ember inputs are built on the host
and moved there with the same layout, the results come back to the host for comparison, and
ember's factory functions called inside `fn` (`ember.tensor`, `ember.zeros`, `ember.from_numpy`...)
create on that device, as under PyTorch's `set_default_device`, so one lambda serves every device.
"""
import contextlib
import functools
import os

import numpy as np
import pytest

import ember
from ember._device import array_module_of

FLOAT_DTYPES = ("float32", "float64")


def rand(*shape, low=-2.0, high=2.0, seed=0, positive=False, dtype="float64"):
    """A reproducible NumPy array; `positive=True` keeps values in [0.5, high]."""
    rng = np.random.default_rng(seed + 7919 * len(shape) + int(np.prod(shape) if shape else 1))
    if positive:
        low = 0.5
    return rng.uniform(low, high, size=shape).astype(dtype)


def randint(*shape, low=0, high=10, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(low, high, size=shape)


def torch_or_skip():
    return pytest.importorskip("torch")


@functools.cache
def _cuda_available():
    return ember.cuda.is_available()


def devices():
    """The devices the checks run on: `EMBER_TEST_DEVICES` (comma-separated) when set, else
    "cpu" plus "cuda" where CuPy sees a GPU."""
    listed = os.environ.get("EMBER_TEST_DEVICES")
    if listed:
        return tuple(d.strip() for d in listed.split(",") if d.strip())
    return ("cpu", "cuda") if _cuda_available() else ("cpu",)


_FACTORIES = ("tensor", "as_tensor", "zeros", "ones", "empty", "full", "arange", "linspace",
              "logspace", "eye", "scalar_tensor")


@contextlib.contextmanager
def factories_on(device):
    """Inside the block, `ember.<factory>(...)` without a device creates on `device` and
    `ember.from_numpy` moves its tensor there: test lambdas that build targets or indices then
    work on every device. Only the `ember` attributes change; the library never calls them."""
    if device == "cpu":
        yield
        return
    saved = {name: getattr(ember, name) for name in _FACTORIES + ("from_numpy",)}

    def on_device(factory):
        def make(*args, **kwargs):
            if kwargs.get("device") is None:
                kwargs["device"] = device
            return factory(*args, **kwargs)
        return make
    try:
        for name in _FACTORIES:
            setattr(ember, name, on_device(saved[name]))
        ember.from_numpy = lambda array: saved["from_numpy"](array).to(device)
        yield
    finally:
        for name, fn in saved.items():
            setattr(ember, name, fn)


def noncontiguous(arr):
    """The same values in a non-C-contiguous layout (Fortran order; a stride-2 view in 1-D), for
    views testing. Works on NumPy and CuPy arrays alike."""
    if arr.ndim == 0 or arr.size == 0:
        return arr
    xp = array_module_of(arr)
    if arr.ndim < 2:
        return xp.repeat(arr, 2)[::2]
    return xp.asfortranarray(arr)


def _is_float(a):
    return isinstance(a, np.ndarray) and a.dtype.kind in "fc"


def _to_ember(a, dtype, requires_grad, layout, device="cpu"):
    """A leaf tensor on `device` holding `a`, in `layout` there (built on the host, then moved)."""
    if not isinstance(a, np.ndarray):
        return a
    if _is_float(a) and dtype is not None:
        a = a.astype(dtype)
    arr = a.copy() if device == "cpu" else ember.tensor(a, device=device)._data
    if layout == "noncontiguous":
        arr = noncontiguous(arr)
    t = ember.as_tensor(arr)
    if requires_grad and _is_float(a):
        t.requires_grad_()
    return t


def _to_torch(torch, a, dtype, requires_grad, layout):
    if not isinstance(a, np.ndarray):
        return a
    if _is_float(a) and dtype is not None:
        a = a.astype(dtype)
    if layout == "noncontiguous":
        a = noncontiguous(a)
    if a.dtype.name == "bfloat16":  # torch.from_numpy has no bfloat16: go through float32
        t = torch.from_numpy(a.astype(np.float32)).to(torch.bfloat16)
    else:
        t = torch.from_numpy(np.array(a, copy=True, order="K"))
    if requires_grad and _is_float(a):
        t.requires_grad_()
    return t


def _as_numpy(x):
    if isinstance(x, ember.Tensor):
        arr = x.detach()._cpu_array()
        return arr.astype(np.float32) if arr.dtype.name == "bfloat16" else arr
    if hasattr(x, "detach"):  # torch
        x = x.detach()
        if str(x.dtype) == "torch.bfloat16":
            x = x.float()
        return x.numpy(force=True)  # force: zero tensors from sgn and friends
    return np.asarray(x)


# GPU reductions and libm differ from the CPU's in summation order and last bits: float32 there is
# compared a little more loosely (the floor below applies even where a test gives tolerances).
_GPU_FLOOR = {"float32": (1e-4, 1e-5)}


def _tolerance(dtype, rtol, atol, device="cpu"):
    if rtol is not None:
        r, a = rtol, atol if atol is not None else rtol
    else:
        r, a = {"float64": (1e-7, 1e-9), "float32": (1e-5, 1e-6), "float16": (1e-2, 1e-3),
                "bfloat16": (2e-2, 1e-2)}.get(dtype or "float64", (1e-5, 1e-6))
    if device != "cpu" and (dtype or "float64") in _GPU_FLOOR:
        fr, fa = _GPU_FLOOR[dtype]
        r, a = max(r, fr), max(a, fa)
    return r, a


def _flatten(out):
    if isinstance(out, (tuple, list)):
        return [o for x in out for o in _flatten(x)]
    return [out]


def assert_close(actual, expected, rtol=1e-5, atol=1e-6, what="output"):
    a, e = _as_numpy(actual), _as_numpy(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != expected {e.shape}"
    if e.dtype.kind == "b" or e.dtype.kind in "iu":
        np.testing.assert_array_equal(a, e, err_msg=what)
    else:
        np.testing.assert_allclose(a.astype(np.complex128 if a.dtype.kind == "c" else np.float64),
                                   e.astype(np.complex128 if e.dtype.kind == "c" else np.float64),
                                   rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


def check_parity(fn, *inputs, dtypes=FLOAT_DTYPES, grad=True, rtol=None, atol=None,
                 layouts=("contiguous", "noncontiguous"), check_dtype=True):
    """Compare `fn(ember, *xs)` with `fn(torch, *xs)`: outputs, output dtypes, and gradients of
    every floating input for a random output gradient, on each of `devices()` (torch runs on the
    CPU: it is the oracle). `dtypes` casts floating inputs."""
    torch = torch_or_skip()
    for device in devices():
        with _naming(device):
            for dtype in dtypes:
                for layout in layouts:
                    _parity_case(torch, fn, inputs, device, dtype, layout, grad, check_dtype,
                                 *_tolerance(dtype, rtol, atol, device))


@contextlib.contextmanager
def _naming(device):
    """Any failure inside the block says which device it happened on."""
    try:
        yield
    except Exception as e:
        if hasattr(e, "add_note"):  # Python 3.11+
            e.add_note(f"(ember_testing: on device {device!r})")
        raise


def _parity_case(torch, fn, inputs, device, dtype, layout, grad, check_dtype, r, a):
    case = f"{dtype}, {layout}, {device}"
    e_in = [_to_ember(x, dtype, grad, layout, device) for x in inputs]
    t_in = [_to_torch(torch, x, dtype, grad, layout) for x in inputs]
    with factories_on(device):
        e_out = _flatten(fn(ember, *e_in))
    t_out = _flatten(fn(torch, *t_in))
    assert len(e_out) == len(t_out)
    for i, (eo, to) in enumerate(zip(e_out, t_out)):
        where = f"output {i} ({case})"
        if check_dtype and hasattr(to, "dtype"):
            assert eo.dtype.name == str(to.dtype).removeprefix("torch."), \
                f"{where}: dtype {eo.dtype} != torch's {to.dtype}"
        if isinstance(eo, ember.Tensor):
            assert eo.device.type == device, f"{where}: ember's result is on {eo.device}"
        assert_close(eo, to, r, a, where)
    if not grad:
        return
    diff = [(eo, to) for eo, to in zip(e_out, t_out) if getattr(to, "requires_grad", False)]
    if not diff:
        return
    rng = np.random.default_rng(1)
    e_loss, t_loss = 0, 0
    for eo, to in diff:
        go = rng.uniform(-1, 1, size=tuple(to.shape)).astype(_as_numpy(to).dtype)
        e_loss = e_loss + (eo * ember.tensor(go, device=device)).sum()
        t_loss = t_loss + (to * torch.from_numpy(go.copy())).sum()
    e_loss.backward()
    t_loss.backward()
    for i, (ei, ti) in enumerate(zip(e_in, t_in)):
        if getattr(ti, "requires_grad", False):
            where = f"gradient of input {i} ({case})"
            if ti.grad is None:
                assert ei.grad is None or not _as_numpy(ei.grad).any(), where
                continue
            assert ei.grad is not None, f"{where}: ember gave no gradient"
            assert ei.grad.device.type == device, f"{where}: on {ei.grad.device}"
            assert_close(ei.grad, ti.grad, r * 10, a * 10, where)


def check_gradcheck(fn, *inputs, atol=1e-5, rtol=1e-3, eps=1e-6, gradgrad=False):
    """`ember.autograd.gradcheck` on `fn(*tensors)` with float64 inputs that require grad, on each
    of `devices()`."""
    for device in devices():
        tensors = [_to_ember(x, "float64", True, "contiguous", device) for x in inputs]
        with _naming(device), factories_on(device):
            assert ember.autograd.gradcheck(fn, tensors, atol=atol, rtol=rtol, eps=eps)
            if gradgrad:
                assert ember.autograd.gradgradcheck(fn, tensors, atol=atol, rtol=rtol, eps=eps)


def copy_torch_parameters(ember_module, torch_module):
    """Load `torch_module`'s state_dict into `ember_module` (through NumPy) and return it."""
    ember_module.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                                  for k, v in torch_module.state_dict().items()})
    return ember_module
