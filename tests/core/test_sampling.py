"""interpolate/Upsample, pixel_shuffle/unshuffle, unfold/fold: gradcheck, parity, repr, errors."""
import pytest
from ember_testing import check_gradcheck, check_parity, rand

import ember
import ember.nn.functional as F
from ember import nn

INTERP = [
    dict(scale_factor=2),
    dict(size=(7, 11)),
    dict(size=(3, 4)),
    dict(scale_factor=1.7, mode="nearest-exact"),
    dict(scale_factor=2, mode="bilinear"),
    dict(size=(7, 11), mode="bilinear", align_corners=True),
    dict(size=(3, 4), mode="bilinear"),
    dict(scale_factor=1.5, mode="bilinear", recompute_scale_factor=True),
    dict(scale_factor=2.3, mode="bilinear"),
    dict(size=(9, 13), mode="bicubic"),
    dict(size=(9, 13), mode="bicubic", align_corners=True),
    dict(size=(3, 4), mode="area"),
]


@pytest.mark.parametrize("kw", INTERP)
def test_interpolate_gradcheck(kw):
    check_gradcheck(lambda x: F.interpolate(x, **kw), rand(1, 2, 5, 6))


@pytest.mark.parity
@pytest.mark.parametrize("kw", INTERP)
def test_interpolate_parity(kw):
    check_parity(lambda m, x: m.nn.functional.interpolate(x, **kw), rand(2, 3, 5, 6),
                 rtol=1e-5, atol=1e-5)


@pytest.mark.parity
@pytest.mark.parametrize("kw", [dict(scale_factor=3.3, mode="linear"),
                                dict(size=4, mode="linear", align_corners=True),
                                dict(scale_factor=2, mode="nearest")])
def test_interpolate_1d_3d_parity(kw):
    check_parity(lambda m, x: m.nn.functional.interpolate(x, **kw), rand(2, 3, 6))
    if kw["mode"] == "nearest":
        check_parity(lambda m, x: m.nn.functional.interpolate(x, **kw), rand(1, 2, 3, 4, 3))
    check_parity(lambda m, x: m.nn.functional.interpolate(x, size=(4, 5, 3), mode="trilinear"),
                 rand(1, 2, 3, 4, 3))


def test_pixel_shuffle_and_fold_gradcheck():
    check_gradcheck(lambda x: F.pixel_shuffle(x, 2), rand(1, 8, 2, 3))
    check_gradcheck(lambda x: F.pixel_unshuffle(x, 2), rand(1, 2, 4, 6))
    check_gradcheck(lambda x: F.unfold(x, 2, padding=1, stride=2), rand(1, 2, 4, 5),
                    gradgrad=True)
    check_gradcheck(lambda x: F.fold(x, (4, 5), 2, padding=1, stride=2), rand(1, 8, 9),
                    gradgrad=True)


@pytest.mark.parity
def test_pixel_shuffle_and_fold_parity():
    check_parity(lambda m, x: m.nn.functional.pixel_shuffle(x, 2), rand(2, 12, 3, 4))
    check_parity(lambda m, x: m.nn.functional.pixel_unshuffle(x, 3), rand(2, 2, 6, 9))
    check_parity(lambda m, x: m.nn.functional.unfold(x, (2, 3), dilation=(1, 2), padding=1,
                                                     stride=(2, 1)), rand(2, 3, 5, 6))
    check_parity(lambda m, x: m.nn.functional.fold(x, (5, 6), (2, 3), dilation=(1, 2),
                                                   padding=1, stride=(2, 1)), rand(2, 18, 12))
    check_parity(lambda m, x: m.nn.functional.unfold(x, 2), rand(3, 4, 4))  # unbatched


@pytest.mark.parity
@pytest.mark.parametrize("cls,args,kw", [
    ("Upsample", (), dict(scale_factor=2)),
    ("Upsample", ((4, 5),), dict(mode="bilinear")),
    ("UpsamplingNearest2d", ((4, 5),), {}),
    ("UpsamplingBilinear2d", (), dict(scale_factor=2)),
    ("PixelShuffle", (2,), {}),
    ("PixelUnshuffle", (2,), {}),
    ("Unfold", (2,), dict(stride=2)),
    ("Fold", ((4, 4), 2), dict(stride=2)),
])
def test_sampling_modules(cls, args, kw):
    torch = pytest.importorskip("torch")
    e, t = getattr(nn, cls)(*args, **kw), getattr(torch.nn, cls)(*args, **kw)
    assert repr(e) == repr(t)
    shape = (2, 4, 4) if cls == "Fold" else (1, 4, 4, 4)
    x = rand(*shape, dtype="float32")
    assert tuple(e(ember.from_numpy(x)).shape) == tuple(t(torch.from_numpy(x)).shape)


def test_sampling_errors():
    x = ember.randn(1, 3, 4, 4)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(NotImplementedError, match="mode 'bilinear' expects 4-D"):
        F.interpolate(ember.randn(1, 3, 4), scale_factor=2, mode="bilinear")
    with pytest.raises(RuntimeError, match=r"pixel_shuffle .*input.size\(-3\)=3 is not "
                                           r"divisible by 4"):
        F.pixel_shuffle(x, 2)
    with pytest.raises(RuntimeError, match="fold: .*number of sliding blocks 3 \\* 3 = 9"):
        F.fold(ember.randn(1, 12, 10), (4, 4), 2)
