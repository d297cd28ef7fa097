"""Collation: turning a list of samples into one batch (`default_collate`), and converting a
single sample's NumPy arrays to tensors (`default_convert`, used when batching is off).

The structure of a sample is kept: dicts of samples give a dict of batches, tuples/lists give
lists of batches (namedtuples and list subclasses keep their type), tensors/arrays/numbers are
stacked into tensors with PyTorch's dtypes (int -> int64, float -> float64, bool -> bool) and
strings stay as lists.
"""
import collections.abc
import copy

import numpy as np

from ..._dtypes import float64
from ..._tensor import Tensor
from ...ops.creation import as_tensor, tensor
from ...ops.joining import stack

_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


def _is_text_array(arr):
    """String/bytes/object arrays cannot become tensors (PyTorch's `[SaUO]` dtype test)."""
    return arr.dtype.kind in "SaUO"


def _rebuild_mapping(elem, values):
    """`values` in the container type of `elem` (dict when that type cannot be rebuilt)."""
    if isinstance(elem, collections.abc.MutableMapping):
        clone = copy.copy(elem)
        clone.update(values)
        return clone
    try:
        return type(elem)(values)
    except TypeError:
        return values


def _rebuild_sequence(elem, values):
    if isinstance(elem, collections.abc.MutableSequence):
        clone = copy.copy(elem)
        clone[:] = values
        return clone
    try:
        return type(elem)(values)
    except TypeError:
        return values


def default_convert(data):
    """NumPy arrays and scalars inside `data` become tensors; everything else is kept."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)):
        return data if _is_text_array(np.asarray(data)) else as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {k: default_convert(data[k]) for k in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def collate_tensor_fn(batch, *, collate_fn_map=None):
    """Stack along a new first dim, after checking shapes so the error names the entries."""
    first = tuple(batch[0].shape)
    for i, t in enumerate(batch):
        if tuple(t.shape) != first:
            raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, "
                               f"but got {list(first)} at entry 0 and {list(t.shape)} at "
                               f"entry {i}")
    return stack(list(batch), 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    if _is_text_array(batch[0]):
        raise TypeError(_ERR.format(batch[0].dtype))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return as_tensor(np.array(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    return tensor(batch, dtype=float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    return tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


def collate(batch, *, collate_fn_map=None):
    """Collate `batch` (a list of samples) by structure; leaves are handed to the first entry
    of `collate_fn_map` (type -> fn) matching their type, exactly or as a subclass."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for kind, fn in collate_fn_map.items():
            if isinstance(elem, kind):
                return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {k: collate([d[k] for d in batch],
                                                  collate_fn_map=collate_fn_map) for k in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        sizes = [len(s) for s in batch]
        if any(n != sizes[0] for n in sizes):
            bad = next(i for i, n in enumerate(sizes) if n != sizes[0])
            raise RuntimeError("each element in list of batch should be of equal size "
                               f"(entry 0 has {sizes[0]} elements, entry {bad} has {sizes[bad]})")
        columns = [collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return columns  # PyTorch returns a list for plain tuples (backwards compatibility)
        return _rebuild_sequence(elem, columns)
    raise TypeError(_ERR.format(elem_type))


default_collate_fn_map = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    np.generic: collate_numpy_scalar_fn,
    float: collate_float_fn,
    bool: collate_int_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Stack a list of samples into a batch, keeping the samples' structure.

    >>> default_collate([(0, 'a'), (1, 'b')])
    [tensor([0, 1]), ['a', 'b']]
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
