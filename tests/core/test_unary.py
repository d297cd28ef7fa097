"""ember.ops.unary: gradients (gradcheck), PyTorch parity, dtypes, warnings and errors."""
import math
import warnings

import numpy as np
import pytest
from ember_testing import assert_close, check_gradcheck, check_parity, rand, torch_or_skip

import ember

# PyTorch never warns on log(0), overflow or NaN: neither may ember.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

# name -> how to draw inputs inside the function's domain.
ANY, POSITIVE, UNIT, ABOVE_ONE, PROB = "any", "positive", "unit", "above_one", "prob"
FLOAT_OPS = {
    "exp": ANY, "exp2": ANY, "expm1": ANY, "log": POSITIVE, "log2": POSITIVE,
    "log10": POSITIVE, "log1p": POSITIVE, "sqrt": POSITIVE, "rsqrt": POSITIVE, "square": ANY,
    "sin": ANY, "cos": ANY, "tan": UNIT, "asin": UNIT, "acos": UNIT, "atan": ANY, "sinh": ANY,
    "cosh": ANY, "tanh": ANY, "asinh": ANY, "acosh": ABOVE_ONE, "atanh": UNIT, "sigmoid": ANY,
    "logit": PROB, "relu": ANY, "abs": ANY, "reciprocal": POSITIVE, "erf": ANY, "erfc": ANY,
    "erfinv": UNIT, "frac": ANY, "sign": ANY, "sgn": ANY, "floor": ANY, "ceil": ANY,
    "round": ANY, "trunc": ANY, "nan_to_num": ANY, "angle": ANY,
}
ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
           "arccosh": "acosh", "arctanh": "atanh", "absolute": "abs", "fix": "trunc",
           "clip": "clamp", "arctan2": "atan2"}


def draw(domain, *shape, seed=0):
    if domain == POSITIVE:
        return rand(*shape, positive=True, seed=seed)
    if domain == UNIT:
        return rand(*shape, low=-0.9, high=0.9, seed=seed)
    if domain == ABOVE_ONE:
        return rand(*shape, low=1.2, high=3.0, seed=seed)
    if domain == PROB:
        return rand(*shape, low=0.1, high=0.9, seed=seed)
    x = rand(*shape, seed=seed)
    x[np.abs(x - np.round(x)) < 0.05] += 0.1  # keep rounding ops away from their jumps
    x[np.abs(x) < 0.05] = 0.3  # relu/abs/sign have no derivative at 0
    return x


@pytest.mark.parametrize("name", sorted(FLOAT_OPS))
def test_gradcheck(name):
    fn = getattr(ember, name)
    check_gradcheck(fn, draw(FLOAT_OPS[name], 3, 4), gradgrad=name in ("exp", "tanh", "sigmoid",
                                                                       "log", "sqrt", "erf"))


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(FLOAT_OPS))
def test_parity(name):
    check_parity(lambda m, x: getattr(m, name)(x), draw(FLOAT_OPS[name], 3, 5))


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(FLOAT_OPS))
def test_method_and_inplace(name):
    torch = torch_or_skip()
    x = draw(FLOAT_OPS[name], 4)
    e, t = ember.tensor(x), torch.tensor(x)
    assert_close(getattr(e, name)(), getattr(t, name)(), 1e-12, 1e-12)
    if name == "angle":
        return  # PyTorch has no angle_
    getattr(e, name + "_")()
    getattr(t, name + "_")()
    assert_close(e, t, 1e-12, 1e-12)


@pytest.mark.parametrize("alias, name", sorted(ALIASES.items()))
def test_aliases(alias, name):
    assert getattr(ember, alias) is getattr(ember, name)
    assert getattr(ember.Tensor, alias) is getattr(ember.Tensor, name)


INT_RESULT = ["exp", "log", "sqrt", "sin", "sigmoid", "erf", "reciprocal", "angle", "atanh",
              "square", "abs", "sign", "floor", "round", "trunc", "relu", "nan_to_num"]


@pytest.mark.parity
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("name", INT_RESULT)
def test_integer_and_bool_inputs(name, dtype):
    """Float functions of ints give the default float dtype; the rest keep (or reject) the
    dtype exactly as PyTorch does."""
    torch = torch_or_skip()
    x = np.array([0, 1, 2, 3]).astype(dtype)
    try:
        expected = getattr(torch, name)(torch.from_numpy(x))
    except (RuntimeError, NotImplementedError):
        with pytest.raises(RuntimeError, match=name):
            getattr(ember, name)(ember.from_numpy(x))
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = getattr(ember, name)(ember.from_numpy(x))
    assert out.dtype.name == str(expected.dtype).removeprefix("torch.")
    assert_close(out, expected, 1e-6, 1e-6)


@pytest.mark.parity
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("name", ["exp", "log", "sigmoid", "tanh", "erf", "sqrt", "round"])
def test_half_precision(name, dtype):
    check_parity(lambda m, x: getattr(m, name)(x), draw(FLOAT_OPS[name], 6), dtypes=(dtype,),
                 grad=False, layouts=("contiguous",))


def test_default_dtype_follows_set_default_dtype():
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.exp(ember.tensor([1, 2])).dtype is ember.float64
    finally:
        ember.set_default_dtype(ember.float32)


def test_no_numpy_warnings():
    x = ember.tensor([0.0, -1.0, 1e30, -1e30, float("inf"), float("nan")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ["log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal", "exp",
                     "exp2", "expm1", "sinh", "cosh", "sin", "tan", "asin", "acos", "acosh",
                     "atanh", "sigmoid", "logit", "erf", "erfc", "erfinv", "square"]:
            getattr(ember, name)(x)
        ember.atan2(x, x), ember.hypot(x, x), ember.xlogy(x, x), ember.round(x, decimals=3)


@pytest.mark.parity
def test_special_values_match_torch():
    torch = torch_or_skip()
    x = np.array([0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 1e-300, 40.0, -40.0, np.inf, -np.inf, np.nan])
    for name in ["log", "sqrt", "rsqrt", "exp", "sigmoid", "logit", "erf", "erfc", "erfinv",
                 "atanh", "acosh", "asin", "reciprocal", "relu", "sign", "angle", "frac",
                 "nan_to_num", "log1p", "expm1", "tanh"]:
        assert_close(getattr(ember, name)(ember.tensor(x)), getattr(torch, name)(
            torch.tensor(x)), 1e-12, 1e-300, what=name)


@pytest.mark.parity
def test_erf_family_float64_accuracy():
    torch = torch_or_skip()
    x = np.concatenate([np.linspace(-7, 7, 20001), np.logspace(-300, 0.5, 400)])
    for name in ["erf", "erfc"]:
        assert_close(getattr(ember, name)(ember.tensor(x)), getattr(torch, name)(
            torch.tensor(x)), 5e-14, 0, what=name)
    y = np.concatenate([np.linspace(-0.999999, 0.999999, 20001), 1 - np.logspace(-16, -1, 200),
                        np.logspace(-300, -1, 200)])
    assert_close(ember.erfinv(ember.tensor(y)), torch.erfinv(torch.tensor(y)), 1e-13, 0)


@pytest.mark.parity
@pytest.mark.parametrize("decimals", [-1, 1, 2, 3])
def test_round_decimals(decimals):
    x = np.array([0.125, 1.25, -2.5, 3.5, 12.345, -15.0, 1234.5678, 0.5])
    check_parity(lambda m, t: m.round(t, decimals=decimals), x, layouts=("contiguous",))


def test_round_half_to_even():
    assert ember.round(ember.tensor([0.5, 1.5, 2.5, -0.5])).tolist() == [0.0, 2.0, 2.0, -0.0]


def test_round_decimals_gradcheck():
    check_gradcheck(lambda x: ember.round(x, decimals=1), rand(5, low=0.01, high=0.04))


@pytest.mark.parity
@pytest.mark.parametrize("eps", [None, 0.2])
def test_logit_eps(eps):
    x = np.array([0.05, 0.3, 0.5, 0.7, 0.95])
    check_parity(lambda m, t: m.logit(t, eps), x)
    check_gradcheck(lambda t: ember.logit(t, eps), np.array([0.1, 0.3, 0.6, 0.85]))


# ------------------------------------------------------------------------------------- clamp
@pytest.mark.parity
@pytest.mark.parametrize("lo, hi", [(-0.5, 0.5), (None, 0.3), (-0.2, None), (1.0, -1.0)])
def test_clamp_scalars(lo, hi):
    check_parity(lambda m, x: m.clamp(x, lo, hi), rand(3, 4))
    check_parity(lambda m, x: m.clamp(x, min=lo, max=hi), rand(3, 4))


def test_clamp_gradcheck():
    check_gradcheck(lambda x: ember.clamp(x, -0.5, 0.5), draw(ANY, 3, 4))
    check_gradcheck(lambda x, lo, hi: ember.clamp(x, lo, hi), rand(3, 4), rand(4, seed=1) - 1,
                    rand(3, 1, seed=2) + 1)


@pytest.mark.parity
def test_clamp_tensor_bounds_broadcast():
    x, lo, hi = rand(3, 4), rand(4, seed=1) * 0.5 - 0.5, rand(3, 1, seed=2) * 0.5 + 0.5
    check_parity(lambda m, x, lo, hi: m.clamp(x, lo, hi), x, lo, hi)
    check_parity(lambda m, x, lo: m.clamp(x, min=lo), x, lo)
    check_parity(lambda m, x, hi: m.clamp(x, max=hi), x, hi)
    # min > max somewhere: max wins and takes the gradient.
    check_parity(lambda m, x, lo, hi: m.clamp(x, lo, hi), x, hi, lo)


@pytest.mark.parity
def test_clamp_dtypes_and_helpers():
    torch = torch_or_skip()
    i = np.array([-3, 0, 5])
    for args in [dict(min=0.5), dict(min=0, max=2), dict(max=1)]:
        e, t = ember.clamp(ember.tensor(i), **args), torch.clamp(torch.tensor(i), **args)
        assert e.dtype.name == str(t.dtype)[6:]
        assert_close(e, t)
    x = rand(5)
    assert_close(ember.clamp_min(ember.tensor(x), 0.1), torch.clamp_min(torch.tensor(x), 0.1))
    assert_close(ember.tensor(x).clamp_max(0.1), torch.tensor(x).clamp_max(0.1))
    nan = ember.clamp(ember.tensor([float("nan"), 2.0]), 0, 1)
    assert math.isnan(nan[0].item()) and nan[1].item() == 1


def test_clamp_errors():
    with pytest.raises(RuntimeError, match="clamp"):
        ember.clamp(ember.tensor([1.0]))
    with pytest.raises(TypeError, match="clamp"):
        ember.clamp([1.0], 0, 1)


# ---------------------------------------------------------------------- two/three operands
@pytest.mark.parity
@pytest.mark.parametrize("name", ["atan2", "hypot", "xlogy"])
def test_binary_parity(name):
    check_parity(lambda m, a, b: getattr(m, name)(a, b), rand(3, 4), rand(4, seed=1,
                                                                           positive=True))
    check_parity(lambda m, a, b: getattr(m, name)(a, b), rand(2, 1, 3), rand(4, 1, seed=3,
                                                                              positive=True))


@pytest.mark.parametrize("name", ["atan2", "hypot", "xlogy"])
def test_binary_gradcheck(name):
    check_gradcheck(getattr(ember, name), rand(3, 4), rand(4, seed=1, positive=True),
                    gradgrad=True)


@pytest.mark.parity
def test_xlogy_zero_and_scalars():
    torch = torch_or_skip()
    x = np.array([0.0, 0.0, 1.0, 2.0, 0.0])
    y = np.array([0.0, np.nan, 3.0, 0.0, -1.0])
    check_parity(lambda m, a, b: m.xlogy(a, b), x, y, grad=False)
    check_parity(lambda m, a: m.xlogy(a, 3.0), rand(4, positive=True))
    check_parity(lambda m, b: m.xlogy(2.0, b), rand(4, positive=True))
    check_parity(lambda m, a: m.xlogy(a, 2), rand(4, positive=True), check_dtype=True)
    assert ember.xlogy(ember.tensor([1, 2]), 3).dtype == torch_dtype_name(torch.xlogy(
        torch.tensor([1, 2]), 3))


def torch_dtype_name(t):
    return getattr(ember, str(t.dtype).removeprefix("torch."))


@pytest.mark.parity
def test_atan2_integer_and_errors():
    e = ember.atan2(ember.tensor([1, -1]), ember.tensor([1, 1]))
    assert e.dtype is ember.float32
    with pytest.raises(TypeError, match="atan2"):
        ember.atan2(ember.tensor([1.0]), 2.0)


@pytest.mark.parity
def test_lerp():
    a, b, w = rand(3, 4), rand(3, 4, seed=1), rand(4, seed=2, low=-0.5, high=1.5)
    check_parity(lambda m, a, b: m.lerp(a, b, 0.3), a, b)
    check_parity(lambda m, a, b: m.lerp(a, b, 0.7), a, b)
    check_parity(lambda m, a, b, w: m.lerp(a, b, w), a, b, w)
    check_gradcheck(lambda a, b, w: ember.lerp(a, b, w), a, b, w, gradgrad=True)
    check_gradcheck(lambda a, b: ember.lerp(a, b, 0.75), a, b)
    assert ember.lerp(ember.tensor([1.0]), ember.tensor([3.0]), 1.0).item() == 3.0
    with pytest.raises(RuntimeError, match="lerp"):
        ember.lerp(ember.tensor([1.0]), ember.tensor([1.0], dtype=ember.float64), 0.5)


@pytest.mark.parity
@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
def test_addcmul_addcdiv(name):
    x, t1, t2 = rand(3, 4), rand(4, seed=1), rand(3, 1, seed=2, positive=True)
    check_parity(lambda m, x, a, b: getattr(m, name)(x, a, b, value=0.5), x, t1, t2)
    check_parity(lambda m, x, a, b: getattr(x, name)(a, b), x, t1, t2)
    check_gradcheck(lambda x, a, b: getattr(ember, name)(x, a, b, value=-2), x, t1, t2)


def test_addcdiv_integer_error():
    i = ember.tensor([1, 2])
    with pytest.raises(RuntimeError, match="addcdiv"):
        ember.addcdiv(ember.tensor([1.0, 1.0]), i, i)


@pytest.mark.parity
def test_float_power():
    torch = torch_or_skip()
    check_parity(lambda m, x: m.float_power(x, 2), rand(3, positive=True), dtypes=("float32",),
                 check_dtype=True)
    check_parity(lambda m, x, y: m.float_power(x, y), rand(3, positive=True), rand(3, seed=1))
    for base, exp in [(ember.tensor([1, 2]), 2), (2, ember.tensor([1, 2]))]:
        tb = torch.tensor(base.tolist()) if isinstance(base, ember.Tensor) else base
        te = torch.tensor(exp.tolist()) if isinstance(exp, ember.Tensor) else exp
        out = ember.float_power(base, exp)
        assert out.dtype is ember.float64
        assert_close(out, torch.float_power(tb, te))
    check_gradcheck(lambda x: ember.float_power(x, 1.5), rand(4, positive=True))


# ----------------------------------------------------------------------------- complex & misc
def test_conj_real_imag_angle():
    x = ember.tensor([1.0, -2.0])
    assert x.conj() is x and x.real is x and ember.positive(x) is x and +x is x
    with pytest.raises(RuntimeError, match="imag"):
        _ = x.imag
    z = ember.tensor([1 + 2j, -3 - 1j])
    assert z.conj().tolist() == [1 - 2j, -3 + 1j]
    assert z.real.tolist() == [1.0, -3.0] and z.imag.tolist() == [2.0, -1.0]
    z.real[0] = 5.0  # a view, as in PyTorch
    assert z.tolist()[0] == 5 + 2j
    assert_close(ember.angle(z), np.angle(np.array([5 + 2j, -3 - 1j])))
    assert ember.angle(ember.tensor([-1, 0, 2])).tolist() == [np.float32(math.pi), 0, 0]


@pytest.mark.parity
def test_complex_gradients():
    torch = torch_or_skip()
    z = np.array([1 + 2j, -0.5 + 0.3j, 2 - 1j])
    for name in ["exp", "sin", "log", "sqrt", "tanh", "abs", "angle", "reciprocal"]:
        e = ember.tensor(z, requires_grad=True)
        t = torch.tensor(z, requires_grad=True)
        eo, to = getattr(ember, name)(e), getattr(torch, name)(t)
        assert_close(eo, to, 1e-12, 1e-12, what=name)
        (eo.real.sum() + (eo * eo).real.sum()).backward() if eo.is_complex() else \
            eo.sum().backward()
        (to.real.sum() + (to * to).real.sum()).backward() if to.is_complex() else \
            to.sum().backward()
        assert_close(e.grad, t.grad, 1e-10, 1e-12, what=f"{name} grad")
    e = ember.tensor(z, requires_grad=True)
    t = torch.tensor(z, requires_grad=True)
    (e.real * 2 + e.imag * 3).sum().backward()
    (t.real * 2 + t.imag * 3).sum().backward()
    assert_close(e.grad, t.grad)


def test_bool_and_complex_errors():
    b = ember.tensor([True, False])
    for name in ["relu", "abs", "floor", "frac"]:
        with pytest.raises(RuntimeError, match=name):
            getattr(ember, name)(b)
    with pytest.raises(RuntimeError, match="positive"):
        _ = +b
    with pytest.raises(RuntimeError, match="sgn"):
        ember.sign(ember.tensor([1j]))
    with pytest.raises(RuntimeError, match="erf"):
        ember.erf(ember.tensor([1j]))
    with pytest.raises(TypeError, match="exp"):
        ember.exp(1.0)


def test_inplace_rules():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x.exp_()
    i = ember.tensor([1, 2])
    with pytest.raises(RuntimeError, match="exp_"):
        i.exp_()
    y = x * 1
    y.sin_()
    y.sum().backward()
    assert_close(x.grad, np.cos([1.0, 2.0]))
    assert y.grad_fn.name() == "SinBackward0"


def test_modified_input_detected():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match="inplace"):
        z.sum().backward()


def test_grad_fn_names():
    x = ember.tensor([0.5], requires_grad=True)
    assert ember.log1p(x).grad_fn.name() == "Log1PBackward0"
    assert ember.square(x).grad_fn.name() == "PowBackward0"
    assert ember.clamp(x, 0, 1).grad_fn.name() == "ClampBackward1"
    assert ember.round(x, decimals=1).grad_fn.name() == "RoundBackward1"
    assert ember.lerp(x, x, x).grad_fn.name() == "LerpBackward1"
