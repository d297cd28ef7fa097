"""Op families. Each module defines its functions and a `METHODS` table of the Tensor methods
it provides; `install_methods` attaches them so `x.exp()` and `ember.exp(x)` are one function."""
from .._tensor import Tensor
from . import (arithmetic, comparison, conversion, creation, cumulative, indexing, joining,
               linalg_ops, reduction, reduction_stats, rounding, shape, softmax, sorting, special,
               spectral, unary)
from .. import random

FAMILIES = [arithmetic, comparison, conversion, creation, cumulative, indexing, joining, linalg_ops,
            reduction, reduction_stats, rounding, shape, softmax, sorting, special, spectral, unary,
            random]


def install_methods():
    for family in FAMILIES:
        for name, fn in family.METHODS.items():
            setattr(Tensor, name, fn)


install_methods()
