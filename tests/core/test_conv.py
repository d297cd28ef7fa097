"""Convolution ops and layers: gradcheck (incl. double backward), torch parity, modules, errors."""
import numpy as np
import pytest
from ember_testing import check_gradcheck, check_parity, rand

import ember
import ember.nn.functional as F
from ember import nn

CONV2D = [
    dict(),
    dict(stride=2, padding=1),
    dict(padding=(2, 1), dilation=(2, 1)),
    dict(groups=2, padding=1),
    dict(padding="same", dilation=2),
    dict(padding="valid", stride=(1, 2)),
]


@pytest.mark.parametrize("kw", CONV2D)
def test_conv2d_gradcheck(kw):
    check_gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), rand(2, 4, 6, 5),
                    rand(4, 4 // kw.get("groups", 1), 3, 2), rand(4))


def test_conv_double_backward():
    check_gradcheck(lambda x, w: F.conv2d(x, w, stride=2, padding=1, groups=2),
                    rand(1, 4, 5, 5), rand(4, 2, 3, 3), gradgrad=True)
    check_gradcheck(lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1,
                                                    groups=2),
                    rand(1, 4, 3, 3), rand(4, 1, 3, 3), gradgrad=True)


def test_pointwise_and_1d_3d_gradcheck():
    check_gradcheck(lambda x, w: F.conv2d(x, w), rand(2, 4, 3, 3), rand(5, 4, 1, 1))
    check_gradcheck(lambda x, w: F.conv1d(x, w, padding=1, stride=2), rand(2, 3, 7), rand(4, 3, 3))
    check_gradcheck(lambda x, w: F.conv3d(x, w, padding=1), rand(1, 2, 3, 4, 3),
                    rand(2, 2, 2, 2, 2))


# Planes of >= 64 elements take the stride-1 grad-input / transposed-conv path that convolves
# with the flipped kernel (smaller planes use col2im).
FULL = [dict(padding=1), dict(padding=(2, 0), dilation=(2, 1), groups=2),
        dict(padding="same", dilation=3)]


@pytest.mark.parametrize("kw", FULL)
def test_conv2d_full_path_gradcheck(kw):
    check_gradcheck(lambda x, w: F.conv2d(x, w, **kw), rand(1, 2, 9, 8),
                    rand(2, 2 // kw.get("groups", 1), 3, 2), gradgrad=True)


@pytest.mark.parity
@pytest.mark.parametrize("kw", FULL)
def test_conv2d_full_path_parity(kw):
    check_parity(lambda m, x, w: m.nn.functional.conv2d(x, w, **kw), rand(2, 4, 11, 9),
                 rand(6, 4 // kw.get("groups", 1), 3, 3), rtol=1e-4, atol=1e-5)
    if not isinstance(kw["padding"], str):
        check_parity(lambda m, y, w: m.nn.functional.conv_transpose2d(y, w, **kw),
                     rand(2, 4, 9, 8), rand(4, 6 // kw.get("groups", 1), 3, 3), rtol=1e-4,
                     atol=1e-5)


def test_wide_weight_gradient_is_contiguous_and_exact():
    # A weight gradient beyond the transpose-cheap size is computed in the (O, N*L) @ (N*L, C*K)
    # orientation; both orientations must agree, and .grad comes out C-contiguous.
    from ember.nn.functional import conv
    x = ember.tensor(rand(2, 256, 4, 4))
    w = ember.tensor(rand(256, 256, 3, 3), requires_grad=True)
    F.conv2d(x, w, padding=1).square().sum().backward()
    assert w.grad.numpy().flags.c_contiguous
    big = w.grad.numpy().copy()
    w.grad = None
    limit = conv._TRANSPOSE_CHEAP_BYTES
    conv._TRANSPOSE_CHEAP_BYTES = 1 << 60
    try:
        F.conv2d(x, w, padding=1).square().sum().backward()
    finally:
        conv._TRANSPOSE_CHEAP_BYTES = limit
    np.testing.assert_allclose(big, w.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parity
@pytest.mark.parametrize("kw", CONV2D)
def test_conv2d_parity(kw):
    check_parity(lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, **kw), rand(2, 4, 7, 6),
                 rand(6, 4 // kw.get("groups", 1), 3, 3), rand(6), rtol=1e-4, atol=1e-5)


@pytest.mark.parity
@pytest.mark.parametrize("fn,x,w,kw", [
    ("conv1d", (2, 3, 9), (4, 3, 3), dict(stride=2, padding=2, dilation=2)),
    ("conv1d", (3, 9), (4, 3, 3), dict(padding="same")),  # unbatched
    ("conv3d", (1, 2, 4, 5, 4), (4, 1, 2, 3, 2), dict(groups=2, padding=1)),
    ("conv2d", (2, 6, 5, 5), (6, 1, 3, 3), dict(groups=6, padding=1)),  # depthwise
    ("conv_transpose1d", (2, 4, 5), (4, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ("conv_transpose2d", (2, 4, 4, 3), (4, 3, 3, 2), dict(stride=(2, 3), padding=(1, 0),
                                                          dilation=(1, 2), groups=2)),
    ("conv_transpose2d", (2, 4, 3, 3), (4, 2, 1, 1), dict()),
    ("conv_transpose3d", (1, 2, 3, 3, 2), (2, 2, 2, 2, 2), dict(stride=2)),
])
def test_conv_family_parity(fn, x, w, kw):
    bias = w[1] * kw.get("groups", 1) if fn.startswith("conv_transpose") else w[0]
    check_parity(lambda m, a, b, c: getattr(m.nn.functional, fn)(a, b, c, **kw), rand(*x),
                 rand(*w), rand(bias), rtol=1e-4, atol=1e-5)


@pytest.mark.parity
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv_module_padding_modes(mode):
    torch = pytest.importorskip("torch")
    t = torch.nn.Conv2d(3, 4, 3, padding=(1, 2), padding_mode=mode)
    e = nn.Conv2d(3, 4, 3, padding=(1, 2), padding_mode=mode)
    e.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                       for k, v in t.state_dict().items()})
    x = rand(2, 3, 5, 6, dtype="float32")
    np.testing.assert_allclose(e(ember.from_numpy(x)).detach().numpy(),
                               t(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-5)
    assert repr(e) == repr(t)


@pytest.mark.parity
@pytest.mark.parametrize("cls,args,kw", [
    ("Conv1d", (3, 8, 5), dict(stride=2, bias=False)),
    ("Conv2d", (3, 16, 3), dict(padding=1)),
    ("Conv2d", (4, 8, (3, 5)), dict(padding="same", dilation=2, groups=4)),
    ("Conv3d", (2, 4, 3), dict(padding_mode="circular", padding=1)),
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2)),
    ("ConvTranspose1d", (4, 6, 3), dict(dilation=2, bias=False)),
])
def test_conv_module_repr_and_state(cls, args, kw):
    torch = pytest.importorskip("torch")
    e, t = getattr(nn, cls)(*args, **kw), getattr(torch.nn, cls)(*args, **kw)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        assert tuple(e.state_dict()[k].shape) == tuple(v.shape)


def test_conv_default_init_bounds():
    m = nn.Conv2d(16, 8, 3)
    bound = 1 / np.sqrt(16 * 9)
    assert float(m.weight.abs().max()) <= bound and float(m.bias.abs().max()) <= bound
    assert float(m.weight.std()) > bound / 3


@pytest.mark.parity
def test_conv_transpose_output_size():
    torch = pytest.importorskip("torch")
    t = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    e = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    e.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                       for k, v in t.state_dict().items()})
    x = rand(1, 2, 4, 4, dtype="float32")
    out = e(ember.from_numpy(x), output_size=[8, 7])
    assert out.shape == (1, 3, 8, 7)
    np.testing.assert_allclose(out.detach().numpy(), t(torch.from_numpy(x), output_size=[8, 7])
                               .detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="valid sizes range"):
        e(ember.from_numpy(x), output_size=[10, 7])


def test_conv_errors():
    x = ember.randn(3, 32, 32)
    w = ember.randn(16, 3, 3, 3)
    with pytest.raises(RuntimeError, match=r"conv2d: expected input with 3 \(unbatched\) or 4 "
                                           r"dims \(N, C, H, W\), got shape \[32, 32\]"):
        F.conv2d(x[0], w)
    with pytest.raises(RuntimeError, match=r"conv2d: given groups=1, weight of size \[16, 4, 3, "
                                           r"3\], expected input\[1, 3, 32, 32\] to have 4"):
        F.conv2d(x, ember.randn(16, 4, 3, 3))
    with pytest.raises(RuntimeError, match="conv2d: .*divisible by 3 at dimension 0"):
        F.conv2d(ember.randn(1, 3, 4, 4), ember.randn(16, 1, 3, 3), groups=3)
    with pytest.raises(RuntimeError, match="conv2d: .*Kernel size can't be greater"):
        F.conv2d(ember.randn(1, 3, 2, 2), w)
    with pytest.raises(RuntimeError, match="conv2d: input type"):
        F.conv2d(x.double(), w)
    with pytest.raises(ValueError, match="strided"):
        F.conv2d(x, w, stride=2, padding="same")
    with pytest.raises(RuntimeError, match="conv_transpose2d: output padding must be smaller"):
        F.conv_transpose2d(ember.randn(1, 3, 4, 4), ember.randn(3, 2, 3, 3), output_padding=1)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 6, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 6, 3, padding_mode="mirror")
