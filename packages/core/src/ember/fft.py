"""`ember.fft`: discrete Fourier transforms (NumPy's pocketfft, CuPy's cuFFT) with PyTorch's
gradients. Three primitives carry the autograd (complex-to-complex, real-to-complex,
complex-to-real); every public transform is one of them with its arguments resolved."""
import numpy as np

from . import _dtypes
from ._device import array_module, array_module_of, as_device
from ._tensor import Tensor
from .autograd.graph import Node
from .ops._common import attach, requires_grad

# The adjoint of a transform is the opposite-direction transform with the dual scaling.
_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _norm(norm):
    if norm is None:
        return "backward"
    if norm not in _DUAL:
        raise ValueError(f'Invalid normalization mode: "{norm}"')
    return norm


def _float_array(x, op, allow_complex=True):
    """`x`'s array in a dtype the FFT computes in: ints and bools go to the default float."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    arr = x._data
    kind = arr.dtype.kind
    if kind == "c" and not allow_complex:
        raise RuntimeError(f"{op} expects a real input tensor, but got "
                           f"{_dtypes.from_numpy_dtype(arr.dtype).name}")
    if kind in "biu":
        return arr.astype(_dtypes.get_default_dtype().np)
    if arr.dtype not in (np.float32, np.float64, np.complex64, np.complex128):
        raise RuntimeError(f"{op}: Unsupported dtype {_dtypes.from_numpy_dtype(arr.dtype).name}")
    return arr


def _dims(x, s, dim, op):
    """PyTorch's rules: `dim` None means the last len(s) dims, or all dims when `s` is None."""
    nd = x.ndim
    if dim is None:
        dims = list(range(nd - len(s), nd)) if s is not None else list(range(nd))
    else:
        dims = [dim] if isinstance(dim, int) else list(dim)
    for d in dims:
        if not -nd <= d < max(nd, 1):
            raise IndexError(f"{op}: Dimension out of range (expected to be in range of "
                             f"[{-nd}, {nd - 1}], but got {d})")
    dims = [d % nd for d in dims]
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"{op}: dims must be unique, got {dims}")
    if s is not None:
        s = [int(v) for v in s]
        if len(s) != len(dims):
            raise RuntimeError(f"{op}: When given, dim and shape arguments must have the same "
                               f"length (got s={s} and dim={dims})")
        s = [x.shape[d] if v == -1 else v for v, d in zip(s, dims)]
        if any(v < 1 for v in s):
            raise RuntimeError(f"{op}: Invalid number of data points ({s}) specified")
    return s, dims


def _resize(t, shape):
    """Trim or zero-pad `t` to `shape` (the adjoint of the FFT's own resizing of its input)."""
    from .ops.joining import cat
    from .ops.creation import zeros
    for d, (have, want) in enumerate(zip(t.shape, shape)):
        if have > want:
            t = t.narrow(d, 0, want)
        elif have < want:
            extra = list(t.shape)
            extra[d] = want - have
            t = cat([t, zeros(extra, dtype=t.dtype, device=t.device)], d)
    return t


class FftC2CBackward0(Node):
    __slots__ = ("axes", "norm", "inverse", "shape", "real_input")

    def backward(self, g):
        gx = _c2c(g, None, self.axes, _DUAL[self.norm], not self.inverse)
        gx = _resize(gx, self.shape)
        return (gx.real if self.real_input else gx,)


def _c2c(x, s, axes, norm, inverse):
    arr = _float_array(x, "fft")
    xp = array_module_of(arr)
    out = (xp.fft.ifftn if inverse else xp.fft.fftn)(arr, s=s, axes=axes, norm=norm)
    out = out.astype(np.complex64 if arr.dtype in (np.float32, np.complex64) else np.complex128,
                     copy=False)
    node = None
    if requires_grad(x):
        node = FftC2CBackward0(None)
        node.axes, node.norm, node.inverse = tuple(axes), norm, inverse
        node.shape, node.real_input = arr.shape, arr.dtype.kind != "c"
    return attach(out, node, (x,))


class FftR2CBackward0(Node):
    __slots__ = ("axes", "norm", "shape", "full")

    def backward(self, g):
        # The dropped half of the spectrum carries no gradient: zero-fill it, then the adjoint.
        full = list(g.shape)
        full[self.axes[-1]] = self.full
        gx = _c2c(_resize(g, full), None, self.axes, _DUAL[self.norm], True).real
        return (_resize(gx, self.shape),)


def _r2c(x, s, axes, norm, op="rfft"):
    arr = _float_array(x, op, allow_complex=False)
    xp = array_module_of(arr)
    out = xp.fft.rfftn(arr, s=s, axes=axes, norm=norm)
    out = out.astype(np.complex64 if arr.dtype == np.float32 else np.complex128, copy=False)
    node = None
    if requires_grad(x):
        node = FftR2CBackward0(None)
        node.axes, node.norm, node.shape = tuple(axes), norm, arr.shape
        node.full = s[-1] if s is not None else arr.shape[axes[-1]]
    return attach(out, node, (x,))


class FftC2RBackward0(Node):
    __slots__ = ("axes", "norm", "shape", "real_input")

    def backward(self, g):
        gx = _r2c(g, None, self.axes, _DUAL[self.norm])
        # Bins that stand for a conjugate pair in the full spectrum count twice.
        n, half = g.shape[self.axes[-1]], gx.shape[self.axes[-1]]
        if n - half > 0:
            xp = array_module_of(gx._data)
            scale = xp.ones(half, dtype=g._data.dtype)
            scale[1:n - half + 1] = 2
            view = [1] * gx.ndim
            view[self.axes[-1]] = half
            gx = gx * Tensor._make(scale.reshape(view))
        gx = _resize(gx, self.shape)
        return (gx.real if self.real_input else gx,)


def _c2r(x, s, axes, norm, op="irfft"):
    arr = _float_array(x, op)
    real_input = arr.dtype.kind != "c"
    if real_input:
        arr = arr.astype(np.complex64 if arr.dtype == np.float32 else np.complex128)
    n_last = s[-1] if s is not None else 2 * (arr.shape[axes[-1]] - 1)
    if n_last < 1:
        raise RuntimeError(f"{op}: Invalid number of data points ({n_last}) specified")
    sizes = list(s) if s is not None else [arr.shape[a] for a in axes[:-1]] + [n_last]
    xp = array_module_of(arr)
    out = xp.fft.irfftn(arr, s=sizes, axes=axes, norm=norm)
    out = out.astype(np.float32 if arr.dtype == np.complex64 else np.float64, copy=False)
    node = None
    if requires_grad(x):
        node = FftC2RBackward0(None)
        node.axes, node.norm, node.shape = tuple(axes), norm, arr.shape
        node.real_input = real_input
    return attach(out, node, (x,))


def _one(n):
    return None if n is None else (n,)


def fft(input, n=None, dim=-1, norm=None):
    """1-D discrete Fourier transform along `dim` (complex result; `n` trims or zero-pads)."""
    s, dims = _dims(input, _one(n), dim, "fft")
    return _c2c(input, s, dims, _norm(norm), False)


def ifft(input, n=None, dim=-1, norm=None):
    s, dims = _dims(input, _one(n), dim, "ifft")
    return _c2c(input, s, dims, _norm(norm), True)


def fft2(input, s=None, dim=(-2, -1), norm=None):
    return fftn(input, s, dim, norm)


def ifft2(input, s=None, dim=(-2, -1), norm=None):
    return ifftn(input, s, dim, norm)


def fftn(input, s=None, dim=None, norm=None):
    s, dims = _dims(input, s, dim, "fftn")
    return _c2c(input, s, dims, _norm(norm), False)


def ifftn(input, s=None, dim=None, norm=None):
    s, dims = _dims(input, s, dim, "ifftn")
    return _c2c(input, s, dims, _norm(norm), True)


def rfft(input, n=None, dim=-1, norm=None):
    """FFT of a real signal: the n // 2 + 1 non-negative frequencies."""
    s, dims = _dims(input, _one(n), dim, "rfft")
    return _r2c(input, s, dims, _norm(norm))


def irfft(input, n=None, dim=-1, norm=None):
    """Inverse of `rfft`: a real signal of length `n` (default 2 * (size - 1))."""
    s, dims = _dims(input, _one(n), dim, "irfft")
    return _c2r(input, s, dims, _norm(norm))


def rfft2(input, s=None, dim=(-2, -1), norm=None):
    return rfftn(input, s, dim, norm)


def irfft2(input, s=None, dim=(-2, -1), norm=None):
    return irfftn(input, s, dim, norm)


def rfftn(input, s=None, dim=None, norm=None):
    s, dims = _dims(input, s, dim, "rfftn")
    return _r2c(input, s, dims, _norm(norm), "rfftn")


def irfftn(input, s=None, dim=None, norm=None):
    s, dims = _dims(input, s, dim, "irfftn")
    return _c2r(input, s, dims, _norm(norm), "irfftn")


def hfft(input, n=None, dim=-1, norm=None):
    """FFT of a Hermitian-symmetric signal given by its first half: a real spectrum."""
    s, dims = _dims(input, _one(n), dim, "hfft")
    x = input.conj() if input.is_complex() else input
    return _c2r(x, s, dims, _DUAL[_norm(norm)], "hfft")


def ihfft(input, n=None, dim=-1, norm=None):
    """Inverse of `hfft`: the first half of a Hermitian signal from a real one."""
    s, dims = _dims(input, _one(n), dim, "ihfft")
    return _r2c(input, s, dims, _DUAL[_norm(norm)], "ihfft").conj()


def _frequencies(values, d, dtype, device, requires_grad_):
    dt = dtype if dtype is not None else _dtypes.get_default_dtype()
    xp = array_module(as_device(device))
    out = Tensor._make(xp.asarray(values / d, dtype=dt.np))
    return out.requires_grad_() if requires_grad_ else out


def fftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    """Sample frequencies of an n-point FFT: [0, 1, ..., -(n // 2), ..., -1] / (d * n)."""
    return _frequencies(np.fft.fftfreq(n), d, dtype, device, requires_grad)


def rfftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    return _frequencies(np.fft.rfftfreq(n), d, dtype, device, requires_grad)


def _shift(input, dim, forward):
    dims = list(range(input.ndim)) if dim is None else [dim] if isinstance(dim, int) else list(dim)
    shifts = [input.shape[d] // 2 if forward else (input.shape[d] + 1) // 2 for d in dims]
    return input.roll(shifts, dims)


def fftshift(input, dim=None):
    """Move the zero frequency to the centre (roll by n // 2 along each of `dim`)."""
    return _shift(input, dim, True)


def ifftshift(input, dim=None):
    return _shift(input, dim, False)


# Complex-number views PyTorch keeps beside its FFTs; exported as `ember.*` by ops/spectral.py.
def view_as_real(input):
    """A complex tensor as real pairs: shape (..., 2) holding (real, imag)."""
    if not input.is_complex():
        raise RuntimeError("view_as_real is only supported for complex tensors")
    from .ops.joining import stack
    return stack([input.real, input.imag], -1)


def view_as_complex(input):
    """Real pairs (..., 2) as a complex tensor of shape (...)."""
    if input.ndim == 0 or input.shape[-1] != 2:
        raise RuntimeError(f"view_as_complex: Tensor must have a last dimension of size 2, got "
                           f"shape {list(input.shape)}")
    if input.dtype not in (_dtypes.float32, _dtypes.float64):
        raise RuntimeError(f"view_as_complex is only supported for float and double tensors, "
                           f"but got a tensor of scalar type: {input.dtype.name}")
    return complex(input[..., 0], input[..., 1])


class ComplexBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return g.real, g.imag


def complex(real, imag):
    """`real + i * imag` from two real tensors of one floating dtype (broadcasting)."""
    if real.dtype != imag.dtype or real.dtype not in (_dtypes.float32, _dtypes.float64):
        raise RuntimeError(f"complex: Expected both inputs to be Float or Double tensors but got "
                           f"{real.dtype.name} and {imag.dtype.name}")
    re, im = real._data, imag._data
    xp = array_module_of(re)
    out = xp.empty(xp.broadcast_shapes(re.shape, im.shape),
                   np.complex64 if re.dtype == np.float32 else np.complex128)
    out.real, out.imag = re, im
    node = ComplexBackward0(None) if requires_grad(real, imag) else None
    return attach(out, node, (real, imag))


def polar(abs, angle):
    """`abs * (cos(angle) + i sin(angle))`."""
    return complex(abs * angle.cos(), abs * angle.sin())


__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2",
           "rfftn", "irfftn", "hfft", "ihfft", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]
