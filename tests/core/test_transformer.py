"""Transformer encoder/decoder layers, stacks and the full model: torch parity (outputs and
gradients of inputs and every parameter, in eval mode), state_dict names, masks, errors."""
import numpy as np
import pytest

import ember
import ember.nn as nn
from ember_testing import assert_close, copy_torch_parameters, torch_or_skip

D, HEADS, FF = 8, 2, 16


def _leaf(torch, shape, seed):
    arr = np.random.default_rng(seed).standard_normal(shape)
    return ember.from_numpy(arr.copy()).requires_grad_(), \
        torch.from_numpy(arr.copy()).requires_grad_()


def _compare(em, tm, e_out, t_out, leaves, torch):
    assert_close(e_out, t_out, 1e-7, 1e-8, "output")
    g = np.random.default_rng(9).uniform(-1, 1, tuple(t_out.shape))
    (e_out * ember.from_numpy(g.copy())).sum().backward()
    (t_out * torch.from_numpy(g.copy())).sum().backward()
    for i, (el, tl) in enumerate(leaves):
        assert_close(el.grad, tl.grad, 1e-6, 1e-8, f"gradient of input {i}")
    t_params = dict(tm.named_parameters())
    assert [n for n, _ in em.named_parameters()] == list(t_params)
    for name, p in em.named_parameters():
        assert_close(p.grad, t_params[name].grad, 1e-6, 1e-8, f"gradient of {name}")


def _build(torch, cls, *args, **kwargs):
    tm = getattr(torch.nn, cls)(*args, **kwargs).double().eval()
    em = getattr(nn, cls)(*args, **kwargs, dtype=ember.float64).eval()
    return copy_torch_parameters(em, tm), tm


def _masks(torch, L, S, N):
    causal = np.triu(np.full((L, L), -np.inf), 1)
    kpm = np.zeros((N, S), dtype=bool)
    kpm[0, -1] = True
    return [(ember.from_numpy(a.copy()), torch.from_numpy(a.copy())) for a in (causal, kpm)]


@pytest.mark.parity
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_parity(norm_first, batch_first, activation):
    torch = torch_or_skip()
    em, tm = _build(torch, "TransformerEncoderLayer", D, HEADS, FF, dropout=0.0,
                    activation=activation, norm_first=norm_first, batch_first=batch_first)
    L, N = 4, 2
    ex, tx = _leaf(torch, (N, L, D) if batch_first else (L, N, D), 0)
    (em_mask, tm_mask), (e_kpm, t_kpm) = _masks(torch, L, L, N)
    _compare(em, tm, em(ex, em_mask, e_kpm), tm(tx, tm_mask, t_kpm), [(ex, tx)], torch)


@pytest.mark.parity
@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_parity(norm_first):
    torch = torch_or_skip()
    em, tm = _build(torch, "TransformerDecoderLayer", D, HEADS, FF, dropout=0.0,
                    norm_first=norm_first)
    L, S, N = 3, 5, 2
    (et, tt), (emem, tmem) = _leaf(torch, (L, N, D), 1), _leaf(torch, (S, N, D), 2)
    (e_mask, t_mask), (e_kpm, t_kpm) = _masks(torch, L, S, N)
    e_out = em(et, emem, tgt_mask=e_mask, memory_key_padding_mask=e_kpm)
    t_out = tm(tt, tmem, tgt_mask=t_mask, memory_key_padding_mask=t_kpm)
    _compare(em, tm, e_out, t_out, [(et, tt), (emem, tmem)], torch)


@pytest.mark.parity
def test_encoder_and_decoder_stacks_parity():
    torch = torch_or_skip()
    t_enc = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, HEADS, FF, 0.0), 2,
                                        torch.nn.LayerNorm(D), enable_nested_tensor=False)
    t_enc = t_enc.double().eval()
    e_enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, HEADS, FF, 0.0,
                                                             dtype=ember.float64), 2,
                                  nn.LayerNorm(D, dtype=ember.float64)).eval()
    copy_torch_parameters(e_enc, t_enc)
    ex, tx = _leaf(torch, (4, 2, D), 3)
    (_, _), (e_kpm, t_kpm) = _masks(torch, 4, 4, 2)
    _compare(e_enc, t_enc, e_enc(ex, src_key_padding_mask=e_kpm),
             t_enc(tx, src_key_padding_mask=t_kpm), [(ex, tx)], torch)


@pytest.mark.parity
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_parity(batch_first):
    torch = torch_or_skip()
    em, tm = _build(torch, "Transformer", D, HEADS, 2, 2, FF, dropout=0.0,
                    batch_first=batch_first)
    S, L, N = 5, 3, 2
    shape = (lambda n: (N, n, D)) if batch_first else (lambda n: (n, N, D))
    (es, ts), (et, tt) = _leaf(torch, shape(S), 4), _leaf(torch, shape(L), 5)
    e_mask = nn.Transformer.generate_square_subsequent_mask(L, dtype=ember.float64)
    t_mask = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64)
    assert_close(e_mask, t_mask)
    _compare(em, tm, em(es, et, tgt_mask=e_mask), tm(ts, tt, tgt_mask=t_mask),
             [(es, ts), (et, tt)], torch)


def test_default_transformer_names_and_shapes():
    m = nn.Transformer(d_model=16, nhead=2, dim_feedforward=8)
    keys = list(m.state_dict())
    assert len(m.encoder.layers) == 6 and len(m.decoder.layers) == 6
    for key in ("encoder.layers.0.self_attn.in_proj_weight", "encoder.layers.5.linear2.bias",
                "encoder.norm.weight", "decoder.layers.0.multihead_attn.out_proj.weight",
                "decoder.layers.5.norm3.bias", "decoder.norm.bias"):
        assert key in keys
    out = m(ember.randn(4, 2, 16), ember.randn(3, 2, 16))
    assert out.shape == (3, 2, 16)


def test_dropout_active_only_in_training():
    ember.manual_seed(0)
    layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.5)
    x = ember.randn(3, 2, D)
    layer.eval()
    assert_close(layer(x), layer(x))
    layer.train()
    assert not np.allclose(layer(x).detach().numpy(), layer(x).detach().numpy())


def test_errors():
    m = nn.Transformer(D, HEADS, 1, 1, FF)
    with pytest.raises(RuntimeError, match="batch number of src and tgt must be equal"):
        m(ember.randn(3, 2, D), ember.randn(3, 4, D))
    with pytest.raises(RuntimeError, match="feature number of src and tgt must be equal to "
                                           "d_model"):
        m(ember.randn(3, 2, D), ember.randn(3, 2, D + 1))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu"):
        nn.TransformerEncoderLayer(D, HEADS, activation="tanh")
