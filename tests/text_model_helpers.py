"""Shared by the embertext model tests: tiny configs, padded inputs, and (parity tests only)
randomly initialised `transformers` models saved with `save_pretrained`."""
import numpy as np

import ember

VOCAB = 99
BERT_KW = dict(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
               intermediate_size=37, max_position_embeddings=64)
DISTIL_KW = dict(vocab_size=VOCAB, dim=32, n_layers=2, n_heads=4, hidden_dim=37,
                 max_position_embeddings=64)
GPT2_KW = dict(vocab_size=VOCAB, n_embd=32, n_layer=2, n_head=4, n_positions=64,
               bos_token_id=VOCAB - 1, eos_token_id=VOCAB - 1)


def padded_inputs(pad_id=0, shape=(3, 9), seed=0, left=False):
    """(ids, mask) as numpy int64: row 1 has 3 pads, row 2 one pad (at the end, or the start)."""
    rs = np.random.RandomState(seed)
    ids = rs.randint(3, VOCAB - 1, shape).astype(np.int64)
    mask = np.ones(shape, dtype=np.int64)
    for row, n in ((1, 3), (2, 1)):
        cols = slice(0, n) if left else slice(shape[1] - n, None)
        ids[row, cols], mask[row, cols] = pad_id, 0
    return ids, mask


def assert_close(ours, theirs, mask=None, atol=1e-4):
    """Compare an ember tensor with a torch tensor, only at the kept positions (padding rows
    hold values transformers itself leaves unspecified)."""
    a = ours.detach().numpy()
    b = theirs.detach().numpy()
    assert a.shape == b.shape
    if mask is not None:
        a, b = a[mask.astype(bool)], b[mask.astype(bool)]
    np.testing.assert_allclose(a, b, atol=atol, rtol=1e-4)


def hf_model(cls_name, config_name, seed=0, **kw):
    """A randomly initialised transformers model in eval mode."""
    import torch
    import transformers
    torch.manual_seed(seed)
    config = getattr(transformers, config_name)(**kw)
    return getattr(transformers, cls_name)(config).eval()


def run_hf(model, ids, mask, **kw):
    import torch
    with torch.no_grad():
        return model(torch.tensor(ids), attention_mask=torch.tensor(mask), **kw)


def run_ours(model, ids, mask, **kw):
    return model(ember.tensor(ids), attention_mask=ember.tensor(mask), **kw)
