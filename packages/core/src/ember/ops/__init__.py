"""Op families. Each module defines its functions and a `METHODS` table of the Tensor methods
it provides; `install_methods` attaches them so `x.exp()` and `ember.exp(x)` are one function."""
from .._tensor import Tensor
from . import (arithmetic, attributes, comparison, conversion, creation, cumulative,
               index_reduce, indexing, joining, linalg_methods, linalg_ops, reduction,
               reduction_stats, rounding, scatter_reduce, shape, shape_inplace, softmax,
               sorting, special, spectral, unary, view_scatter)
from .. import random

FAMILIES = [arithmetic, attributes, comparison, conversion, creation, cumulative, index_reduce,
            indexing, joining, linalg_methods, linalg_ops, reduction, reduction_stats, rounding,
            scatter_reduce, shape, shape_inplace, softmax, sorting, special, spectral, unary,
            view_scatter, random]


def install_methods():
    for family in FAMILIES:
        for name, fn in family.METHODS.items():
            setattr(Tensor, name, fn)


install_methods()
