"""scaled_dot_product_attention and MultiheadAttention: torch parity (outputs, weights,
gradients of inputs and parameters) for every mask kind, gradcheck, errors."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember_testing import assert_close, check_gradcheck, check_parity, copy_torch_parameters, \
    rand, torch_or_skip

E, HEADS, L, S, N = 8, 2, 3, 4, 2


def _bool_mask(*shape, seed=0):
    m = np.random.default_rng(seed).random(shape) > 0.4
    m[..., 0] = True  # every query keeps one key, so no row is all -inf
    return m


@pytest.mark.parity
@pytest.mark.parametrize("mask", [None, "bool", "float", "causal", "scale", "broadcast"])
def test_sdpa_parity(mask):
    q, k, v = rand(N, HEADS, L, E), rand(N, HEADS, S, E, seed=1), rand(N, HEADS, S, 5, seed=2)
    extra = ()
    kw = {}
    if mask == "bool":
        extra = (_bool_mask(N, HEADS, L, S),)
    elif mask == "float":
        extra = (rand(L, S, seed=3),)
    elif mask == "broadcast":
        extra = (_bool_mask(L, S),)
    elif mask == "causal":
        kw = {"is_causal": True}
    elif mask == "scale":
        kw = {"scale": 0.3}

    check_parity(lambda m, q, k, v, *mask: m.nn.functional.scaled_dot_product_attention(
        q, k, v, *mask, **kw), q, k, v, *extra, layouts=("contiguous",))


@pytest.mark.parity
def test_sdpa_gqa_and_3d():
    q, k, v = rand(N, 4, L, E), rand(N, 2, S, E, seed=1), rand(N, 2, S, E, seed=2)
    check_parity(lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(
        q, k, v, enable_gqa=True), q, k, v, layouts=("contiguous",))
    check_parity(lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(q, k, v),
                 rand(L, E), rand(S, E, seed=1), rand(S, 3, seed=2), layouts=("contiguous",))


@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_gradcheck(causal):
    check_gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=causal),
                    rand(1, 2, 3), rand(1, 3, 3, seed=1), rand(1, 3, 2, seed=2))


def test_sdpa_errors():
    q = ember.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match="scaled_dot_product_attention: incompatible"):
        F.scaled_dot_product_attention(q, ember.randn(2, 3, 5), ember.randn(2, 3, 4))
    with pytest.raises(RuntimeError, match="is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=ember.zeros(3, 3), is_causal=True)


def _mha_pair(torch, **kwargs):
    tm = torch.nn.MultiheadAttention(E, HEADS, **kwargs).double()
    em = nn.MultiheadAttention(E, HEADS, **kwargs, dtype=ember.float64)
    return copy_torch_parameters(em, tm), tm


CONFIGS = {
    "plain": ({}, {}),
    "bool_masks": ({}, {"attn_mask": "bool2", "key_padding_mask": "bool"}),
    "float_masks": ({}, {"attn_mask": "float3", "key_padding_mask": "float"}),
    "float_kpm_bool_attn": ({}, {"attn_mask": "bool3", "key_padding_mask": "float"}),
    "kdim_vdim": ({"kdim": 3, "vdim": 5}, {}),
    "bias_kv_zero_attn": ({"add_bias_kv": True, "add_zero_attn": True},
                          {"attn_mask": "bool2", "key_padding_mask": "bool"}),
    "no_bias": ({"bias": False}, {}),
    "batch_first": ({"batch_first": True}, {"key_padding_mask": "bool"}),
    "per_head_weights": ({}, {"average_attn_weights": False}),
    "no_weights": ({}, {"need_weights": False}),
    "causal": ({}, {"attn_mask": "causal", "is_causal": True}),
}


def _mask(kind, src, torch):
    rng = np.random.default_rng(7)
    if kind == "bool2":
        m = ~_bool_mask(L, src)
    elif kind == "bool3":
        m = ~_bool_mask(N * HEADS, L, src)
    elif kind == "float3":
        m = rng.standard_normal((N * HEADS, L, src))
    elif kind == "bool":
        m = np.zeros((N, src), dtype=bool)
        m[0, -2:] = True
    elif kind == "float":
        m = rng.standard_normal((N, src))
    else:  # causal: needs L == src
        m = np.triu(np.ones((L, src), dtype=bool), 1)
    return ember.from_numpy(m.copy()), torch.from_numpy(m.copy())


@pytest.mark.parity
@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("self_attention", [False, True])
def test_mha_parity(config, self_attention):
    torch = torch_or_skip()
    ctor, call = CONFIGS[config]
    if self_attention and ("kdim" in ctor):
        pytest.skip("self-attention needs kdim == vdim == embed_dim")
    em, tm = _mha_pair(torch, **ctor)
    src = S if not (self_attention or config == "causal") else L
    bf = ctor.get("batch_first", False)
    shape = lambda n, e: (N, n, e) if bf else (n, N, e)  # noqa: E731
    q = np.random.default_rng(0).standard_normal(shape(L, E))
    k = np.random.default_rng(1).standard_normal(shape(src, ctor.get("kdim", E)))
    v = np.random.default_rng(2).standard_normal(shape(src, ctor.get("vdim", E)))
    e_kw, t_kw = {}, {}
    for name, val in call.items():
        if name.endswith("mask"):
            e_kw[name], t_kw[name] = _mask(val, src, torch)
        else:
            e_kw[name] = t_kw[name] = val
    eq, tq = _leaf(torch, q)
    if self_attention:
        e_out, t_out = em(eq, eq, eq, **e_kw), tm(tq, tq, tq, **t_kw)
        leaves = [(eq, tq)]
    else:
        (ek, tk), (ev, tv) = _leaf(torch, k), _leaf(torch, v)
        e_out, t_out = em(eq, ek, ev, **e_kw), tm(tq, tk, tv, **t_kw)
        leaves = [(eq, tq), (ek, tk), (ev, tv)]
    _compare(em, tm, e_out, t_out, leaves, torch)


def _leaf(torch, arr):
    return ember.from_numpy(arr.copy()).requires_grad_(), \
        torch.from_numpy(arr.copy()).requires_grad_()


def _compare(em, tm, e_out, t_out, leaves, torch):
    rng = np.random.default_rng(3)
    e_loss = t_loss = 0
    for i, (eo, to) in enumerate(zip(e_out, t_out)):
        if to is None:
            assert eo is None
            continue
        assert_close(eo, to, 1e-7, 1e-9, f"output {i}")
        g = rng.uniform(-1, 1, tuple(to.shape))
        e_loss = e_loss + (eo * ember.from_numpy(g.copy())).sum()
        t_loss = t_loss + (to * torch.from_numpy(g.copy())).sum()
    e_loss.backward()
    t_loss.backward()
    for i, (el, tl) in enumerate(leaves):
        assert_close(el.grad, tl.grad, 1e-6, 1e-8, f"gradient of input {i}")
    t_params = dict(tm.named_parameters())
    for name, p in em.named_parameters():
        assert_close(p.grad, t_params[name].grad, 1e-6, 1e-8, f"gradient of {name}")


@pytest.mark.parity
def test_mha_unbatched():
    torch = torch_or_skip()
    em, tm = _mha_pair(torch)
    x = np.random.default_rng(0).standard_normal((L, E))
    kpm = np.array([False, False, True])
    ex, tx = _leaf(torch, x)
    _compare(em, tm, em(ex, ex, ex, key_padding_mask=ember.from_numpy(kpm)),
             tm(tx, tx, tx, key_padding_mask=torch.from_numpy(kpm)), [(ex, tx)], torch)


def test_mha_gradcheck():
    ember.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, add_bias_kv=True, dtype=ember.float64)
    mask = ember.from_numpy(np.array([[False, True, False], [False, False, True]]))
    fn = lambda q, k, v, *ps: m(q, k, v, key_padding_mask=mask)[0]  # noqa: E731
    params = list(m.parameters())
    assert ember.autograd.gradcheck(fn, [ember.randn(2, 2, 4, dtype=ember.float64,
                                                     requires_grad=True),
                                         ember.randn(3, 2, 4, dtype=ember.float64,
                                                     requires_grad=True),
                                         ember.randn(3, 2, 4, dtype=ember.float64,
                                                     requires_grad=True)] + params,
                                    atol=1e-5, rtol=1e-3)


def test_mha_state_dict_names_and_errors():
    assert list(nn.MultiheadAttention(8, 2).state_dict()) == [
        "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    keys = set(nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True).state_dict())
    assert {"q_proj_weight", "k_proj_weight", "v_proj_weight", "bias_k", "bias_v"} <= keys
    with pytest.raises(AssertionError, match="divisible"):
        nn.MultiheadAttention(6, 4)
    m = nn.MultiheadAttention(8, 2)
    x = ember.randn(3, 2, 8)
    with pytest.raises(AssertionError, match="expecting embedding dimension of 8"):
        m(ember.randn(3, 2, 6), x, x)
    with pytest.raises(RuntimeError, match=r"attn_mask is \[2, 2\], but should be \(3, 3\)"):
        m(x, x, x, attn_mask=ember.zeros(2, 2))
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        m(x, x, x, is_causal=True)
