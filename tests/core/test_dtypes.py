import itertools

import numpy as np
import pytest

import ember
from ember import _dtypes
from ember_testing import torch_or_skip

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
         "float64", "complex64", "complex128"]


def test_names_and_aliases():
    assert ember.float is ember.float32 and ember.double is ember.float64
    assert ember.long is ember.int64 and ember.half is ember.float16
    assert repr(ember.float32) == "ember.float32"
    assert ember.float32.is_floating_point and not ember.int64.is_floating_point
    assert ember.complex64.is_complex
    assert ember.float16.itemsize == 2 and ember.bfloat16.itemsize == 2


def test_as_dtype_accepts_numpy_python_and_strings():
    assert _dtypes.as_dtype(np.float64) is ember.float64
    assert _dtypes.as_dtype("torch.int32") is ember.int32
    assert _dtypes.as_dtype(float) is ember.float32
    assert _dtypes.as_dtype(int) is ember.int64
    assert _dtypes.as_dtype(bool) is ember.bool
    with pytest.raises(TypeError, match="no ember equivalent"):
        _dtypes.as_dtype(np.dtype("U3"))


def test_default_dtype_round_trip():
    assert ember.get_default_dtype() is ember.float32
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.tensor([1.5]).dtype is ember.float64
        assert (ember.tensor([1, 2]) * 0.5).dtype is ember.float64
    finally:
        ember.set_default_dtype(ember.float32)
    with pytest.raises(TypeError, match="floating"):
        ember.set_default_dtype(ember.int32)


def test_dtype_pickles_to_the_same_object():
    import pickle
    assert pickle.loads(pickle.dumps(ember.bfloat16)) is ember.bfloat16


@pytest.mark.parity
@pytest.mark.parametrize("a,b", list(itertools.combinations_with_replacement(NAMES, 2)))
def test_promote_types_matches_torch(a, b):
    torch = torch_or_skip()
    expected = torch.promote_types(getattr(torch, a), getattr(torch, b))
    got = ember.promote_types(getattr(_dtypes, "bool_" if a == "bool" else a),
                              getattr(_dtypes, "bool_" if b == "bool" else b))
    assert got.name == str(expected).removeprefix("torch.")


def _pair(torch, kind, name):
    """A 1-D tensor, a 0-dim tensor or a Python scalar of category `name`, in both frameworks."""
    value = {"bool": True, "int": 3, "float": 2.5, "complex": 1 + 2j}
    if kind == "scalar":
        return value[name], value[name]
    dt = name
    shape = (2,) if kind == "dim" else ()
    e = ember.ones(shape, dtype=getattr(_dtypes, "bool_" if dt == "bool" else dt))
    t = torch.ones(shape, dtype=getattr(torch, dt))
    return e, t


@pytest.mark.parity
@pytest.mark.parametrize("kinds", [("dim", "zero"), ("dim", "scalar"), ("zero", "scalar"),
                                   ("zero", "zero"), ("dim", "dim")])
@pytest.mark.parametrize("dtypes", [("int32", "int64"), ("uint8", "int8"), ("float16", "float64"),
                                    ("int64", "float32"), ("bool", "int16"), ("int8", "float16"),
                                    ("float32", "complex64"), ("bfloat16", "float16"),
                                    ("float64", "complex64")])
def test_result_type_matches_torch(kinds, dtypes):
    torch = torch_or_skip()
    scalar_of = {"bool": "bool", "uint8": "int", "int8": "int", "int16": "int", "int32": "int",
                 "int64": "int", "float16": "float", "bfloat16": "float", "float32": "float",
                 "float64": "float", "complex64": "complex"}
    args_e, args_t = [], []
    for kind, dt in zip(kinds, dtypes):
        e, t = _pair(torch, kind, scalar_of[dt] if kind == "scalar" else dt)
        args_e.append(e)
        args_t.append(t)
    if all(not isinstance(a, ember.Tensor) for a in args_e):
        pytest.skip("needs a tensor")
    expected = torch.result_type(*args_t)
    assert ember.result_type(*args_e).name == str(expected).removeprefix("torch.")
