"""Random numbers: `Generator`, the default generators, seeding, and every sampler.

A CPU generator is a NumPy `Generator(PCG64)`; a CUDA generator drives CuPy's `RandomState`,
reseeded per draw from (seed, draw counter) the way PyTorch's Philox uses (seed, offset), so its
state is two integers and round-trips exactly. Samplers only ask a stream for four primitives
(`random`, `standard_normal`, `integers`, `poisson`) and derive the rest with array math, so no
sampler knows which backend it runs on.
"""
import contextlib
import math
import os

import numpy as np

from . import _device, _dtypes
from ._tensor import Tensor

_DEFAULT_SEED = 67280421310721  # PyTorch's default seed, so an unseeded run is reproducible
_U64 = (1 << 64) - 1


class _CudaStream:
    """NumPy-Generator-like methods over CuPy's RandomState, reseeded for every draw."""

    def __init__(self, seed, counter, index):
        self.seed, self.counter, self.index = seed, counter, index
        self._rs = None

    def _next(self):
        cp = _device.cupy_module()
        if self._rs is None:
            with cp.cuda.Device(self.index):
                self._rs = cp.random.RandomState(0)
        # A splitmix-style mix keeps streams of neighbouring (seed, counter) pairs unrelated.
        z = (self.seed + 0x9E3779B97F4A7C15 * (self.counter + 1)) & _U64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _U64
        self._rs.seed(((z ^ (z >> 27)) * 0x94D049BB133111EB) & _U64 >> 1)
        self.counter += 1
        return self._rs

    def random(self, size, dtype):
        return self._next().random_sample(size, dtype)

    def standard_normal(self, size, dtype):
        return self._next().standard_normal(size, dtype)

    def integers(self, low, high, size):
        return self._next().randint(low, high, size, dtype=np.int64)

    def poisson(self, lam):
        return self._next().poisson(lam)


class Generator:
    """A random-number stream on one device: `ember.Generator(device='cpu')`."""

    def __init__(self, device="cpu"):
        self.device = _device.as_device(device)
        if self.device.type == "cuda" and self.device.index is None:
            self.device = _device.device("cuda", 0)
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        seed = int(seed) & _U64  # negative seeds wrap, as in PyTorch
        self._seed = seed
        if self.device.type == "cpu":
            self._stream = np.random.Generator(np.random.PCG64(seed))
        else:
            self._stream = _CudaStream(seed, 0, self.device.index)
        return self

    def seed(self):
        """Seed from the OS's entropy and return the seed used."""
        s = int.from_bytes(os.urandom(8), "little") >> 1
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The full state as a uint8 tensor (feed it to `set_state` to replay the stream)."""
        if self.device.type == "cpu":
            st = self._stream.bit_generator.state
            raw = (self._seed.to_bytes(8, "little") + st["state"]["state"].to_bytes(16, "little")
                   + st["state"]["inc"].to_bytes(16, "little") + bytes([st["has_uint32"]])
                   + st["uinteger"].to_bytes(4, "little"))
        else:
            raw = self._seed.to_bytes(8, "little") + self._stream.counter.to_bytes(8, "little")
        return Tensor._make(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state):
        if not isinstance(new_state, Tensor) or new_state.dtype is not _dtypes.uint8:
            raise TypeError("Generator.set_state: expected a uint8 ember tensor (from get_state)")
        raw = new_state._cpu_array().tobytes()
        expected = 45 if self.device.type == "cpu" else 16
        if len(raw) != expected:
            raise RuntimeError(f"Generator.set_state: expected a state of {expected} bytes for a "
                               f"{self.device.type} generator, got {len(raw)}")
        self._seed = int.from_bytes(raw[:8], "little")
        if self.device.type == "cpu":
            bit = np.random.PCG64()
            bit.state = {"bit_generator": "PCG64",
                         "state": {"state": int.from_bytes(raw[8:24], "little"),
                                   "inc": int.from_bytes(raw[24:40], "little")},
                         "has_uint32": raw[40], "uinteger": int.from_bytes(raw[41:45], "little")}
            self._stream = np.random.Generator(bit)
        else:
            self._stream = _CudaStream(self._seed, int.from_bytes(raw[8:], "little"),
                                       self.device.index)
        return self

    def __repr__(self):
        return f"<ember.Generator object on {self.device}>"


default_generator = Generator("cpu")
_cuda_generators = {}


def _cuda_default(index):
    gen = _cuda_generators.get(index)
    if gen is None:
        gen = _cuda_generators[index] = Generator(_device.device("cuda", index))
        gen.manual_seed(default_generator.initial_seed())
    return gen


def _stream(generator, device):
    """The stream to draw from for an output on `device`."""
    if generator is None:
        if device.type == "cpu":
            return default_generator._stream
        return _cuda_default(device.index or 0)._stream
    if generator.device.type != device.type:
        raise RuntimeError(f"Expected a '{device.type}' device type for generator but found "
                           f"'{generator.device.type}'")
    return generator._stream


def manual_seed(seed):
    """Seed the CPU generator and every CUDA generator; returns the CPU generator."""
    default_generator.manual_seed(seed)
    for gen in _cuda_generators.values():
        gen.manual_seed(seed)
    return default_generator


def seed():
    s = default_generator.seed()
    for gen in _cuda_generators.values():
        gen.manual_seed(s)
    return s


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, **kwargs):
    """Restore the CPU (and CUDA) generator states on exit, whatever happened inside."""
    if not enabled:
        yield
        return
    gens = [default_generator] + [g for i, g in _cuda_generators.items()
                                  if devices is None or i in [_device.as_device(d).index or 0
                                                              for d in devices]]
    states = [g.get_state() for g in gens]
    try:
        yield
    finally:
        for g, s in zip(gens, states):
            g.set_state(s)


# ------------------------------------------------------------------------------- helpers
def _float_dtype(dtype, op):
    dt = _dtypes.as_dtype(dtype) if dtype is not None else _dtypes.get_default_dtype()
    if not dt.is_floating_point:
        raise RuntimeError(f"{op}: expected a floating point dtype, got {dt.name}")
    return dt


def _work_dtype(dt):
    # NumPy/CuPy sample float32 or float64 only; half types are drawn in float32 and cast.
    return np.float64 if dt.np == np.float64 else np.float32


def _size(size, op):
    if len(size) == 1 and isinstance(size[0], (list, tuple)):
        size = tuple(size[0])
    if any(not isinstance(s, (int, np.integer)) or s < 0 for s in size):
        raise RuntimeError(f"{op}: size must be non-negative integers, got {list(size)}")
    return tuple(int(s) for s in size)


def _device_of(device):
    dev = _device.as_device(device)
    if dev.type == "cuda" and dev.index is None:
        dev = _device.device("cuda", 0)
    return dev


def _finish(arr, dt, requires_grad):
    if arr.dtype != dt.np:
        arr = arr.astype(dt.np)
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_()
    return t


def _on(dev, fn):
    """Run `fn()` with `dev` current, so CuPy allocates on the right GPU."""
    if dev.type == "cuda":
        with _device.cupy_module().cuda.Device(dev.index):
            return fn()
    return fn()


# ------------------------------------------------------------------------------- samplers
def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Uniform samples on [0, 1)."""
    shape, dt, dev = _size(size, "rand"), _float_dtype(dtype, "rand"), _device_of(device)
    s = _stream(generator, dev)
    return _finish(_on(dev, lambda: s.random(shape, _work_dtype(dt))), dt, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Standard normal samples."""
    shape, dt, dev = _size(size, "randn"), _float_dtype(dtype, "randn"), _device_of(device)
    s = _stream(generator, dev)
    return _finish(_on(dev, lambda: s.standard_normal(shape, _work_dtype(dt))), dt,
                   requires_grad)


def randint(*args, generator=None, dtype=None, device=None, requires_grad=False, **kwargs):
    """`randint(high, size)` or `randint(low, high, size)`: integers in [low, high)."""
    low = kwargs.pop("low", 0)
    high = kwargs.pop("high", None)
    size = kwargs.pop("size", None)
    if kwargs:
        raise TypeError(f"randint: unexpected keyword arguments {sorted(kwargs)}")
    args = list(args)
    if size is None and args:
        size = args.pop()
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        if high is None:
            high = args[0]
        else:
            low = args[0]
    if high is None or size is None:
        raise TypeError("randint: expected (high, size) or (low, high, size)")
    low, high = int(low), int(high)
    if low >= high:
        raise RuntimeError(f"randint: random_ expects 'from' to be less than 'to', but got "
                           f"from={low} >= to={high}")
    shape, dev = _size((size,), "randint"), _device_of(device)
    dt = _dtypes.as_dtype(dtype) if dtype is not None else _dtypes.int64
    s = _stream(generator, dev)
    return _finish(_on(dev, lambda: s.integers(low, high, shape)), dt, requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0..n-1 (int64 unless `dtype` says otherwise)."""
    if n < 0:
        raise RuntimeError(f"randperm: n must be non-negative, got {n}")
    dev = _device_of(device)
    dt = _dtypes.as_dtype(dtype) if dtype is not None else _dtypes.int64
    s = _stream(generator, dev)
    # argsort of uniform keys is a uniform permutation on any backend.
    keys = _on(dev, lambda: s.random((int(n),), np.float64))
    return _finish(keys.argsort(), dt, requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None,
              memory_format=None):
    return rand(input.shape, generator=generator, dtype=dtype or input.dtype,
                device=device or input.device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None,
               memory_format=None):
    return randn(input.shape, generator=generator, dtype=dtype or input.dtype,
                 device=device or input.device, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False,
                 generator=None, memory_format=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, generator=generator, dtype=dtype or input.dtype,
                   device=device or input.device, requires_grad=requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False, out=None):
    """Normal samples; `mean` and `std` may be tensors (broadcast) or floats (then `size`)."""
    tensors = [v for v in (mean, std) if isinstance(v, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal: with float mean and std, size is required")
        shape, dt, dev = _size((size,), "normal"), _float_dtype(dtype, "normal"), \
            _device_of(device)
        bad_std = std < 0
    else:
        from .ops._common import binary
        dt = _dtypes.result_type(mean, std)
        if not dt.is_floating_point:
            raise RuntimeError(f"normal: expected floating point mean/std, got {dt.name}")
        mean, std = binary(mean, std, "normal")
        shape = np.broadcast_shapes(np.shape(mean) if isinstance(mean, (int, float)) else
                                    mean.shape, () if isinstance(std, (int, float)) else std.shape)
        dev = tensors[0].device
        bad_std = bool((std < 0).any()) if not isinstance(std, (int, float)) else std < 0
    if bad_std:
        raise RuntimeError("normal: expected all elements of std >= 0.0")
    s = _stream(generator, dev)
    z = _on(dev, lambda: s.standard_normal(shape, _work_dtype(dt)))
    return _finish(z * std + mean, dt, requires_grad)


def bernoulli(input, p=None, *, generator=None):
    """1 with probability `p` (or `input`'s values), else 0; the dtype of `input`."""
    probs = input._data if p is None else p
    if p is None and not input.dtype.is_floating_point:
        raise RuntimeError(f"bernoulli: expected a floating point probability tensor, got "
                           f"{input.dtype.name}")
    _check_probability(probs, "bernoulli")
    s = _stream(generator, input.device)
    u = _on(input.device, lambda: s.random(input._data.shape, np.float64))
    return Tensor._make((u < probs).astype(input._data.dtype))


def _check_probability(p, op):
    arr = p._data if isinstance(p, Tensor) else p
    if isinstance(arr, (int, float)):
        bad = not 0 <= arr <= 1
    else:
        bad = bool(((arr < 0) | (arr > 1)).any())
    if bad:
        raise RuntimeError(f"{op}: probabilities must be in [0, 1]")


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Indices drawn from the rows of `input` (non-negative weights, 1-D or 2-D), int64."""
    w = input._data
    if w.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got {w.ndim}")
    if not input.dtype.is_floating_point:
        raise RuntimeError("multinomial: only supports floating-point dtypes for input")
    rows = w.reshape(-1, w.shape[-1]).astype(np.float64)
    if bool((rows < 0).any()) or not bool(np.isfinite(_cpu(rows)).all()):
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or "
                           "element < 0")
    if bool((rows.sum(axis=1) <= 0).any()):
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities "
                           "<= 0)")
    n = rows.shape[1]
    if not replacement and num_samples > n:
        raise RuntimeError(f"multinomial: cannot sample n_sample ({num_samples}) > "
                           f"prob_dist.size(-1) ({n}) samples without replacement")
    s = _stream(generator, input.device)
    u = _on(input.device, lambda: s.random((rows.shape[0], int(num_samples if replacement
                                                                 else n)), np.float64))
    xp = _device.array_module_of(w)
    if replacement:
        # Inverse-CDF: the first bucket whose cumulative weight exceeds u * total.
        cdf = rows.cumsum(axis=1)
        target = u * cdf[:, -1:]
        idx = (cdf[:, None, :] <= target[:, :, None]).sum(axis=2)
        idx = xp.minimum(idx, n - 1)
    else:
        # Exponential race (weighted sampling without replacement): the smallest E/w win.
        with np.errstate(divide="ignore"):
            keys = -xp.log1p(-u) / rows
        idx = keys.argsort(axis=1)[:, :int(num_samples)]
    out = idx.astype(np.int64)
    return Tensor._make(out.reshape(w.shape[:-1] + (int(num_samples),)))


def _cpu(arr):
    return arr if isinstance(arr, np.ndarray) else arr.get()


def poisson(input, generator=None):
    """Poisson samples with rates `input`, in `input`'s dtype."""
    if bool((input._data < 0).any()):
        raise RuntimeError("poisson: rates must be non-negative")
    s = _stream(generator, input.device)
    out = _on(input.device, lambda: s.poisson(input._data.astype(np.float64)))
    return Tensor._make(out.astype(input._data.dtype))


# ------------------------------------------------------------------------------- in-place
def _fill(self, sample, op):
    """Write `sample` (an array of self's shape) into `self`, with PyTorch's in-place rules."""
    from .ops.inplace import check_inplace_allowed
    check_inplace_allowed(self, op)
    self._data[...] = sample.astype(self._data.dtype, copy=False)
    self._vc[0] += 1
    return self


def _uniform01(self, generator):
    dt = np.float64 if self._data.dtype == np.float64 else np.float32
    s = _stream(generator, self.device)
    return _on(self.device, lambda: s.random(self._data.shape, dt))


def _require_float(self, op):
    if not self.dtype.is_floating_point:
        raise RuntimeError(f"{op}: expected a floating point tensor, got {self.dtype.name}")


def uniform_(self, a=0.0, b=1.0, *, generator=None, **kwargs):
    a, b = kwargs.pop("from", a), kwargs.pop("to", b)
    _require_float(self, "uniform_")
    if a > b:
        raise RuntimeError(f"uniform_: expects to return a [from, to) range, but found "
                           f"from={a} > to={b}")
    return _fill(self, _uniform01(self, generator) * (b - a) + a, "uniform_")


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    _require_float(self, "normal_")
    if std < 0:
        raise RuntimeError(f"normal_: expects std >= 0.0, but found std {std}")
    dt = np.float64 if self._data.dtype == np.float64 else np.float32
    s = _stream(generator, self.device)
    z = _on(self.device, lambda: s.standard_normal(self._data.shape, dt))
    return _fill(self, z * std + mean, "normal_")


def bernoulli_(self, p=0.5, *, generator=None):
    _check_probability(p, "bernoulli_")
    probs = p._data if isinstance(p, Tensor) else p
    u = _uniform01(self, generator)
    return _fill(self, u < probs, "bernoulli_")


def random_(self, a=0, b=None, *, generator=None, **kwargs):
    """Integers in [a, b); without `b`, up to the largest integer the dtype holds exactly."""
    a, b = kwargs.pop("from", a), kwargs.pop("to", b)
    if b is None:
        a, b = (0, a) if a else (0, None)
    if b is None:
        dt = self.dtype
        if dt.is_floating_point:
            b = 2 ** (np.finfo(dt.np).nmant + 1) + 1
        elif dt is _dtypes.bool_:
            b = 2
        else:
            b = int(np.iinfo(dt.np).max) + (1 if dt.np.itemsize < 8 else 0)
    if a >= b:
        raise RuntimeError(f"random_: expects 'from' to be less than 'to', but got from={a} "
                           f">= to={b}")
    s = _stream(generator, self.device)
    return _fill(self, _on(self.device, lambda: s.integers(a, b, self._data.shape)), "random_")


def exponential_(self, lambd=1.0, *, generator=None):
    _require_float(self, "exponential_")
    if lambd <= 0:
        raise RuntimeError(f"exponential_: expects lambda > 0.0, but found lambda={lambd}")
    xp = _device.array_module_of(self._data)
    return _fill(self, -xp.log1p(-_uniform01(self, generator)) / lambd, "exponential_")


def geometric_(self, p, *, generator=None):
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_: expects p to be in (0, 1), but got p={p}")
    xp = _device.array_module_of(self._data)
    u = _uniform01(self, generator).astype(np.float64)
    return _fill(self, xp.ceil(xp.log1p(-u) / math.log1p(-p)), "geometric_")


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    _require_float(self, "log_normal_")
    if std <= 0:
        raise RuntimeError(f"log_normal_: expects std > 0.0, but found std={std}")
    normal_(self, mean, std, generator=generator)
    xp = _device.array_module_of(self._data)
    self._data[...] = xp.exp(self._data)
    return self


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    _require_float(self, "cauchy_")
    xp = _device.array_module_of(self._data)
    u = _uniform01(self, generator)
    return _fill(self, median + sigma * xp.tan(math.pi * (u - 0.5)), "cauchy_")


def _bernoulli_method(self, p=None, *, generator=None):
    return bernoulli(self, p, generator=generator)


__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "fork_rng", "rand", "randn", "randint", "randperm",
           "normal", "bernoulli", "multinomial", "poisson", "rand_like", "randn_like",
           "randint_like"]
METHODS = {"uniform_": uniform_, "normal_": normal_, "bernoulli_": bernoulli_,
           "random_": random_, "exponential_": exponential_, "geometric_": geometric_,
           "log_normal_": log_normal_, "cauchy_": cauchy_, "bernoulli": _bernoulli_method,
           "multinomial": multinomial}
