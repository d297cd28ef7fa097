"""Ember dtypes: PyTorch's names over NumPy dtypes, and PyTorch's type-promotion rules."""
import numpy as np
import ml_dtypes

# Promotion categories, lowest first: a higher category always wins across categories.
_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """A tensor element type; `ember.float32` and friends are the only instances."""

    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_complex", "is_signed",
                 "category")

    def __init__(self, name, np_dtype, category):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.category = category
        self.is_floating_point = category == _FLOAT
        self.is_complex = category == _COMPLEX
        self.is_signed = name not in ("uint8", "bool")

    def __repr__(self):
        return f"ember.{self.name}"

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    def to_complex(self):
        return complex128 if self is float64 else complex64

    def to_real(self):
        return float64 if self is complex128 else float32 if self is complex64 else self


bool_ = dtype("bool", np.bool_, _BOOL)
uint8 = dtype("uint8", np.uint8, _INT)
int8 = dtype("int8", np.int8, _INT)
int16 = dtype("int16", np.int16, _INT)
int32 = dtype("int32", np.int32, _INT)
int64 = dtype("int64", np.int64, _INT)
float16 = dtype("float16", np.float16, _FLOAT)
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, _FLOAT)
float32 = dtype("float32", np.float32, _FLOAT)
float64 = dtype("float64", np.float64, _FLOAT)
complex64 = dtype("complex64", np.complex64, _COMPLEX)
complex128 = dtype("complex128", np.complex128, _COMPLEX)

ALL_DTYPES = (bool_, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64,
              complex64, complex128)
_BY_NAME = {d.name: d for d in ALL_DTYPES}
# PyTorch's aliases, so `ember.half`, `ember.long` and friends read as in PyTorch code.
ALIASES = {"half": float16, "float": float32, "double": float64, "short": int16, "int": int32,
           "long": int64, "cfloat": complex64, "cdouble": complex128}
_BY_NAME.update(ALIASES)
_FROM_NUMPY = {d.np: d for d in ALL_DTYPES}

_default_float = [float32]


def _dtype_by_name(name):
    return _BY_NAME[name]


def get_default_dtype():
    """The dtype of floating tensors built from Python floats (float32 unless changed)."""
    return _default_float[0]


def set_default_dtype(d):
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"ember.set_default_dtype: only floating dtypes are allowed, got {d}")
    _default_float[0] = d


def from_numpy_dtype(np_dtype):
    """The ember dtype of a NumPy dtype; a clear TypeError for ones ember has no name for."""
    try:
        return _FROM_NUMPY[np_dtype]
    except KeyError:
        pass
    try:
        return _FROM_NUMPY[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(f"ember: NumPy dtype {np_dtype} has no ember equivalent; supported: "
                        + ", ".join(d.name for d in ALL_DTYPES)) from None


def as_dtype(d):
    """Accept an ember dtype, a NumPy dtype/type, a name ('float32') or a Python type."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return get_default_dtype()
    if d is int:
        return int64
    if d is bool:
        return bool_
    if d is complex:
        return get_default_dtype().to_complex()
    if isinstance(d, str):
        name = d.removeprefix("torch.").removeprefix("ember.")
        if name in _BY_NAME:
            return _BY_NAME[name]
    return from_numpy_dtype(d)


def promote_types(a, b):
    """PyTorch's `promote_types`: the smallest dtype both `a` and `b` convert to safely."""
    if a is b:
        return a
    if a.category != b.category:
        hi, lo = (a, b) if a.category > b.category else (b, a)
        if hi.is_complex and lo is float64:
            return complex128
        return hi
    if {a, b} == {float16, bfloat16}:
        return float32
    if bfloat16 in (a, b):
        return a if b is bfloat16 else b  # float32/float64 beat bfloat16
    if a.is_complex:
        return complex128 if complex128 in (a, b) else complex64
    return _FROM_NUMPY[np.promote_types(a.np, b.np)]


def scalar_dtype(value):
    """The dtype PyTorch gives a Python scalar standing alone."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int64
    if isinstance(value, float):
        return get_default_dtype()
    if isinstance(value, complex):
        return get_default_dtype().to_complex()
    raise TypeError(f"ember: cannot use a {type(value).__name__} as a number")


def _combine(higher, lower):
    # PyTorch: a lower-priority group only matters when its category is higher.
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_complex:
        return higher
    if lower.is_complex:
        return higher.to_complex() if higher.is_floating_point else lower
    if higher.is_floating_point:
        return higher
    if higher is bool_ or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def result_type(*operands):
    """PyTorch's `result_type`: dimensioned tensors outrank 0-dim tensors, which outrank
    Python scalars, and a lower rank only counts when it brings a higher category."""
    from ._tensor import Tensor

    dim = zero = scalar = None
    for x in operands:
        if isinstance(x, Tensor):
            d = x.dtype
            if x.ndim:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        elif isinstance(x, dtype):
            dim = x if dim is None else promote_types(dim, x)
        else:
            d = scalar_dtype(x)
            scalar = d if scalar is None else promote_types(scalar, d)
    return _combine(dim, _combine(zero, scalar))
