"""ember.save / ember.load: round trips, sharing, strides, weights_only, atomicity, torch parity."""
import collections
import io
import os
import pickle
import zipfile

import ml_dtypes
import numpy as np
import pytest

import ember
from ember_testing import torch_or_skip

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
          "float64", "complex64", "complex128"]


def _array(dtype, shape=(3, 4), seed=0):
    rng = np.random.default_rng(seed)
    values = rng.uniform(-50, 50, size=shape)
    if dtype == "bool":
        return values > 0
    if dtype == "bfloat16":
        return values.astype(ml_dtypes.bfloat16)
    if dtype.startswith("complex"):
        return (values + 1j * values[::-1]).astype(dtype)
    if dtype == "uint8":
        return np.abs(values).astype(dtype)
    return values.astype(dtype)


def _round_trip(obj, **load_kwargs):
    buf = io.BytesIO()
    ember.save(obj, buf)
    buf.seek(0)
    return ember.load(buf, **load_kwargs)


class Custom:
    def __init__(self, value):
        self.value = value


@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip_every_dtype(dtype, tmp_path):
    arr = _array(dtype)
    path = tmp_path / "t.pt"
    ember.save({"x": ember.from_numpy(arr)}, path)
    out = ember.load(path)["x"]
    assert out.dtype == getattr(ember, dtype)
    np.testing.assert_array_equal(out.numpy(), arr)


def test_nested_containers_and_primitives():
    x = ember.ones(2, 3)
    obj = collections.OrderedDict(
        a=[x, (1, 2.5, "s", None, True)], b={"n": 3, "c": 1 + 2j, "bytes": b"\x00\xff"},
        dtype=ember.bfloat16, device=ember.device("cpu"), size=ember.Size([2, 3]))
    out = _round_trip(obj)
    assert isinstance(out, collections.OrderedDict) and list(out) == list(obj)
    np.testing.assert_array_equal(out["a"][0].numpy(), x.numpy())
    assert out["a"][1] == (1, 2.5, "s", None, True)
    assert out["b"] == {"n": 3, "c": 1 + 2j, "bytes": b"\x00\xff"}
    assert out["dtype"] is ember.bfloat16 and out["device"] == ember.device("cpu")
    assert isinstance(out["size"], ember.Size) and out["size"] == (2, 3)


def test_shared_storage_stays_shared():
    base = np.arange(12, dtype=np.float32)
    whole, part = ember.from_numpy(base), ember.from_numpy(base[4:10].reshape(2, 3))
    out = _round_trip({"whole": whole, "part": part})
    assert out["part"].tolist() == [[4, 5, 6], [7, 8, 9]]
    out["whole"].numpy()[5] = 100.0
    assert out["part"].numpy()[0, 1] == 100.0


def test_strides_preserved():
    arr = np.arange(24, dtype=np.float64).reshape(4, 6)
    t = ember.from_numpy(arr.T[1:, ::2])
    out = _round_trip(t)
    assert out.stride() == t.stride() and out.shape == t.shape
    np.testing.assert_array_equal(out.numpy(), t.numpy())


def test_negative_strides_are_saved_as_a_copy():
    arr = np.arange(6, dtype=np.int64)[::-1]
    out = _round_trip(ember.from_numpy(arr))
    assert out.tolist() == [5, 4, 3, 2, 1, 0]


def test_zero_size_and_zero_dim():
    out = _round_trip([ember.zeros(0, 3), ember.tensor(2.5)])
    assert out[0].shape == (0, 3) and out[1].shape == () and out[1].item() == 2.5


def test_same_storage_as_two_dtypes_is_refused():
    arr = np.zeros(4, dtype=np.float32)
    with pytest.raises(RuntimeError, match="different types"):
        ember.save([ember.from_numpy(arr), ember.from_numpy(arr.view(np.int32))], io.BytesIO())


def test_views_and_user_attributes():
    base = ember.arange(12.0)
    view = base.reshape(3, 4)[1]  # ember keeps internal view bookkeeping on such tensors
    view.note = "kept"
    out = _round_trip({"base": base, "view": view})
    assert out["view"].tolist() == [4, 5, 6, 7] and out["view"].note == "kept"


def test_requires_grad_and_parameter():
    t = ember.ones(3, requires_grad=True)
    p = ember.nn.Parameter(ember.zeros(2)) if hasattr(ember.nn, "Parameter") else None
    out = _round_trip({"t": t, "p": p})
    assert out["t"].requires_grad and out["t"].is_leaf
    if p is not None:
        assert type(out["p"]) is type(p) and out["p"].requires_grad


def test_file_layout_matches_pytorch(tmp_path):
    path = tmp_path / "model.pt"
    ember.save({"w": ember.ones(3)}, path)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert names[0] == "model/data.pkl" and "model/version" in names
        assert zf.read("model/byteorder") in (b"little", b"big")
        info = zf.getinfo("model/data/0")
        assert info.compress_type == zipfile.ZIP_STORED
        with open(path, "rb") as f:
            f.seek(info.header_offset + 26)
            name_len, extra_len = np.frombuffer(f.read(4), "<u2")
        assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0


def test_mmap_load(tmp_path):
    path = tmp_path / "m.pt"
    arr = np.arange(10, dtype=np.float32)
    ember.save({"x": ember.from_numpy(arr)}, path)
    out = ember.load(path, mmap=True)["x"]
    np.testing.assert_array_equal(out.numpy(), arr)
    out.numpy()[0] = 7  # copy-on-write: memory changes, the file does not
    np.testing.assert_array_equal(ember.load(path)["x"].numpy(), arr)
    with pytest.raises(ValueError, match="mmap"):
        ember.load(io.BytesIO(path.read_bytes()), mmap=True)


@pytest.mark.parametrize("map_location", [
    "cpu", ember.device("cpu"), {"cpu": "cpu"}, lambda storage, location: storage,
    lambda storage, location: None])
def test_map_location_cpu(map_location):
    out = _round_trip({"x": ember.arange(4)}, map_location=map_location)
    assert out["x"].device == ember.device("cpu") and out["x"].tolist() == [0, 1, 2, 3]


def test_map_location_to_missing_cuda_says_what_to_do():
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="map_location"):
        _round_trip(ember.ones(2), map_location="cuda")


def test_weights_only_refuses_other_globals():
    buf = io.BytesIO()
    ember.save({"x": Custom(3)}, buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="Custom.*weights_only=False"):
        ember.load(buf)
    buf.seek(0)
    assert ember.load(buf, weights_only=False)["x"].value == 3


def test_weights_only_refuses_code_execution():
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    buf = io.BytesIO()
    ember.save(Evil(), buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="system"):
        ember.load(buf)


def test_unpicklable_object_leaves_existing_file_untouched(tmp_path):
    path = tmp_path / "ckpt.pt"
    ember.save({"x": ember.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises((pickle.PicklingError, AttributeError)):
        ember.save({"x": ember.ones(2), "f": lambda: 0}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def test_failure_while_writing_leaves_nothing(tmp_path, monkeypatch):
    from ember.serialization import _save

    def boom(*args):
        raise OSError("disk full")

    monkeypatch.setattr(_save, "_write_aligned", boom)
    with pytest.raises(OSError, match="disk full"):
        ember.save({"x": ember.ones(2)}, tmp_path / "new.pt")
    assert os.listdir(tmp_path) == []


def test_not_a_checkpoint(tmp_path):
    path = tmp_path / "junk.pt"
    path.write_bytes(b"hello world, not a checkpoint")
    with pytest.raises(RuntimeError, match="not a PyTorch checkpoint"):
        ember.load(path)


def test_truncated_checkpoint(tmp_path):
    path = tmp_path / "t.pt"
    ember.save(ember.ones(1000), path)
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(RuntimeError, match="damaged zip"):
        ember.load(path)


# ----------------------------------------------------------------------------- PyTorch parity
def _torch_dtype(torch, name):
    return getattr(torch, name)


@pytest.mark.parity
@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_reads_ember(dtype, tmp_path):
    torch = torch_or_skip()
    arr = _array(dtype, (4, 6))
    whole = ember.from_numpy(arr)
    view = ember.from_numpy(arr.T[1:, 2:])
    path = tmp_path / "e.pt"
    ember.save({"whole": whole, "view": view}, path)
    out = torch.load(path)  # weights_only=True in torch: only allowed globals were written
    assert out["whole"].dtype == _torch_dtype(torch, dtype)
    ref = out["whole"].float() if dtype == "bfloat16" else out["whole"]
    expect = arr.astype(np.float32) if dtype == "bfloat16" else arr
    np.testing.assert_array_equal(ref.numpy(), expect)
    assert tuple(out["view"].stride()) == view.stride()
    assert out["view"].untyped_storage().data_ptr() == out["whole"].untyped_storage().data_ptr()
    assert torch.equal(out["view"], out["whole"].T[1:, 2:])


@pytest.mark.parity
@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_ember_reads_torch(dtype, legacy, tmp_path):
    torch = torch_or_skip()
    arr = _array(dtype, (4, 6))
    whole = torch.from_numpy(arr.astype(np.float32)).to(torch.bfloat16) if dtype == "bfloat16" \
        else torch.from_numpy(arr)
    obj = {"whole": whole, "view": whole.T[1:, 2:], "row": whole[2]}
    path = tmp_path / "t.pt"
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    out = ember.load(path)
    assert out["whole"].dtype == getattr(ember, dtype)
    for key, ref in obj.items():
        ref_np = ref.float().numpy() if dtype == "bfloat16" else ref.numpy()
        got = out[key].numpy().astype(np.float32) if dtype == "bfloat16" else out[key].numpy()
        np.testing.assert_array_equal(got, ref_np)
        assert out[key].stride() == tuple(ref.stride())
    out["whole"].numpy()[2, 0] = out["whole"].numpy()[0, 0]
    assert out["row"].numpy()[0] == out["whole"].numpy()[0, 0]  # still one storage


@pytest.mark.parity
def test_parameters_and_metadata_with_torch(tmp_path):
    torch = torch_or_skip()
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    path = tmp_path / "m.pt"
    torch.save({"sd": model.state_dict(), "p": model[0].weight, "dtype": torch.float16,
                "dev": torch.device("cpu"), "size": torch.Size([1, 2])}, path)
    out = ember.load(path)
    assert list(out["sd"]) == list(model.state_dict())
    assert out["sd"]["1.num_batches_tracked"].dtype is ember.int64
    assert out["p"].requires_grad and out["dtype"] is ember.float16
    np.testing.assert_array_equal(out["p"].detach().numpy(), model[0].weight.detach().numpy())
    ember.save(out, path)
    back = torch.load(path)
    assert isinstance(back["p"], torch.nn.Parameter) or not hasattr(ember.nn, "Parameter")
    assert back["dtype"] is torch.float16 and back["size"] == torch.Size([1, 2])
    for key, value in model.state_dict().items():
        assert torch.equal(back["sd"][key], value)


@pytest.mark.parity
def test_torch_mmap_reads_ember(tmp_path):
    torch = torch_or_skip()
    path = tmp_path / "e.pt"
    ember.save({"a": ember.arange(10), "b": ember.ones(3, 3)}, path)
    out = torch.load(path, mmap=True)
    assert out["a"].tolist() == list(range(10)) and out["b"].sum().item() == 9
