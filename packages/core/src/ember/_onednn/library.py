"""The oneDNN shared library through ctypes: loading, the C API's signatures and constants, one
CPU engine and stream, and memory descriptors/objects for NumPy arrays.

oneDNN ships on PyPI as `onednn-cpu-gomp` (the library alone, OpenMP runtime from libgomp); pip
puts `libdnnl.so.3` under the environment's `lib/`. Only the stable 3.x C API is used, so any
libdnnl.so.3 works. Nothing here runs unless the library loads.
"""
import ctypes
import ctypes.util
import os
import site
import sys
import threading

import numpy as np


F32 = 3  # dnnl_f32
TAG_ANY = 1  # dnnl_format_tag_any: the primitive picks its own (blocked) layout
CPU = 1  # dnnl_cpu
FORWARD_TRAINING, BACKWARD, BACKWARD_DATA, BACKWARD_WEIGHTS = 64, 128, 160, 192
CONVOLUTION_DIRECT = 1
QUERY_IMPL_INFO_STR = 8
QUERY_EXEC_ARG_MD = 255  # the descriptor of an execution argument, by argument id
# Execution argument ids. A primitive's n-th source/destination/weights is ARG_SRC + n etc.;
# a gradient ("diff") is its argument + 128. The RNN's are layer (+0), iter (+1), iter_c (+2).
ARG_SRC, ARG_DST, ARG_WEIGHTS, ARG_BIAS, ARG_WORKSPACE = 1, 17, 33, 41, 64
DIFF = 128
_MAX_NDIMS = 12

Dims = ctypes.c_int64 * _MAX_NDIMS
_handle = ctypes.c_void_p


class ExecArg(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_int), ("memory", _handle)]


class Version(ctypes.Structure):
    _fields_ = [("major", ctypes.c_int), ("minor", ctypes.c_int), ("patch", ctypes.c_int),
                ("hash", ctypes.c_char_p), ("cpu_runtime", ctypes.c_uint),
                ("gpu_runtime", ctypes.c_uint)]


_SIGNATURES = {
    "dnnl_engine_create": (ctypes.POINTER(_handle), ctypes.c_int, ctypes.c_size_t),
    "dnnl_stream_create": (ctypes.POINTER(_handle), _handle, ctypes.c_uint),
    "dnnl_stream_wait": (_handle,),
    "dnnl_memory_desc_create_with_strides": (ctypes.POINTER(_handle), ctypes.c_int, Dims,
                                             ctypes.c_int, Dims),
    "dnnl_memory_desc_create_with_tag": (ctypes.POINTER(_handle), ctypes.c_int, Dims,
                                         ctypes.c_int, ctypes.c_int),
    "dnnl_memory_desc_destroy": (_handle,),
    "dnnl_memory_create": (ctypes.POINTER(_handle), _handle, _handle, _handle),
    "dnnl_memory_destroy": (_handle,),
    "dnnl_primitive_create": (ctypes.POINTER(_handle), _handle),
    "dnnl_primitive_destroy": (_handle,),
    "dnnl_primitive_desc_destroy": (_handle,),
    "dnnl_primitive_execute": (_handle, _handle, ctypes.c_int, ctypes.POINTER(ExecArg)),
    "dnnl_reorder_primitive_desc_create": (ctypes.POINTER(_handle), _handle, _handle, _handle,
                                           _handle, _handle),
    "dnnl_convolution_forward_primitive_desc_create": (
        ctypes.POINTER(_handle), _handle, ctypes.c_int, ctypes.c_int, _handle, _handle, _handle,
        _handle, Dims, Dims, Dims, Dims, _handle),
    "dnnl_convolution_backward_data_primitive_desc_create": (
        ctypes.POINTER(_handle), _handle, ctypes.c_int, _handle, _handle, _handle, Dims, Dims,
        Dims, Dims, _handle, _handle),
    "dnnl_convolution_backward_weights_primitive_desc_create": (
        ctypes.POINTER(_handle), _handle, ctypes.c_int, _handle, _handle, _handle, _handle, Dims,
        Dims, Dims, Dims, _handle, _handle),
    "dnnl_matmul_primitive_desc_create": (ctypes.POINTER(_handle),) + (_handle,) * 6,
    "dnnl_batch_normalization_forward_primitive_desc_create": (
        ctypes.POINTER(_handle), _handle, ctypes.c_int, _handle, _handle, ctypes.c_float,
        ctypes.c_uint, _handle),
    "dnnl_batch_normalization_backward_primitive_desc_create": (
        ctypes.POINTER(_handle), _handle, ctypes.c_int, _handle, _handle, _handle,
        ctypes.c_float, ctypes.c_uint, _handle, _handle),
    "dnnl_lstm_forward_primitive_desc_create": (
        (ctypes.POINTER(_handle), _handle, ctypes.c_int, ctypes.c_int) + (_handle,) * 11 +
        (ctypes.c_uint, _handle)),
    "dnnl_lstm_backward_primitive_desc_create": (
        (ctypes.POINTER(_handle), _handle, ctypes.c_int, ctypes.c_int) + (_handle,) * 22 +
        (ctypes.c_uint, _handle, _handle)),
}


def _find():
    """The path of libdnnl.so.3: `EMBER_ONEDNN_LIBRARY`, else the lib/ of the environment (or
    of a `pip install --user`), else the system's search path; None when absent or when
    `EMBER_ONEDNN=0` turns it off."""
    if os.environ.get("EMBER_ONEDNN", "1") == "0":
        return None
    if os.environ.get("EMBER_ONEDNN_LIBRARY"):
        return os.environ["EMBER_ONEDNN_LIBRARY"]
    for prefix in dict.fromkeys((sys.prefix, sys.base_prefix, site.getuserbase())):
        path = os.path.join(prefix, "lib", "libdnnl.so.3")
        if os.path.exists(path):
            return path
    return ctypes.util.find_library("dnnl")


def _load():
    path = _find()
    if path is None:
        return None
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return None
    for name, argtypes in _SIGNATURES.items():
        fn = getattr(lib, name, None)
        if fn is None:  # not a 3.x library
            return None
        fn.argtypes, fn.restype = argtypes, ctypes.c_int
    lib.dnnl_primitive_desc_query_md.argtypes = (_handle, ctypes.c_int, ctypes.c_int)
    lib.dnnl_primitive_desc_query_md.restype = _handle
    lib.dnnl_memory_desc_equal.argtypes = (_handle, _handle)
    lib.dnnl_memory_desc_equal.restype = ctypes.c_int
    lib.dnnl_version.argtypes, lib.dnnl_version.restype = (), ctypes.POINTER(Version)
    lib.dnnl_primitive_desc_query.argtypes = (_handle, ctypes.c_int, ctypes.c_int, _handle)
    lib.dnnl_primitive_desc_query.restype = ctypes.c_int
    lib.dnnl_memory_desc_get_size.argtypes = (_handle,)
    lib.dnnl_memory_desc_get_size.restype = ctypes.c_size_t
    return lib


class OneDNNError(RuntimeError):
    pass


lib = _load()
# Whether ops take their oneDNN paths: ember.backends.mkldnn.enabled sets it (tests too, to
# compare those paths with the NumPy ones in one process); forked children turn it off.
enabled = lib is not None


def _off_in_forked_child():
    # GNU OpenMP's thread pool does not survive fork(): a child's first parallel region waits
    # forever on the parent's threads. Forked processes (DataLoader workers) use NumPy instead.
    global enabled
    enabled = False


if lib is not None:
    os.register_at_fork(after_in_child=_off_in_forked_child)
_engine = _handle()
_stream = _handle()
# One stream serves every thread; executions on it are serialised (oneDNN parallelises inside).
lock = threading.Lock()


def version():
    """The loaded library's version as "major.minor.patch", or None."""
    if lib is None:
        return None
    v = lib.dnnl_version().contents
    return f"{v.major}.{v.minor}.{v.patch}"


def implementation(pd):
    """The name of the implementation oneDNN chose for a primitive descriptor ("jit:avx512_core",
    "brg:avx512_core", ..., "ref:any" for its slow reference code)."""
    name = ctypes.c_char_p()
    check(lib.dnnl_primitive_desc_query(pd, QUERY_IMPL_INFO_STR, 0, ctypes.byref(name)),
          "implementation query")
    return name.value.decode()


def set_num_threads(num):
    """Size the OpenMP team oneDNN's kernels use when called from this thread (the runtime's
    omp_set_num_threads, found through libdnnl's own dependencies)."""
    setter = getattr(lib, "omp_set_num_threads", None) if lib is not None else None
    if setter is not None:
        setter(ctypes.c_int(num))


def takes(*arrays):
    """Whether oneDNN is on and takes these operands: non-empty NumPy float32 arrays."""
    return enabled and all(type(a) is np.ndarray and a.dtype == np.float32 and a.size
                           for a in arrays)


def check(status, what):
    if status != 0:
        raise OneDNNError(f"oneDNN: {what} failed with status {status}")


if lib is not None:
    check(lib.dnnl_engine_create(ctypes.byref(_engine), CPU, 0), "engine creation")
    check(lib.dnnl_stream_create(ctypes.byref(_stream), _engine, 1), "stream creation")
engine = _engine


def dims(values):
    out = Dims()
    for i, v in enumerate(values):
        out[i] = v
    return out


class Desc:
    """An owned memory descriptor: a plain strided one for an array's shape, or `any`."""
    __slots__ = ("handle",)

    def __init__(self, shape, strides=None):
        self.handle = _handle()
        if strides is None:
            check(lib.dnnl_memory_desc_create_with_tag(ctypes.byref(self.handle), len(shape),
                                                       dims(shape), F32, TAG_ANY),
                  "memory descriptor")
        else:
            check(lib.dnnl_memory_desc_create_with_strides(
                ctypes.byref(self.handle), len(shape), dims(shape), F32, dims(strides)),
                "memory descriptor")

    @classmethod
    def plain(cls, shape):
        """Row-major (C-contiguous) strides for `shape`."""
        strides, step = [], 1
        for n in reversed(shape):
            strides.append(step)
            step *= n
        return cls(shape, strides[::-1])

    def __del__(self, _destroy=lib.dnnl_memory_desc_destroy if lib else None):
        if self.handle:
            _destroy(self.handle)


class Primitive:
    """A created primitive with its descriptor kept alive (queried descriptors belong to it)."""
    __slots__ = ("pd", "handle")

    def __init__(self, pd):
        self.pd = pd
        self.handle = _handle()
        check(lib.dnnl_primitive_create(ctypes.byref(self.handle), pd), "primitive creation")

    def md(self, arg):
        """The primitive's own descriptor for execution argument `arg`."""
        return lib.dnnl_primitive_desc_query_md(self.pd, QUERY_EXEC_ARG_MD, arg)

    def __del__(self, _lib=lib):
        if self.handle:
            _lib.dnnl_primitive_destroy(self.handle)
        if self.pd:
            _lib.dnnl_primitive_desc_destroy(self.pd)


def reorder(src_md, dst_md):
    """A reorder primitive from one memory layout to another."""
    pd = _handle()
    check(lib.dnnl_reorder_primitive_desc_create(ctypes.byref(pd), src_md, _engine, dst_md,
                                                 _engine, None), "reorder descriptor")
    return Primitive(pd)


def execute(primitive, args):
    """Run `primitive` on `args`, a sequence of (argument id, memory descriptor, array); the
    arrays' data are used in place and must stay alive during the call."""
    n = len(args)
    exec_args = (ExecArg * n)()
    memories = []
    try:
        for i, (arg, md, array) in enumerate(args):
            mem = _handle()
            check(lib.dnnl_memory_create(ctypes.byref(mem), md, _engine,
                                         ctypes.c_void_p(array.ctypes.data)), "memory object")
            memories.append(mem)
            exec_args[i].arg, exec_args[i].memory = arg, mem
        with lock:
            check(lib.dnnl_primitive_execute(primitive.handle, _stream, n, exec_args),
                  "execution")
            check(lib.dnnl_stream_wait(_stream), "stream wait")
    finally:
        for mem in memories:
            lib.dnnl_memory_destroy(mem)
