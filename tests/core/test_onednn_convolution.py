"""oneDNN convolutions (ember._onednn.convolution) against ember's own NumPy im2col path: the
same op with the library switched on and off must agree, forward and both gradients."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember._onednn import available, convolution, library, plan

pytestmark = pytest.mark.skipif(not available(), reason="oneDNN (ember[onednn]) not installed")


def _run(fn, x, w, b, kw, use_onednn, monkeypatch):
    monkeypatch.setattr(library, "enabled", use_onednn)
    xt = ember.tensor(x, requires_grad=True)
    wt = ember.tensor(w, requires_grad=True)
    bt = None if b is None else ember.tensor(b, requires_grad=True)
    out = fn(xt, wt, bt, **kw)
    g = np.random.default_rng(1).standard_normal(out.shape).astype(np.float32)
    out.backward(ember.tensor(g))
    grads = [xt.grad.numpy(), wt.grad.numpy()] + ([] if bt is None else [bt.grad.numpy()])
    return [out.detach().numpy()] + grads


CASES = [  # (fn, input shape, weight shape, kwargs)
    (F.conv2d, (4, 3, 12, 12), (8, 3, 3, 3), {}),
    (F.conv2d, (2, 16, 9, 11), (32, 16, 3, 3), {"stride": 2, "padding": 1}),
    (F.conv2d, (2, 8, 10, 10), (8, 2, 3, 3), {"groups": 4, "padding": "same"}),
    (F.conv2d, (2, 4, 15, 15), (6, 4, 3, 5), {"dilation": (2, 1), "padding": (2, 0)}),
    (F.conv2d, (3, 16, 8, 8), (24, 16, 1, 1), {"stride": 2}),
    (F.conv2d, (2, 6, 7, 7), (6, 1, 3, 3), {"groups": 6, "padding": 1}),  # depthwise
    (F.conv1d, (3, 5, 20), (7, 5, 4), {"stride": 3, "padding": 2}),
    (F.conv3d, (2, 3, 6, 7, 5), (4, 3, 3, 2, 3), {"padding": 1}),
    (F.conv_transpose2d, (2, 8, 5, 5), (8, 4, 3, 3), {"stride": 2, "padding": 1,
                                                      "output_padding": 1}),
    (F.conv_transpose1d, (2, 6, 9), (6, 3, 5), {"stride": 1, "padding": 2}),
    (F.conv_transpose1d, (2, 6, 9), (6, 3, 3), {"dilation": 2, "output_padding": 1}),
]


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("fn,x_shape,w_shape,kw", CASES)
def test_onednn_matches_numpy_path(fn, x_shape, w_shape, kw, bias, monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    out_channels = w_shape[1] * kw.get("groups", 1) if "transpose" in fn.__name__ else w_shape[0]
    b = rng.standard_normal(out_channels).astype(np.float32) if bias else None
    ours = _run(fn, x, w, b, kw, True, monkeypatch)
    reference = _run(fn, x, w, b, kw, False, monkeypatch)
    for got, want in zip(ours, reference):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


def test_each_problem_is_planned_once_and_run_by_onednn(monkeypatch):
    calls = []
    real = plan.Plan.run
    monkeypatch.setattr(plan.Plan, "run", lambda self, *a, **k: calls.append(1) or
                        real(self, *a, **k))
    x = ember.randn(2, 3, 10, 10, requires_grad=True)
    w = ember.randn(5, 3, 3, 3, requires_grad=True)
    before = len(convolution._PLANS)
    for _ in range(2):
        F.conv2d(x, w, padding=1).sum().backward()
    assert len(calls) == 6  # forward, backward-data, backward-weights, twice
    assert len(convolution._PLANS) == before + 3


def test_output_padding_past_the_stride_falls_back():
    # stride 1, dilation 2, output_padding 1: no right padding reproduces the output size.
    geom = ((3, 1, 2, 0, 11, 6),)
    assert convolution._spatial(geom) is None
    y = np.ones((1, 2, 6), np.float32)
    w = np.ones((2, 3, 3), np.float32)  # (in, out, k) of the transposed conv
    assert convolution.backward_data(y, w, geom, 1) is None


def test_only_nonempty_float32_numpy_arrays_are_taken():
    f32 = np.ones((1, 1, 3, 3), np.float32)
    assert library.takes(f32, f32)
    assert not library.takes(f32, f32.astype(np.float64))
    assert not library.takes(np.ones((0, 1, 3, 3), np.float32), f32)


def test_float64_convolution_keeps_the_numpy_path(monkeypatch):
    monkeypatch.setattr(convolution, "_plan", lambda *a: pytest.fail("float64 reached oneDNN"))
    x = ember.randn(1, 2, 5, 5, dtype=ember.float64)
    w = ember.randn(3, 2, 3, 3, dtype=ember.float64)
    assert F.conv2d(x, w).shape == (1, 3, 3, 3)
