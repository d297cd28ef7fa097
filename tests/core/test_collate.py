"""default_collate / default_convert: structures and dtypes as PyTorch builds them."""
import collections

import numpy as np
import pytest

import ember
from ember.utils.data import default_collate, default_convert

Point = collections.namedtuple("Point", ["x", "y"])


class Record(dict):
    pass


def _describe(obj):
    """A framework-neutral view of a batch: containers, and (dtype, shape, values) leaves."""
    if hasattr(obj, "dtype") and hasattr(obj, "shape") and hasattr(obj, "tolist"):
        return ("tensor", str(obj.dtype).split(".")[-1], tuple(obj.shape), obj.tolist())
    if isinstance(obj, dict):
        return (type(obj).__name__, {k: _describe(v) for k, v in obj.items()})
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [_describe(v) for v in obj])
    return obj


BATCHES = {
    "ints": [1, 2, 3],
    "floats": [1.5, 2.5],
    "bools": [True, False],
    "strings": ["a", "bc"],
    "bytes": [b"a", b"b"],
    "np_float32": [np.ones(3, np.float32), np.zeros(3, np.float32)],
    "np_int32_2d": [np.arange(4, dtype=np.int32).reshape(2, 2)] * 2,
    "np_uint8": [np.arange(3, dtype=np.uint8)] * 2,
    "np_scalars_f32": [np.float32(1), np.float32(2)],
    "np_scalars_i64": [np.int64(1), np.int64(2)],
    "np_bool_scalars": [np.bool_(True), np.bool_(False)],
    "tuples": [(0, "a", 1.0), (1, "b", 2.0)],
    "lists": [[1, 2], [3, 4]],
    "dicts": [{"x": 1, "y": [1.0, 2.0]}, {"x": 2, "y": [3.0, 4.0]}],
    "nested": [{"a": (np.ones(2), {"b": 3})}, {"a": (np.zeros(2), {"b": 4})}],
    "namedtuple": [Point(1, 2.0), Point(3, 4.0)],
    "dict_subclass": [Record(a=1), Record(a=2)],
}


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(BATCHES))
def test_default_collate_parity(name):
    torch = pytest.importorskip("torch")
    batch = BATCHES[name]
    assert _describe(default_collate(batch)) == _describe(
        torch.utils.data.default_collate(batch))


@pytest.mark.parity
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool"])
def test_default_collate_tensors_parity(dtype):
    torch = pytest.importorskip("torch")
    arrays = [np.arange(6).reshape(2, 3).astype(dtype) + i for i in range(3)]
    ours = default_collate([ember.tensor(a) for a in arrays])
    theirs = torch.utils.data.default_collate([torch.tensor(a) for a in arrays])
    assert _describe(ours) == _describe(theirs)


@pytest.mark.parity
@pytest.mark.parametrize("name", ["np_float32", "np_scalars_f32", "tuples", "dicts", "nested",
                                  "namedtuple", "strings"])
def test_default_convert_parity(name):
    torch = pytest.importorskip("torch")
    sample = BATCHES[name]
    assert _describe(default_convert(sample)) == _describe(
        torch.utils.data.default_convert(sample))


def test_default_collate_stacks_tensors_and_keeps_types():
    out = default_collate([ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0])])
    assert out.shape == (2, 2) and out.dtype == ember.float32
    assert out.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert isinstance(default_collate([Point(1, 2), Point(3, 4)]), Point)
    assert isinstance(default_collate([Record(a=1)]), Record)
    assert default_collate(["a", "b"]) == ["a", "b"]


def test_default_collate_keeps_autograd():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([3.0, 4.0], requires_grad=True)
    default_collate([a, b]).sum().backward()
    assert a.grad.tolist() == [1.0, 1.0]


def test_default_collate_shape_mismatch_names_the_entries():
    with pytest.raises(RuntimeError, match=r"equal size, but got \[3\] at entry 0 and \[4\] at "
                                           r"entry 2"):
        default_collate([np.zeros(3), np.zeros(3), np.zeros(4)])


def test_default_collate_ragged_sequences():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal "
                                           "size"):
        default_collate([[1, 2], [1, 2, 3]])


@pytest.mark.parametrize("batch", [[object(), object()], [np.array(["a", "b"])] * 2,
                                   [None, None]])
def test_default_collate_unsupported(batch):
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy "
                                        "arrays, numbers, dicts or lists; found"):
        default_collate(batch)


def test_default_convert():
    out = default_convert({"a": np.arange(3), "b": "text", "c": (np.float32(1.5), 2)})
    assert isinstance(out["a"], ember.Tensor) and out["a"].dtype == ember.int64
    assert out["b"] == "text"
    assert out["c"][0].dtype == ember.float32 and out["c"][1] == 2
    t = ember.tensor([1, 2])
    assert default_convert(t) is t
    strings = np.array(["a"])
    assert default_convert(strings) is strings
