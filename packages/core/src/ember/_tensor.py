"""`Tensor`: one NumPy or CuPy array plus what autograd needs to know about it.

Math methods are attached by `ember.ops` (see `ops/methods.py`) so that each op lives in its family
file; this file holds storage, conversion, autograd state and Python protocol methods.
"""
import numpy as np

from . import _device, _dtypes
from .autograd import graph as _graph

_ndarray, _generic, _new = np.ndarray, np.generic, object.__new__


class Tensor:
    __slots__ = ("_data", "requires_grad", "grad", "grad_fn", "_vc", "_base", "_hooks",
                 "_post_accumulate_hooks", "_retains_grad", "__weakref__", "__dict__")

    # NumPy must hand `ndarray <op> tensor` to the tensor's reflected operator.
    __array_ufunc__ = None
    __array_priority__ = 1000

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, data=None, *, dtype=None, device=None, requires_grad=False):
        # `ember.Tensor(data)` is PyTorch's legacy constructor: floating by default.
        from .ops.creation import _to_array
        if data is None:
            data = []
        if isinstance(data, int) and not isinstance(data, bool):
            data = np.zeros(data)  # Tensor(n) is an uninitialised 1-D tensor of n elements
        arr = _to_array(data, dtype or _dtypes.get_default_dtype(), device)
        Tensor._init(self, arr, requires_grad)

    @staticmethod
    def _init(self, data, requires_grad=False, grad_fn=None, vc=None, base=None):
        self._data = data
        self.requires_grad = requires_grad
        self.grad = None
        self.grad_fn = grad_fn
        self._vc = [0] if vc is None else vc
        self._base = base
        self._hooks = None
        self._post_accumulate_hooks = None
        self._retains_grad = False

    @staticmethod
    def _make(data, requires_grad=False, grad_fn=None):
        """Wrap an array without copying (the op fast path).

        Every op result passes through here, so `_init`'s stores are inlined (one Python call
        less) and the scalar check starts with the exact-type test that ndarrays pass at once."""
        if type(data) is not _ndarray and isinstance(data, _generic):
            data = np.asarray(data)  # NumPy turns 0-dim results into scalars; keep arrays
        t = _new(Tensor)
        t._data = data
        t.requires_grad = requires_grad
        t.grad = None
        t.grad_fn = grad_fn
        t._vc = [0]
        t._base = None
        t._hooks = None
        t._post_accumulate_hooks = None
        t._retains_grad = False
        return t

    def _view_of(self, data, grad_fn=None):
        """A tensor over `data`, a view of this tensor's array sharing its version counter."""
        if not isinstance(data, np.ndarray) and isinstance(data, np.generic):
            data = np.asarray(data)
        t = object.__new__(Tensor)
        Tensor._init(t, data, grad_fn is not None, grad_fn, self._vc,
                     self if self._base is None else self._base)
        return t

    def _own(self):
        """Make the array writable and owned (copies when it is a view or read-only)."""
        d = self._data
        if getattr(d, "base", None) is not None or not getattr(d.flags, "writeable", True):
            self._data = d.copy()
        return self

    # ----------------------------------------------------------------------------- metadata
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_dim(dim, self._data.ndim, "size")]

    @property
    def dtype(self):
        return _dtypes.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return _device.device_of(self._data)

    @property
    def is_cuda(self):
        return not isinstance(self._data, np.ndarray)

    @property
    def is_cpu(self):
        return isinstance(self._data, np.ndarray)

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return int(self._data.size)

    nelement = numel

    def element_size(self):
        return self._data.dtype.itemsize

    @property
    def itemsize(self):
        return self._data.dtype.itemsize

    @property
    def nbytes(self):
        return int(self._data.nbytes)

    def stride(self, dim=None):
        item = self._data.dtype.itemsize
        strides = tuple(s // item for s in self._data.strides)
        return strides if dim is None else strides[_dim(dim, self._data.ndim, "stride")]

    def is_contiguous(self, memory_format=None):
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_complex(self):
        return self.dtype.is_complex

    def data_ptr(self):
        d = self._data
        return d.ctypes.data if isinstance(d, np.ndarray) else d.data.ptr

    def get_device(self):
        return -1 if self.is_cpu else self.device.index

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def _version(self):
        return self._vc[0]

    @property
    def data(self):
        """The same storage without autograd history (changes through it are not tracked)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data: expected a Tensor, got {type(value).__name__}")
        self._data = value._data

    # ----------------------------------------------------------------------------- conversion
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        v = self._data.reshape(()).item() if isinstance(self._data, np.ndarray) else \
            self._data.reshape(()).get().item()
        return float(v) if self._data.dtype == _dtypes.bfloat16.np else v

    def tolist(self):
        arr = self._cpu_array()
        if arr.dtype == _dtypes.bfloat16.np:
            arr = arr.astype(np.float32)
        return arr.tolist()

    def _cpu_array(self):
        d = self._data
        return d if isinstance(d, np.ndarray) else d.get()

    def numpy(self, *, force=False):
        """The NumPy array behind a CPU tensor (shared memory, as in PyTorch)."""
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        if not self.is_cpu:
            if not force:
                raise TypeError(f"can't convert {self.device} device type tensor to numpy. "
                                "Use Tensor.cpu() to copy the tensor to host memory first.")
            return self._data.get()
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = self._cpu_array()
        return arr if dtype is None else arr.astype(dtype)

    def __dlpack__(self, stream=None, **kwargs):
        return self._data.__dlpack__(**({} if stream is None else {"stream": stream}), **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def detach(self):
        """The same data, cut from the graph; shares storage and version counter."""
        t = object.__new__(Tensor)
        Tensor._init(t, self._data, False, None, self._vc, self._base)
        return t

    def detach_(self):
        self.grad_fn = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad=True):
        if requires_grad and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               f"gradients (got {self.dtype})")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If "
                               "you want to use a computed variable in a subgraph that doesn't "
                               "require differentiation use var_no_grad = var.detach().")
        self.requires_grad = requires_grad
        return self

    # ----------------------------------------------------------------------------- autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs)

    def register_hook(self, hook):
        """Call `hook(grad)` when this tensor's gradient is computed; it may return a new grad."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn.register_prehook(hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _graph._RemovableHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if self._post_accumulate_hooks is None:
            self._post_accumulate_hooks = []
        self._post_accumulate_hooks.append(hook)
        return _graph._RemovableHandle(self._post_accumulate_hooks, hook)

    def retain_grad(self):
        """Keep `.grad` on a non-leaf tensor after backward."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True

        def keep(grad, owner=self):
            owner.grad = grad.detach()._own() if owner.grad is None else owner.grad + grad.detach()

        self.grad_fn.register_prehook(keep)

    @property
    def retains_grad(self):
        return self._retains_grad

    # ----------------------------------------------------------------------------- protocol
    def __repr__(self):
        from ._formatting import format_tensor
        return format_tensor(self)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} elements is "
                               "ambiguous")
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    def __index__(self):
        if self.dtype.is_floating_point or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __hash__(self):
        return id(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._cpu_array(), str(self.device), self.requires_grad))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        new = type(self).__new__(type(self))
        Tensor._init(new, self._data.copy(), self.requires_grad)
        if self.grad is not None:
            new.grad = self.grad.__deepcopy__(memo)
        if hasattr(self, "__dict__"):
            for k, v in self.__dict__.items():
                new.__dict__[k] = v
        memo[id(self)] = new
        return new


def _rebuild(array, device, requires_grad):
    t = Tensor._make(_device.move_array(array, _device.as_device(device)))
    t.requires_grad = requires_grad
    return t


class Size(tuple):
    """A tensor's shape: a tuple that prints as `ember.Size([2, 3])`."""

    def __repr__(self):
        return f"ember.Size({list(self)})"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n


def _dim(dim, ndim, op):
    """Wrap a possibly negative dim into range, or say which op got a bad one."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


__all__ = ["Tensor", "Size"]
