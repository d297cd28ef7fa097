"""embertext.models.gpt2: causal LM, KV cache, generate; parity with transformers."""
import numpy as np
import pytest
from text_model_helpers import GPT2_KW, VOCAB, assert_close, hf_model, padded_inputs, run_hf, \
    run_ours

import ember
from embertext.models import GPT2Config, GPT2LMHeadModel, GPT2Model

EOS = VOCAB - 1


@pytest.fixture(scope="module")
def model():
    ember.manual_seed(0)
    return GPT2LMHeadModel(GPT2Config(**GPT2_KW)).eval()


def test_conv1d_layout_and_tied_head(model):
    attn = model.transformer.h[0].attn
    assert attn.c_attn.weight.shape == (32, 96) and model.transformer.h[0].mlp.c_fc.weight.shape \
        == (32, 128)
    assert model.lm_head.weight is model.transformer.wte.weight
    assert "transformer.ln_f.weight" in model.state_dict()


def test_causal_future_tokens_do_not_matter(model):
    ids, _ = padded_inputs()
    changed = ids.copy()
    changed[:, 6:] = 5
    a = model(ember.tensor(ids)).logits[:, :6]
    b = model(ember.tensor(changed)).logits[:, :6]
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-5)


def test_kv_cache_matches_full_forward(model):
    ids, _ = padded_inputs()
    x = ember.tensor(ids)
    full = model(x).logits
    first = model(x[:, :5], use_cache=True)
    assert len(first.past_key_values) == 2 and first.past_key_values[0][0].shape == (3, 4, 5, 8)
    rest = model(x[:, 5:], past_key_values=first.past_key_values)
    np.testing.assert_allclose(rest.logits.detach().numpy(), full[:, 5:].detach().numpy(),
                               atol=1e-5)


def test_loss_and_hidden_states(model):
    ids, _ = padded_inputs()
    out = model(ember.tensor(ids), labels=ember.tensor(ids), output_hidden_states=True)
    assert out.loss.ndim == 0 and len(out.hidden_states) == 3
    assert float(out.loss) == pytest.approx(np.log(VOCAB), rel=0.2)  # near-uniform at init
    with pytest.raises(ValueError, match="n_positions"):
        model(ember.zeros((1, 65), dtype=ember.int64))


def test_generate_greedy_cache_and_eos(model):
    ids = ember.tensor(padded_inputs()[0][:1, :4])
    cached = model.generate(ids, max_new_tokens=8, eos_token_id=-1)
    plain = model.generate(ids, max_new_tokens=8, eos_token_id=-1, use_cache=False)
    assert cached.shape == (1, 12) and ember.equal(cached, plain)
    assert ember.equal(cached[:, :4], ids)
    # stopping at the first generated token (made the eos) pads the other rows after it
    first = int(cached[0, 4])
    two = model.generate(ember.cat([ids, ids + 1]), max_new_tokens=6, eos_token_id=first,
                         pad_token_id=0)
    assert two[0, 4] == first and (two[0, 5:] == 0).all()


def test_generate_sampling(model):
    ids = ember.tensor(padded_inputs()[0][:2, :4])
    ember.manual_seed(5)
    a = model.generate(ids, max_new_tokens=6, do_sample=True, top_k=10, top_p=0.9,
                       temperature=0.8, eos_token_id=-1)
    ember.manual_seed(5)
    b = model.generate(ids, max_new_tokens=6, do_sample=True, top_k=10, top_p=0.9,
                       temperature=0.8, eos_token_id=-1)
    assert ember.equal(a, b)
    greedy = model.generate(ids, max_new_tokens=6, eos_token_id=-1)
    assert ember.equal(model.generate(ids, max_new_tokens=6, do_sample=True, top_k=1,
                                      eos_token_id=-1), greedy)
    assert ember.equal(model.generate(ids, max_new_tokens=6, do_sample=True, top_p=1e-6,
                                      eos_token_id=-1), greedy)
    with pytest.raises(ValueError, match="temperature"):
        model.generate(ids, do_sample=True, temperature=0)


# ------------------------------------------------------------------ parity with transformers
@pytest.fixture(scope="module")
def hf_dir(tmp_path_factory):
    hf = hf_model("GPT2LMHeadModel", "GPT2Config", **GPT2_KW)
    folder = tmp_path_factory.mktemp("gpt2")
    hf.save_pretrained(folder)
    hf.save_pretrained(folder / "bin", safe_serialization=False)
    return hf, folder


@pytest.mark.parity
@pytest.mark.parametrize("sub", ["", "bin"])
def test_parity_logits_and_hidden_states(hf_dir, sub):
    hf, folder = hf_dir
    ours = GPT2LMHeadModel.from_pretrained(folder / sub)
    ids, mask = padded_inputs(left=True)
    a = run_ours(ours, ids, mask, output_hidden_states=True)
    b = run_hf(hf, ids, mask, output_hidden_states=True)
    assert_close(a.logits, b.logits, mask)
    for x, y in zip(a.hidden_states, b.hidden_states, strict=True):
        assert_close(x, y, mask)
    base = GPT2Model.from_pretrained(folder / sub)  # strips the "transformer." prefix
    assert_close(run_ours(base, ids, mask).last_hidden_state,
                 run_hf(hf.transformer, ids, mask).last_hidden_state, mask)


@pytest.mark.parity
def test_parity_greedy_generate(hf_dir):
    import torch
    hf, folder = hf_dir
    ours = GPT2LMHeadModel.from_pretrained(folder)
    ids, mask = padded_inputs(left=True)
    ids = ids[:, :6]
    mask = mask[:, :6]
    ids[mask == 0] = EOS
    expected = hf.generate(torch.tensor(ids), attention_mask=torch.tensor(mask),
                           max_new_tokens=12, do_sample=False, pad_token_id=EOS)
    for use_cache in (True, False):
        got = ours.generate(ember.tensor(ids), attention_mask=ember.tensor(mask),
                            max_new_tokens=12, use_cache=use_cache)
        np.testing.assert_array_equal(got.numpy(), expected.numpy())


@pytest.mark.parity
def test_transformers_reads_our_gpt2(tmp_path, model):
    import transformers
    model.save_pretrained(tmp_path)
    hf = transformers.GPT2LMHeadModel.from_pretrained(tmp_path).eval()
    ids, mask = padded_inputs()
    assert_close(run_ours(model, ids, mask).logits, run_hf(hf, ids, mask).logits, mask)
