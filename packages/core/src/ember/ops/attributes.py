"""What a tensor is, beyond shape and dtype: layout, storage offset, sign, the predicates PyTorch
code asks (is_nonzero, is_same_size, ...), and the memory hints that mean nothing here.

Ember tensors are always dense, strided, unquantized and real arrays in ordinary memory, so
several answers are constants; each says why.
"""


class layout:
    """A tensor memory layout; ember has only `ember.strided` (dense arrays with strides)."""
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"ember.{self.name}"

    def __reduce__(self):
        return (_layout_named, (self.name,))


strided = layout("strided")


def _layout_named(name):
    return strided


def _layout(self):
    return strided


def storage_offset(self):
    """How many elements into its base's memory this tensor starts (0 for a tensor that owns
    its memory)."""
    root = self._base if self._base is not None else self
    return (self.data_ptr() - root.data_ptr()) // self._data.dtype.itemsize


def is_signed(input):
    """True for signed integer, floating and complex dtypes."""
    return input._data.dtype.kind in "ifc"


def is_nonzero(input):
    """bool(input) for a one-element tensor; an error for any other size, as in PyTorch."""
    n = input._data.size
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())


def is_same_size(input, other):
    return tuple(input.shape) == tuple(other.shape)


def is_inference(input):
    """False: `inference_mode` is `no_grad` in ember, with no inference-only tensors."""
    return False


def is_conj(input):
    """False: conj() materialises its result; ember has no lazy conjugate bit."""
    return False


def is_neg(input):
    """False: ember has no lazy negation bit."""
    return False


def resolve_conj(input):
    """`input` itself: there is never a pending conjugation to materialise."""
    return input


def resolve_neg(input):
    return input


def _false(self):
    return False


def output_nr(self):
    """0: every ember graph node produces one differentiable output."""
    return 0


def pin_memory(self, device=None):
    """`self`: on the host, NumPy memory is already what copies to the GPU read from (no
    page-locked allocation is made)."""
    return self


def share_memory_(self):
    """`self`: a no-op (DataLoader workers receive copies of tensors)."""
    return self


__all__ = ["layout", "strided", "is_signed", "is_nonzero", "is_same_size", "is_inference",
           "is_conj", "is_neg", "resolve_conj", "resolve_neg"]
METHODS = {
    "layout": property(_layout), "storage_offset": storage_offset, "is_signed": is_signed,
    "is_nonzero": is_nonzero, "is_same_size": is_same_size, "is_inference": is_inference,
    "is_conj": is_conj, "is_neg": is_neg, "resolve_conj": resolve_conj,
    "resolve_neg": resolve_neg, "output_nr": property(output_nr), "pin_memory": pin_memory,
    "is_pinned": _false, "share_memory_": share_memory_, "is_shared": _false,
    # Sparse, quantized and meta tensors do not exist in ember.
    "is_sparse": property(_false), "is_quantized": property(_false),
    "is_meta": property(_false),
}
