"""Short-time Fourier transforms (stft, istft) and the window functions they take."""
import numpy as np

from .. import fft as _fft
from .._device import array_module_of
from ..autograd.graph import Node
from ..fft import complex, polar, view_as_complex, view_as_real
from ._common import attach, requires_grad


def _window(name, window_length, periodic, dtype, device, requires_grad_, values):
    """A window from `values(N)` (float64 NumPy, N the symmetric length), PyTorch's way: the
    periodic window of length L is the symmetric one of length L + 1 without its last point."""
    from .creation import tensor
    from .. import _dtypes
    if window_length < 0:
        raise RuntimeError(f"{name}: requires non-negative window length, got "
                           f"window_length={window_length}")
    dt = dtype if dtype is not None else _dtypes.get_default_dtype()
    if not dt.is_floating_point:
        raise RuntimeError(f"{name}: expects floating point dtypes, got: {dt.name}")
    if window_length <= 1:
        arr = np.ones(window_length)
    else:
        n = window_length + 1 if periodic else window_length
        arr = values(n)[:window_length]
    return tensor(arr, dtype=dt, device=device, requires_grad=requires_grad_)


def _cosine_sum(*coefficients):
    def values(n):
        k = 2 * np.pi * np.arange(n) / (n - 1)
        return sum(c * np.cos(i * k) for i, c in enumerate(coefficients))
    return values


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                requires_grad=False):
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   _cosine_sum(0.5, -0.5))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   layout=None, device=None, requires_grad=False):
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   _cosine_sum(alpha, -beta))


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False):
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   _cosine_sum(0.42, -0.5, 0.08))


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False):
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n: 1 - np.abs(2 * np.arange(n) / (n - 1) - 1))


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None,
                  device=None, requires_grad=False):
    def values(n):
        r = (np.arange(n) - (n - 1) / 2) / ((n - 1) / 2)
        return np.i0(beta * np.sqrt(np.clip(1 - r * r, 0, None))) / np.i0(beta)
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, values)


class OverlapAddBackward0(Node):
    __slots__ = ("size", "hop")

    def backward(self, g):
        return (g.unfold(-1, self.size, self.hop),)


def _overlap_add(frames, hop, length):
    """Sum frames (..., n_frames, size) placed `hop` apart into a signal (..., length);
    the adjoint of `unfold(-1, size, hop)`."""
    arr = frames._data
    xp = array_module_of(arr)
    *lead, n, size = arr.shape
    # Cut each frame into hop-long pieces: piece j of frame f lands in block f + j, so the sum is
    # ceil(size / hop) shifted block additions instead of a loop over frames.
    pieces = -(-size // hop)
    padded = xp.zeros((*lead, n, pieces * hop), dtype=arr.dtype)
    padded[..., :size] = arr
    blocks = xp.zeros((*lead, n + pieces - 1, hop), dtype=arr.dtype)
    for j in range(pieces):
        blocks[..., j:j + n, :] += padded[..., j * hop:(j + 1) * hop]
    out = blocks.reshape(*lead, -1)[..., :length]
    node = None
    if requires_grad(frames):
        node = OverlapAddBackward0(None)
        node.size, node.hop = size, hop
    return attach(xp.ascontiguousarray(out), node, (frames,))


def _stft_window(window, n_fft, win_length, like, op):
    """The window as a tensor of n_fft points (a shorter one is centred and zero-padded)."""
    from .creation import ones
    win_length = n_fft if win_length is None else win_length
    if not 0 < win_length <= n_fft:
        raise RuntimeError(f"{op}: expected 0 < win_length <= n_fft, but got "
                           f"win_length={win_length}")
    if window is None:
        window = ones(win_length, dtype=like.real.dtype if like.is_complex() else like.dtype,
                      device=like.device)
    if window.ndim != 1 or window.shape[0] != win_length:
        raise RuntimeError(f"{op}: expected a 1D window tensor of size equal to win_length="
                           f"{win_length}, but got window with size {list(window.shape)}")
    if win_length < n_fft:
        from ..nn.functional import pad
        left = (n_fft - win_length) // 2
        window = pad(window, (left, n_fft - win_length - left))
    return window


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
         pad_mode="reflect", normalized=False, onesided=None, return_complex=None):
    """Short-time Fourier transform: (T,) or (B, T) → complex (B?, n_fft // 2 + 1, frames)."""
    if return_complex is None and not input.is_complex() and not (
            window is not None and window.is_complex()):
        raise RuntimeError("stft requires the return_complex parameter be given for real inputs, "
                           "and will further require that return_complex=True in a future "
                           "PyTorch release.")
    if return_complex is False:
        raise RuntimeError("stft: return_complex=False is not supported; stft returns complex "
                           "tensors (call view_as_real on the output for the old format)")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, got shape {list(input.shape)}")
    hop = n_fft // 4 if hop_length is None else hop_length
    if n_fft <= 0 or hop <= 0:
        raise RuntimeError(f"stft: expected n_fft > 0 and hop_length > 0, got n_fft={n_fft}, "
                           f"hop_length={hop}")
    x = input if input.ndim == 2 else input.unsqueeze(0)
    if center:
        from ..nn.functional import pad
        half = n_fft // 2
        x = pad(x.unsqueeze(1), (half, half), mode=pad_mode).squeeze(1)
    if not 0 < n_fft <= x.shape[-1]:
        raise RuntimeError(f"stft: expected 0 < n_fft <= {x.shape[-1]} (the padded signal "
                           f"length), but got n_fft={n_fft}")
    window = _stft_window(window, n_fft, win_length, input, "stft")
    frames = x.unfold(-1, n_fft, hop) * window  # (B, n_frames, n_fft)
    complex_input = input.is_complex() or window.is_complex()
    onesided = not complex_input if onesided is None else onesided
    if onesided and complex_input:
        raise RuntimeError("stft: Cannot have onesided output if window or input is complex")
    spec = (_fft.rfft if onesided else _fft.fft)(frames, norm="ortho" if normalized else None)
    spec = spec.transpose(-1, -2)
    return spec if input.ndim == 2 else spec.squeeze(0)


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
          normalized=False, onesided=None, length=None, return_complex=False):
    """Inverse of `stft` by windowed overlap-add: complex (B?, freq, frames) → (B?, T)."""
    if not input.is_complex():
        raise RuntimeError("istft requires a complex-valued input tensor matching the output "
                           "from stft with return_complex=True.")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"istft: expected a tensor with 2 or 3 dimensions of complex, got "
                           f"shape {list(input.shape)}")
    hop = n_fft // 4 if hop_length is None else hop_length
    spec = input if input.ndim == 3 else input.unsqueeze(0)
    n_bins, n_frames = spec.shape[-2], spec.shape[-1]
    onesided = n_bins != n_fft if onesided is None else onesided
    expected = n_fft // 2 + 1 if onesided else n_fft
    if n_bins != expected:
        raise RuntimeError(f"istft: expected the frequency dimension (3rd to the last) of the "
                           f"input tensor to match n_fft / 2 + 1 when onesided=True, but got "
                           f"{n_bins}" if onesided else
                           f"istft: expected the frequency dimension to match n_fft={n_fft} "
                           f"when onesided=False, but got {n_bins}")
    if return_complex and onesided:
        raise RuntimeError("istft: cannot have onesided output if window or input is complex")
    window = _stft_window(window, n_fft, win_length, input.real, "istft")
    frames = spec.transpose(-1, -2)  # (B, n_frames, freq)
    norm = "ortho" if normalized else "backward"
    if return_complex:
        frames = _fft.ifft(frames, n=n_fft, norm=norm)
    else:
        # A real signal's two-sided spectrum is read through its first half, like PyTorch.
        frames = _fft.irfft(frames if onesided else frames[..., :n_fft // 2 + 1], n=n_fft,
                            norm=norm)
    total = n_fft + hop * (n_frames - 1)
    y = _overlap_add(frames * window, hop, total)
    wsq = window * window
    envelope = _overlap_add(wsq.expand(n_frames, n_fft), hop, total)
    start = n_fft // 2 if center else 0
    end = start + length if length is not None else total - start if center else total
    y, envelope = y[..., start:end], envelope[start:end]
    if bool((envelope.abs() < 1e-11).any()):
        raise RuntimeError("istft: window overlap add min: the window's squared overlap-add "
                           "envelope is (close to) zero somewhere, so the signal cannot be "
                           "recovered (check window, hop_length and center)")
    y = y / envelope
    if end > total:
        from ..nn.functional import pad
        y = pad(y, (0, end - total))
    return y if input.ndim == 3 else y.squeeze(0)


__all__ = ["stft", "istft", "hann_window", "hamming_window", "blackman_window",
           "bartlett_window", "kaiser_window", "view_as_real", "view_as_complex", "complex",
           "polar"]

METHODS = {"stft": stft, "istft": istft}
