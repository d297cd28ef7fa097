"""ember.safetensors: format details, round trips, lazy reading, errors, reference parity."""
import json
import struct

import ml_dtypes
import numpy as np
import pytest

import ember
from ember import safetensors as st

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
          "float64", "complex64"]


def _array(dtype, shape=(3, 5), seed=0):
    values = np.random.default_rng(seed).uniform(-9, 9, size=shape)
    if dtype == "bool":
        return values > 0
    if dtype == "bfloat16":
        return values.astype(ml_dtypes.bfloat16)
    if dtype == "complex64":
        return (values + 2j * values).astype(dtype)
    return np.abs(values).astype(dtype) if dtype == "uint8" else values.astype(dtype)


def _header(data):
    (n,) = struct.unpack("<Q", data[:8])
    return n, data[8:8 + n]


def test_header_layout():
    data = st.save({"b": ember.ones(2, 3), "a": ember.arange(3), "c": ember.zeros(1)},
                   metadata={"z": "1", "format": "pt"})
    n, raw = _header(data)
    assert n % 8 == 0 and raw.startswith(b'{"__metadata__":{"format":"pt","z":"1"}')
    header = json.loads(raw)
    # widest dtype first, then by name, packed without gaps
    assert list(header)[1:] == ["a", "b", "c"]
    assert header["a"] == {"dtype": "I64", "shape": [3], "data_offsets": [0, 24]}
    assert header["b"]["data_offsets"] == [24, 48] and header["c"]["data_offsets"] == [48, 52]
    assert len(data) == 8 + n + 52


@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip_every_dtype(dtype, tmp_path):
    arr = _array(dtype)
    tensors = {"x": ember.from_numpy(arr), "scalar": ember.from_numpy(arr[0, :1].reshape(()))
               .clone(), "empty": ember.from_numpy(arr[:0].copy())}
    path = tmp_path / "t.safetensors"
    st.save_file(tensors, path, metadata={"k": "v"})
    out = st.load_file(path)
    for name, t in tensors.items():
        assert out[name].dtype == t.dtype and out[name].shape == t.shape
        np.testing.assert_array_equal(out[name].numpy(), t.numpy())
    assert st.load(st.save(tensors))["x"].dtype == getattr(ember, dtype)


def test_safe_open_lazy_access(tmp_path):
    arr = np.arange(60, dtype=np.float32).reshape(6, 10)
    path = tmp_path / "t.safetensors"
    st.save_file({"w": ember.from_numpy(arr), "b": ember.ones(2)}, path, metadata={"a": "b"})
    with st.safe_open(path, framework="ember") as f:
        assert f.keys() == ["b", "w"] and f.metadata() == {"a": "b"}
        part = f.get_slice("w")
        assert part.get_shape() == [6, 10] and part.get_dtype() == "F32"
        np.testing.assert_array_equal(part[1:3, ::2].numpy(), arr[1:3, ::2])
        assert isinstance(f.get_tensor("b"), ember.Tensor)
    with st.safe_open(path, framework="np") as f:
        got = f.get_tensor("w")
        assert isinstance(got, np.ndarray) and got.flags.writeable
        np.testing.assert_array_equal(got, arr)
        with pytest.raises(st.SafetensorError, match="does not contain tensor nope"):
            f.get_tensor("nope")


def test_ember_load_reads_safetensors(tmp_path):
    path = tmp_path / "t.safetensors"
    st.save_file({"w": ember.ones(2, 2)}, path)
    assert ember.load(path)["w"].tolist() == [[1, 1], [1, 1]]


def test_shared_and_noncontiguous_are_refused():
    base = ember.from_numpy(np.arange(12, dtype=np.float32))
    with pytest.raises(RuntimeError, match="share memory"):
        st.save({"a": base, "b": ember.from_numpy(base.numpy()[:4])})
    with pytest.raises(ValueError, match="non contiguous tensor: `t`"):
        st.save({"t": ember.from_numpy(np.ones((3, 4)).T)})
    with pytest.raises(ValueError, match="Key `x` is invalid"):
        st.save({"x": [1, 2]})
    with pytest.raises(ValueError, match="complex128"):
        st.save({"c": ember.zeros(2, dtype=ember.complex128)})
    with pytest.raises(TypeError, match="metadata"):
        st.save({"a": ember.ones(1)}, metadata={"a": 1})


def _file(header, nbytes):
    return struct.pack("<Q", len(header)) + header + b"\0" * nbytes


@pytest.mark.parametrize("data, message", [
    (b"\x01", "HeaderTooSmall"),
    (struct.pack("<Q", 10 ** 9), "HeaderTooLarge"),
    (struct.pack("<Q", 64) + b"{}", "InvalidHeaderLength"),
    (struct.pack("<Q", 8) + b"[]      ", "InvalidHeaderStart"),
    (struct.pack("<Q", 8) + b"{bad    ", "InvalidHeaderDeserialization"),
    (_file(b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', 4), "Incomplete"),
    (_file(b'{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', 8), "TensorInvalidInfo"),
    (_file(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8), "InvalidOffset"),
    (_file(b'{"a":{"dtype":"X9","shape":[1],"data_offsets":[0,4]}}', 4), "invalid entry"),
])
def test_malformed_files(data, message):
    with pytest.raises(st.SafetensorError, match=message):
        st.load(data)


def test_save_file_is_atomic(tmp_path):
    path = tmp_path / "t.safetensors"
    st.save_file({"a": ember.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(ValueError):
        st.save_file({"a": ember.ones(2), "bad": "x"}, path)
    assert path.read_bytes() == before and len(list(tmp_path.iterdir())) == 1


@pytest.mark.parity
def test_bytes_match_the_reference_library(tmp_path):
    torch = pytest.importorskip("torch")
    ref = pytest.importorskip("safetensors.torch")
    mine = {name: ember.from_numpy(_array(name, (2, 3), seed=i)) for i, name in enumerate(DTYPES)}
    mine["zz_f32"] = ember.ones(4)
    theirs = {k: torch.from_numpy(v.numpy().astype(np.float32)).to(torch.bfloat16)
              if k == "bfloat16" else torch.from_numpy(v.numpy().copy()) for k, v in mine.items()}
    meta = {"format": "pt"}  # the reference orders several metadata keys at random
    assert st.save(mine, metadata=meta) == ref.save(theirs, metadata=meta)
    path = tmp_path / "ref.safetensors"
    ref.save_file(theirs, path, metadata=meta)
    out = st.load_file(path)
    for k, v in theirs.items():
        expect = v.float().numpy() if k == "bfloat16" else v.numpy()
        got = out[k].numpy().astype(np.float32) if k == "bfloat16" else out[k].numpy()
        np.testing.assert_array_equal(got, expect)
    st.save_file(mine, path)
    assert set(ref.load_file(path)) == set(mine)


@pytest.mark.parity
def test_reference_errors_match():
    torch = pytest.importorskip("torch")
    ref = pytest.importorskip("safetensors.torch")
    with pytest.raises(ValueError, match="non contiguous"):
        ref.save({"t": torch.ones(3, 4).T})
    with pytest.raises(ValueError, match="non contiguous"):
        st.save({"t": ember.from_numpy(np.ones((3, 4)).T)})
