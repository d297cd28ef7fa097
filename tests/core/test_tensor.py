import copy
import pickle

import numpy as np
import pytest

import ember
from ember_testing import torch_or_skip


def test_metadata():
    t = ember.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.size() == (2, 3, 4) and t.size(-1) == 4
    assert repr(t.shape) == "ember.Size([2, 3, 4])"
    assert t.ndim == 3 and t.dim() == 3 and t.numel() == 24
    assert t.dtype is ember.float32 and t.device == ember.device("cpu")
    assert t.element_size() == 4 and t.stride() == (12, 4, 1) and t.is_contiguous()
    assert t.is_floating_point() and not t.is_complex() and not t.is_cuda and t.is_cpu
    with pytest.raises(IndexError, match="size: Dimension out of range"):
        t.size(3)


def test_item_tolist_numpy():
    t = ember.tensor([[1.5, 2.0]])
    assert t.tolist() == [[1.5, 2.0]]
    assert ember.tensor(3).item() == 3 and isinstance(ember.tensor(3).item(), int)
    assert ember.tensor([2.5]).item() == 2.5
    with pytest.raises(RuntimeError, match="2 elements cannot be converted to Scalar"):
        t.item()
    arr = t.numpy()
    arr[0, 0] = 7
    assert t[0, 0].item() == 7 if hasattr(ember.Tensor, "__getitem__") else t.tolist()[0][0] == 7
    with pytest.raises(RuntimeError, match="detach"):
        ember.tensor([1.0], requires_grad=True).numpy()
    assert ember.tensor([1.0], dtype=ember.bfloat16).tolist() == [1.0]


def test_python_number_protocols():
    assert float(ember.tensor([2.5])) == 2.5
    assert int(ember.tensor(7)) == 7
    assert bool(ember.tensor([1]))
    assert [10, 20, 30][ember.tensor(1)] == 20
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ember.tensor([1, 2]))
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(ember.tensor(1.0))
    assert len(ember.zeros(4, 2)) == 4


def test_conversions_and_to():
    t = ember.tensor([1.7, -2.2])
    assert t.long().dtype is ember.int64 and t.long().tolist() == [1, -2]
    assert t.double().dtype is ember.float64 and t.half().dtype is ember.float16
    assert t.bool().tolist() == [True, True] and t.int().dtype is ember.int32
    assert t.to(ember.float64).dtype is ember.float64
    assert t.to("cpu") is t and t.to(t) is t and t.cpu() is t
    assert t.to(dtype=ember.int8).dtype is ember.int8
    assert t.to("cpu", ember.float16).dtype is ember.float16
    assert t.type() == "ember.FloatTensor" and t.type(ember.int64).dtype is ember.int64
    assert t.type_as(ember.tensor([1])).dtype is ember.int64
    c = t.to(ember.float32, copy=True)
    assert c is not t and np.shares_memory(c.numpy(), t.numpy()) is False


def test_to_keeps_gradient_flowing():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(ember.float64) * 2
    y.sum().backward()
    assert x.grad.dtype is ember.float32
    np.testing.assert_allclose(x.grad.numpy(), [2, 2])


def test_clone_detach_contiguous():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.grad_fn.name() == "CloneBackward0"
    assert not np.shares_memory(c.detach().numpy(), x.detach().numpy())
    (c * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3, 3])
    d = x.detach()
    assert np.shares_memory(d.numpy(), x.detach().numpy())
    f = ember.from_numpy(np.asfortranarray(np.ones((3, 2))))
    assert not f.is_contiguous() and f.contiguous().is_contiguous()
    assert x.contiguous() is x


def test_creation_on_device(device):
    made = [ember.zeros(2, 3, device=device), ember.ones(2, device=device),
            ember.tensor([1.0, 2.0], device=device), ember.arange(3, device=device),
            ember.full((2,), 1.5, device=device), ember.eye(2, device=device),
            ember.empty(1, device=device), ember.linspace(0, 1, 3, device=device)]
    made.append(ember.zeros_like(made[0]))
    for t in made:
        assert t.device.type == device and t.is_cuda == (device == "cuda"), t
    assert ember.tensor([[1, 2]], device=device).tolist() == [[1, 2]]
    assert ember.tensor([2.5], device=device).item() == 2.5


def test_to_device_and_back_keeps_values_and_gradient(device):
    x = ember.tensor([1.0, -2.0], requires_grad=True)
    y = x.to(device)
    assert y.device.type == device and (y is x) == (device == "cpu")
    assert y.to(device) is y and y.cpu().tolist() == [1.0, -2.0]
    (y.to(ember.float64) * 3).sum().backward()
    assert x.grad.device.type == "cpu" and x.grad.dtype is ember.float32
    assert x.grad.tolist() == [3.0, 3.0]


def test_clone_and_contiguous_on_device(device):
    x = ember.tensor([[1.0, 2.0], [3.0, 4.0]], device=device, requires_grad=True)
    c = x.clone()
    assert c.device == x.device and c.grad_fn.name() == "CloneBackward0"
    (c * 3).sum().backward()
    assert x.grad.device == x.device and x.grad.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    t = x.detach().t()
    assert not t.is_contiguous() and t.stride() == (1, 2)
    d = t.contiguous()
    assert d.is_contiguous() and d.device == x.device and d.tolist() == [[1.0, 3.0], [2.0, 4.0]]


def test_requires_grad_rules():
    with pytest.raises(RuntimeError, match="floating point"):
        ember.tensor([1, 2]).requires_grad_()
    x = ember.tensor([1.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad_(False)
    assert x.is_leaf and not y.is_leaf


def test_data_property_is_untracked():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    d = x.data
    assert not d.requires_grad and np.shares_memory(d.numpy(), x.detach().numpy())
    x.data = ember.tensor([5.0, 6.0])
    assert x.tolist() == [5.0, 6.0] and x.requires_grad


def test_array_protocol_and_dlpack():
    t = ember.tensor([[1, 2], [3, 4]], dtype=ember.int32)
    arr = np.asarray(t)
    assert arr.dtype == np.int32 and arr.tolist() == [[1, 2], [3, 4]]
    back = ember.from_dlpack(np.arange(4.0))
    assert back.tolist() == [0.0, 1.0, 2.0, 3.0]
    shared = np.from_dlpack(t)
    assert np.shares_memory(shared, t.numpy())


@pytest.mark.parity
def test_dlpack_with_torch():
    torch = torch_or_skip()
    tt = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    e = ember.from_dlpack(tt)
    assert e.tolist() == tt.tolist()
    back = torch.from_dlpack(ember.tensor([1.0, 2.0]))
    assert back.tolist() == [1.0, 2.0]


def test_pickle_and_deepcopy():
    x = ember.tensor([[1.0, 2.0]], requires_grad=True)
    y = pickle.loads(pickle.dumps(x))
    assert y.tolist() == x.tolist() and y.requires_grad
    z = copy.deepcopy(x)
    assert z.tolist() == x.tolist() and z.requires_grad
    assert not np.shares_memory(z.detach().numpy(), x.detach().numpy())
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(x * 2)


def test_legacy_constructor_is_floating():
    assert ember.Tensor([1, 2]).dtype is ember.float32
    assert ember.Tensor(3).shape == (3,)
    assert isinstance(ember.tensor([1]), ember.Tensor) and ember.is_tensor(ember.tensor(1))


def test_cuda_request_without_gpu_is_clear():
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    assert ember.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match="CUDA device was asked for"):
        ember.tensor([1.0]).cuda()
    with pytest.raises(RuntimeError, match="CUDA device was asked for"):
        ember.zeros(2, device="cuda")


REPR_CASES = [
    "torch.tensor([1.0, 2.0, 3.0])",
    "torch.tensor([1.5, -2.25, 3.0])",
    "torch.tensor([[1, 2], [30, 4]])",
    "torch.tensor([True, False])",
    "torch.tensor(3.5)",
    "torch.tensor(7)",
    "torch.tensor([1e-8, 1.0])",
    "torch.tensor([1e10, 1.0])",
    "torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)",
    "torch.tensor([1, 2], dtype=torch.int32)",
    "torch.tensor([[[1.0, 2.0]], [[3.0, 4.0]]])",
    "torch.zeros(0)",
    "torch.tensor([float('nan'), float('inf'), 1.5])",
    "torch.tensor([1.0, 2.0], requires_grad=True)",
    "torch.arange(2000)",
    "torch.zeros(40, 40)",
]


@pytest.mark.parity
@pytest.mark.parametrize("expr", REPR_CASES)
def test_repr_matches_torch(expr):
    torch = torch_or_skip()
    t = eval(expr, {"torch": torch})
    e = ember.tensor(t.detach().numpy(), requires_grad=t.requires_grad)
    expected = repr(t).replace("torch.", "ember.")
    assert repr(e) == expected


@pytest.mark.parity
def test_repr_of_grad_fn_matches_torch():
    torch = torch_or_skip()
    t = torch.tensor([1.0, 2.0], requires_grad=True) * 2
    e = ember.tensor([1.0, 2.0], requires_grad=True) * 2
    assert repr(e) == repr(t)
