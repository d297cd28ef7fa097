"""The CUDA device end to end; skipped cleanly where no GPU (CI has none)."""
import numpy as np
import pytest

import ember

pytestmark = pytest.mark.skipif(not ember.cuda.is_available(), reason="needs a CUDA device")


def test_creation_and_transfer():
    x = ember.arange(6, dtype=ember.float32, device="cuda").reshape(2, 3)
    assert x.device == ember.device("cuda:0") and x.is_cuda
    assert x.cpu().tolist() == [[0, 1, 2], [3, 4, 5]]
    y = ember.tensor([1.0, 2.0]).cuda()
    assert y.device.type == "cuda" and y.to("cpu").device.type == "cpu"
    assert ember.zeros(3, device="cuda").sum().item() == 0
    assert "device='cuda:0'" in repr(y)


def test_autograd_on_gpu():
    x = ember.tensor([[1.0, 2.0], [3.0, 4.0]], device="cuda", requires_grad=True)
    y = (x * x + 3 * x - x / 2).sum()
    y.backward()
    assert x.grad.is_cuda
    np.testing.assert_allclose(x.grad.cpu().numpy(), 2 * np.array([[1, 2], [3, 4]]) + 2.5)


def test_gradient_crosses_devices():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    (x.cuda() * 2).sum().backward()
    assert x.grad.is_cpu and x.grad.tolist() == [2.0, 2.0]


def test_mixed_devices_raise():
    with pytest.raises(RuntimeError, match="same device"):
        ember.ones(2, device="cuda") + ember.ones(2)
    # A 0-dim CPU tensor may join a CUDA tensor, as in PyTorch.
    assert (ember.ones(2, device="cuda") + ember.tensor(1.0)).is_cuda


def test_dlpack_to_cupy():
    import cupy
    x = ember.ones(3, device="cuda")
    c = cupy.from_dlpack(x)
    assert float(c.sum()) == 3.0
    assert ember.from_dlpack(cupy.arange(3.0)).is_cuda


def test_numpy_of_cuda_tensor_is_refused():
    with pytest.raises(TypeError, match="cpu"):
        ember.ones(2, device="cuda").numpy()
