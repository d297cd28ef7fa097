"""F.pad and the padding layers: gradcheck, torch parity for every mode, repr, errors."""
import pytest
from ember_testing import check_gradcheck, check_parity, rand

import ember
import ember.nn.functional as F
from ember import nn

CASES = [
    ("constant", (1, 2, 3, 1)),
    ("constant", (-1, 2, 3, -2, 1, 1)),  # negative amounts crop; a third padded dim
    ("reflect", (1, 2, 3, 1)),
    ("replicate", (2, 0, 1, 3)),
    ("circular", (1, 2, 2, 1)),
    ("reflect", (1, 1, 1, 1, 1, 1)),
]


@pytest.mark.parametrize("mode,pad", CASES)
def test_pad_gradcheck(mode, pad):
    check_gradcheck(lambda x: F.pad(x, pad, mode=mode), rand(2, 3, 4, 5))


def test_pad_double_backward():
    check_gradcheck(lambda x: F.pad(x, (1, -1, 2, 0)), rand(2, 3, 4), gradgrad=True)


@pytest.mark.parity
@pytest.mark.parametrize("mode,pad", CASES)
def test_pad_parity(mode, pad):
    check_parity(lambda m, x: m.nn.functional.pad(x, pad, mode=mode), rand(2, 3, 4, 5))


@pytest.mark.parity
def test_pad_value_and_dims():
    check_parity(lambda m, x: m.nn.functional.pad(x, (1, 1), value=2.5), rand(3, 4))
    check_parity(lambda m, x: m.nn.functional.pad(x, (1, 0, 0, 2, 1, 1, 2, 0)), rand(2, 2, 3, 3))
    check_parity(lambda m, x: m.nn.functional.pad(x, (1, 1, 1, 1, 1, 1), mode="replicate"),
                 rand(1, 2, 3, 3, 3))
    check_parity(lambda m, x: m.nn.functional.pad(x, (2, 1), mode="reflect"), rand(3, 4))


@pytest.mark.parity
@pytest.mark.parametrize("cls,args", [
    ("ZeroPad2d", (1,)), ("ZeroPad1d", ((1, 2),)), ("ConstantPad1d", ((1, 2), 3.5)),
    ("ConstantPad2d", (1, 3.5)), ("ReflectionPad1d", (2,)), ("ReflectionPad2d", ((1, 0, 2, 1),)),
    ("ReplicationPad1d", ((1, 2),)), ("ReplicationPad2d", (1,)), ("CircularPad2d", (1,)),
])
def test_pad_modules(cls, args):
    torch = pytest.importorskip("torch")
    e, t = getattr(nn, cls)(*args), getattr(torch.nn, cls)(*args)
    assert repr(e) == repr(t)
    x = rand(*((3, 4, 5) if cls.endswith("1d") else (2, 3, 4, 5)), dtype="float32")
    out = e(ember.from_numpy(x))
    assert tuple(out.shape) == tuple(t(torch.from_numpy(x)).shape)


def test_pad_errors():
    x = ember.randn(1, 1, 3, 3)
    with pytest.raises(RuntimeError, match="pad: padding length must be divisible by 2"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(RuntimeError, match=r"pad: padding size should be less than .*\(3, 3\)"):
        F.pad(x[0], (3, 3), mode="reflect")
    with pytest.raises(NotImplementedError, match="pad: reflect padding of 1 dims expects"):
        F.pad(x, (1, 1), mode="reflect")
    with pytest.raises(NotImplementedError, match="pad: unsupported padding mode"):
        F.pad(x, (1, 1), mode="mirror")
    with pytest.raises(RuntimeError, match="pad: .*negative output size"):
        F.pad(x, (-2, -2))
