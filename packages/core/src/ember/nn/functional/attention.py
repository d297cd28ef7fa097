"""Attention math: scaled_dot_product_attention and multi_head_attention_forward.

Both are composed from batched matmuls over (batch * heads), `softmax` and `dropout`, so autograd
(higher orders included) comes from those ops. Masks are turned into one additive float bias
(0 or -inf) on the host side of the graph; a float mask is added as given.
"""
import math

from ..._device import array_module_of
from ..._tensor import Tensor
from ...ops.shape import transpose


def _bias_from_bool(mask, dtype, keep_value):
    """An additive bias: 0 where `mask == keep_value`, -inf elsewhere."""
    arr = mask._data
    return Tensor._make(array_module_of(arr).where(arr == keep_value, 0.0, -math.inf)
                        .astype(dtype.np))


def _canonical(mask, dtype, keep_value, name, op):
    """A bool or float mask as an additive float bias of `dtype` (None stays None)."""
    if mask is None:
        return None
    if mask.dtype.name == "bool":
        return _bias_from_bool(mask, dtype, keep_value)
    if not mask.dtype.is_floating_point:
        raise RuntimeError(f"{op}: only bool and floating types of {name} are supported, got "
                           f"{mask.dtype}")
    return mask if mask.dtype is dtype else mask.to(dtype)


def _attend(q, k, v, bias, dropout_p, scale, training=True):
    """softmax(q k^T * scale + bias) v with dropout on the weights; returns (output, weights).
    q (..., L, E), k (..., S, E), v (..., S, Ev)."""
    from .activation import softmax
    from .dropout import dropout
    scores = (q * scale) @ transpose(k, -2, -1)  # (..., L, S)
    if bias is not None:
        scores = scores + bias
    weights = softmax(scores, -1)
    if dropout_p > 0.0 and training:
        weights = dropout(weights, dropout_p, training=True)
    return weights @ v, weights


def _causal_bias(L, S, like):
    """-inf above the diagonal of an (L, S) bias aligned at the top left, as in PyTorch."""
    import numpy as np
    bias = np.triu(np.full((L, S), -np.inf), 1).astype(like._data.dtype)
    return Tensor._make(bias).to(like.device)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(Q K^T / sqrt(E) + mask) V. query (N, ..., L, E), key (N, ..., S, E),
    value (N, ..., S, Ev) -> (N, ..., L, Ev). A bool `attn_mask` marks the positions that take
    part (True); a float one is added to the scores."""
    op = "scaled_dot_product_attention"
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise RuntimeError(f"{op}: query, key and value must be at least 2-D, got shapes "
                           f"{list(query.shape)}, {list(key.shape)} and {list(value.shape)}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"{op}: incompatible shapes query {list(query.shape)}, key "
                           f"{list(key.shape)}, value {list(value.shape)}: query and key need "
                           "the same embedding size and key and value the same length")
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        heads_q, heads_kv = query.shape[-3], key.shape[-3]
        if heads_q % heads_kv:
            raise RuntimeError(f"{op}: with enable_gqa the number of query heads ({heads_q}) "
                               f"must be a multiple of the key/value heads ({heads_kv})")
        key = key.repeat_interleave(heads_q // heads_kv, dim=-3)
        value = value.repeat_interleave(heads_q // heads_kv, dim=-3)
    L, S = query.shape[-2], key.shape[-2]
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError(f"{op}: Explicit attn_mask should not be set when "
                               "is_causal=True")
        bias = _causal_bias(L, S, query)
    else:
        bias = _canonical(attn_mask, query.dtype, True, "attn_mask", op)
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    return _attend(query, key, value, bias, dropout_p, scale)[0]


def _check_mha(query, key, value, embed_dim_to_check, num_heads, key_padding_mask, attn_mask):
    op = "multi_head_attention_forward"
    if query.ndim not in (2, 3):
        raise AssertionError(f"{op}: query should be unbatched 2D or batched 3D tensor but "
                             f"received {query.ndim}-D query tensor")
    batched = query.ndim == 3
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise AssertionError(f"{op}: key and value should be {query.ndim}-D like query, got "
                             f"{key.ndim}-D and {value.ndim}-D")
    embed_dim = query.shape[-1]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"{op}: was expecting embedding dimension of {embed_dim_to_check}, "
                             f"but got {embed_dim}")
    if embed_dim % num_heads:
        raise AssertionError(f"{op}: embed_dim {embed_dim} not divisible by num_heads "
                             f"{num_heads}")
    if key.shape[:-1] != value.shape[:-1]:
        raise AssertionError(f"{op}: key shape {list(key.shape)} does not match value shape "
                             f"{list(value.shape)}")
    if key_padding_mask is not None:
        expected = (key.shape[1], key.shape[0]) if batched else (key.shape[0],)
        if tuple(key_padding_mask.shape) != expected:
            raise AssertionError(f"{op}: expected key_padding_mask of shape {expected}, got "
                                 f"{list(key_padding_mask.shape)}")
    if attn_mask is not None and attn_mask.ndim not in (2, 3):
        raise RuntimeError(f"{op}: attn_mask's dimension {attn_mask.ndim} is not supported")
    return batched


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """PyTorch's multi-head attention. query (L, N, E) or (L, E); key/value (S, N, kdim/vdim).
    key_padding_mask (N, S): True (or -inf) ignores a key; attn_mask (L, S) or (N*heads, L, S):
    True (or -inf) forbids a position. Returns (output (L, N, E), weights (N, L, S) averaged over
    heads or (N, heads, L, S), or None)."""
    from ...ops.joining import cat
    from ...ops.creation import zeros
    from .linear import linear
    op = "multi_head_attention_forward"
    batched = _check_mha(query, key, value, embed_dim_to_check, num_heads, key_padding_mask,
                         attn_mask)
    if is_causal and attn_mask is None:
        raise RuntimeError(f"{op}: Need attn_mask if specifying the is_causal hint. You may use "
                           "the Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    batch_major = _batch_major(query)
    head_dim = embed_dim // num_heads
    dtype = query.dtype
    key_padding_mask = _canonical(key_padding_mask, dtype, False, "key_padding_mask", op)
    attn_mask = _canonical(attn_mask, dtype, False, "attn_mask", op)

    # Input projections, one linear each: q, k and v come out contiguous, so the head split
    # below is a view. (Chunking one fused (L, N, 3E) product instead costs a copy per head
    # split and, in backward, three zero-filled (L, N, 3E) gradients summed together.)
    if not use_separate_proj_weight:
        if query is key and key is value:
            query = key = value = query.contiguous()  # a batch_first input is copied once here
        w_q, w_k, w_v = in_proj_weight.chunk(3)
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias.chunk(3)
        q, k, v = linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)
    else:
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias.chunk(3)
        q, k, v = (linear(query, q_proj_weight, b_q), linear(key, k_proj_weight, b_k),
                   linear(value, v_proj_weight, b_v))

    if attn_mask is not None:
        expected = (tgt_len, key.shape[0]) if attn_mask.ndim == 2 else \
            (bsz * num_heads, tgt_len, key.shape[0])
        if tuple(attn_mask.shape) != expected:
            raise RuntimeError(f"{op}: The shape of the {attn_mask.ndim}D attn_mask is "
                               f"{list(attn_mask.shape)}, but should be {expected}.")
        if attn_mask.ndim == 2:
            attn_mask = attn_mask.unsqueeze(0)

    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise RuntimeError(f"{op}: bias cannot be added to static key/value.")
        k = cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = cat([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)

    # (L, N, E) -> (N * heads, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_k is None \
        else static_k
    v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_v is None \
        else static_v
    if add_zero_attn:
        k = cat([k, zeros((k.shape[0], 1, head_dim), dtype=dtype, device=k.device)], 1)
        v = cat([v, zeros((v.shape[0], 1, head_dim), dtype=dtype, device=v.device)], 1)
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
    src_len = k.shape[1]

    bias = attn_mask
    if key_padding_mask is not None:
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        bias = kpm if bias is None else bias + kpm

    out, weights = _attend(q, k, v, bias, dropout_p, 1.0 / math.sqrt(head_dim), training)
    # Merging the heads copies once; the rows go in the query's memory order, so a batch_first
    # caller (whose (L, N, E) query is a transposed view) gets a transposed view of contiguous
    # (N, L, E) back, and its residual add, dropout and layer norm run on contiguous data.
    out = out.reshape(bsz, num_heads, tgt_len, head_dim)
    if batch_major:
        out = out.permute(0, 2, 1, 3).reshape(bsz * tgt_len, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(bsz, tgt_len, embed_dim)
        out = out.transpose(0, 1)
    else:
        out = out.permute(2, 0, 1, 3).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if not batched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        weights = weights.mean(1)
    if not batched:
        weights = weights.squeeze(0)
    return out, weights


def _batch_major(x):
    """Whether an (L, N, E) array is laid out as (N, L, E) in memory (a batch_first input)."""
    strides = x._data.strides
    return x.shape[0] > 1 and x.shape[1] > 1 and strides[1] > strides[0]


def _pad_last(mask):
    """Append one zero (attend) column to an additive mask."""
    if mask is None:
        return None
    from .padding import pad
    return pad(mask, (0, 1))


__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]
