"""`repr(tensor)` laid out as PyTorch prints it."""
import numpy as np

from . import _dtypes

# PyTorch's print options, changed by `set_printoptions`.
_OPTIONS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80,
            "sci_mode": None}
_PROFILES = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
             "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
             "full": dict(precision=4, threshold=float("inf"), edgeitems=3, linewidth=80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """How tensors print: digits after the point, the element count above which the middle is
    elided (keeping `edgeitems` per edge), line width, and scientific notation (True, False,
    or None to choose per tensor). `profile` ("default", "short", "full") resets the first four."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: unknown profile {profile!r} (expected one of "
                             f"{sorted(_PROFILES)})")
        _OPTIONS.update(_PROFILES[profile])
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            _OPTIONS[name] = value
    _OPTIONS["sci_mode"] = sci_mode


def _float_formatter(values):
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return lambda v: _special(v) or ""
    integral = np.all(finite == np.round(finite))
    # PyTorch judges the spread on the nonzero values only.
    nonzero = np.abs(finite[finite != 0])
    sci = _OPTIONS["sci_mode"]
    if sci is None and nonzero.size:
        absmax, absmin = nonzero.max(), nonzero.min()
        sci = absmax > 1e8 or absmax / absmin > 1000 or absmin < 1e-4
    sci = bool(sci)
    precision = _OPTIONS["precision"]
    if integral and not sci:
        return lambda v: _special(v) or f"{v:.0f}."
    if sci:
        return lambda v: _special(v) or f"{v:.{precision}e}"
    return lambda v: _special(v) or f"{v:.{precision}f}"


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
    edge = _OPTIONS["edgeitems"]
    for axis in range(arr.ndim):
        if arr.shape[axis] > 2 * edge:
            idx = list(range(edge)) + list(range(arr.shape[axis] - edge, arr.shape[axis]))
            arr = np.take(arr, idx, axis=axis)
    return arr


def _render(arr, fmt, width, indent, summarise):
    if arr.ndim == 0:
        return fmt(arr.item()).rjust(width)
    n = arr.shape[0]
    edge = _OPTIONS["edgeitems"]
    cut = summarise and n > 2 * edge
    if arr.ndim == 1:
        items = [fmt(v).rjust(width) for v in arr.tolist()] if arr.dtype != object else []
        if cut:
            items = items[:edge] + [" ..."] + items[-edge:]
        # Rows longer than the line width wrap, as many items per line as fit.
        per_line = max(1, (_OPTIONS["linewidth"] - indent) // (width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = [_render(arr[i], fmt, width, indent + 1, summarise) for i in range(arr.shape[0])]
    if cut:
        rows = rows[:edge] + ["..."] + rows[-edge:]
    sep = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(rows) + "]"


def format_tensor(t):
    data = t._data
    arr = data if isinstance(data, np.ndarray) else data.get()
    dtype = t.dtype
    if dtype is _dtypes.bfloat16:
        arr = arr.astype(np.float32)
    summarise = arr.size > _OPTIONS["threshold"]
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
