"""PyTorch's names for dtypes and legacy storage classes, as they appear inside checkpoints."""
from .. import _dtypes

# torch.<Name>Storage, the class pickled as the storage type of each dtype.
STORAGE_NAMES = {
    _dtypes.uint8: "ByteStorage", _dtypes.int8: "CharStorage", _dtypes.int16: "ShortStorage",
    _dtypes.int32: "IntStorage", _dtypes.int64: "LongStorage", _dtypes.float16: "HalfStorage",
    _dtypes.float32: "FloatStorage", _dtypes.float64: "DoubleStorage",
    _dtypes.bfloat16: "BFloat16Storage", _dtypes.bool_: "BoolStorage",
    _dtypes.complex64: "ComplexFloatStorage", _dtypes.complex128: "ComplexDoubleStorage",
}
DTYPE_OF_STORAGE = {name: dt for dt, name in STORAGE_NAMES.items()}
# `torch.float32` and friends pickle as the global `torch.<name>`; PyTorch's aliases map too.
DTYPE_OF_TORCH_NAME = {dt.name: dt for dt in _dtypes.ALL_DTYPES}
DTYPE_OF_TORCH_NAME.update(_dtypes.ALIASES)
