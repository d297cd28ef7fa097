"""`repr(tensor)` laid out as PyTorch prints it."""
import numpy as np

from . import _dtypes

_THRESHOLD = 1000  # PyTorch's print options: summarise above this many elements
_EDGE = 3
_PRECISION = 4


def _float_formatter(values):
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return lambda v: _special(v) or ""
    absmax, absmin = np.abs(finite).max(), np.abs(finite).min()
    integral = np.all(finite == np.round(finite))
    sci = absmax > 1e8 or (absmin > 0 and absmax / max(absmin, 1e-300) > 1000) or (
        absmax != 0 and absmax < 1e-4)
    if integral and not sci:
        return lambda v: _special(v) or f"{v:.0f}."
    if sci:
        return lambda v: _special(v) or f"{v:.{_PRECISION}e}"
    return lambda v: _special(v) or f"{v:.{_PRECISION}f}"


def _special(v):
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def _formatter(arr, dtype):
    if dtype is _dtypes.bool_:
        return lambda v: "True" if v else "False"
    if dtype.is_complex:
        re = _float_formatter(arr.real.astype(np.float64).ravel())
        im = _float_formatter(arr.imag.astype(np.float64).ravel())
        def fmt(v):
            sign = "+" if v.imag >= 0 or np.isnan(v.imag) else "-"
            return f"{re(v.real)}{sign}{im(abs(v.imag))}j"
        return fmt
    if dtype.is_floating_point:
        return _float_formatter(arr.astype(np.float64).ravel())
    return lambda v: str(int(v))


def _summarised(arr):
    """Keep the edge items of each dimension, as PyTorch does past the threshold."""
    for axis in range(arr.ndim):
        if arr.shape[axis] > 2 * _EDGE:
            idx = list(range(_EDGE)) + list(range(arr.shape[axis] - _EDGE, arr.shape[axis]))
            arr = np.take(arr, idx, axis=axis)
    return arr


def _render(arr, fmt, width, indent, summarise):
    if arr.ndim == 0:
        return fmt(arr.item()).rjust(width)
    n = arr.shape[0]
    cut = summarise and n > 2 * _EDGE
    if arr.ndim == 1:
        items = [fmt(v).rjust(width) for v in arr.tolist()] if arr.dtype != object else []
        if cut:
            items = items[:_EDGE] + [" ..."] + items[-_EDGE:]
        return "[" + ", ".join(items) + "]"
    rows = [_render(arr[i], fmt, width, indent + 1, summarise) for i in range(arr.shape[0])]
    if cut:
        rows = rows[:_EDGE] + ["..."] + rows[-_EDGE:]
    sep = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(rows) + "]"


def format_tensor(t):
    data = t._data
    arr = data if isinstance(data, np.ndarray) else data.get()
    dtype = t.dtype
    if dtype is _dtypes.bfloat16:
        arr = arr.astype(np.float32)
    summarise = arr.size > _THRESHOLD
    shown = _summarised(arr) if summarise else arr
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if arr.size == 0:
        body = "[]"
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
    else:
        fmt = _formatter(shown, dtype)
        # Summarised rows are rendered from the edge items, each item padded to one width.
        flat = [fmt(v) for v in shown.ravel().tolist()]
        width = max(len(s) for s in flat)
        if summarise:
            body = _render(arr, fmt, width, 7, True)
        else:
            body = _render(shown, fmt, width, 7, False)
    default_dtypes = (_dtypes.get_default_dtype(), _dtypes.int64, _dtypes.bool_)
    if dtype not in default_dtypes or (arr.size == 0 and dtype is not _dtypes.get_default_dtype()):
        suffixes.append(f"dtype={dtype!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return "tensor(" + ", ".join([body] + suffixes) + ")"
