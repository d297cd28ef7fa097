"""embertext.models.bert and the PreTrainedModel machinery (modeling_utils): outputs, losses,
save/from_pretrained (local, Hub), key prefixes, tied weights; parity with transformers."""
import json
import warnings

import numpy as np
import pytest
from text_model_helpers import BERT_KW, assert_close, hf_model, padded_inputs, run_hf, run_ours

import ember
from ember import safetensors
from embertext.models import (BertConfig, BertForMaskedLM, BertForSequenceClassification,
                              BertForTokenClassification, BertModel)


def _config(**kw):
    return BertConfig(**{**BERT_KW, **kw})


@pytest.fixture
def mlm_dir(tmp_path):
    ember.manual_seed(0)
    BertForMaskedLM(_config()).save_pretrained(tmp_path / "mlm")
    return tmp_path / "mlm"


def test_config_round_trip_and_defaults(tmp_path):
    config = BertConfig(hidden_size=32, num_labels=3, custom_field="kept")
    assert config.num_attention_heads == 12 and config.hidden_act == "gelu"
    assert config.id2label == {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}
    config.save_pretrained(tmp_path)
    data = json.loads((tmp_path / "config.json").read_text())
    assert data["model_type"] == "bert" and data["id2label"]["2"] == "LABEL_2"
    assert BertConfig.from_pretrained(tmp_path) == config
    assert BertConfig.from_pretrained(tmp_path).custom_field == "kept"
    data["model_type"] = "gpt2"
    (tmp_path / "config.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match="gpt2"):
        BertConfig.from_pretrained(tmp_path)


def test_outputs_by_attribute_key_and_index():
    model = BertModel(_config()).eval()
    ids, mask = padded_inputs()
    out = run_ours(model, ids, mask, output_hidden_states=True, output_attentions=True)
    assert out.last_hidden_state.shape == (3, 9, 32) and out.pooler_output.shape == (3, 32)
    assert out[0] is out.last_hidden_state and out["pooler_output"] is out[1]
    assert len(out.hidden_states) == 3 and out.hidden_states[-1] is out.last_hidden_state
    assert out.attentions[0].shape == (3, 4, 9, 9)
    # padded keys get no attention
    assert float(out.attentions[0][1, :, :, 6:].abs().max()) == 0.0
    assert "hidden_states" not in model(ember.tensor(ids))
    with pytest.raises(ValueError, match="exactly one"):
        model()


def test_padding_does_not_change_the_kept_states():
    model = BertModel(_config()).eval()
    ids, mask = padded_inputs()
    full = run_ours(model, ids, mask).last_hidden_state
    alone = model(ember.tensor(ids[1:2, :6])).last_hidden_state
    np.testing.assert_allclose(full[1, :6].detach().numpy(), alone[0].detach().numpy(),
                               atol=1e-5)


def test_heads_losses_and_gradients():
    ids, mask = padded_inputs()
    labels = np.full(ids.shape, -100)
    labels[:, 2] = ids[:, 2]
    mlm = BertForMaskedLM(_config())
    out = run_ours(mlm, ids, mask, labels=ember.tensor(labels))
    assert out.logits.shape == (3, 9, 99) and out.loss.ndim == 0
    out.loss.backward()
    assert mlm.bert.embeddings.word_embeddings.weight.grad is not None
    seq = BertForSequenceClassification(_config(num_labels=3))
    out = run_ours(seq, ids, mask, labels=ember.tensor([0, 2, 1]))
    assert out.logits.shape == (3, 3) and float(out.loss) > 0
    reg = BertForSequenceClassification(_config(num_labels=1))
    assert run_ours(reg, ids, mask, labels=ember.tensor([0.5, 1.0, 2.0])).loss.ndim == 0
    tok = BertForTokenClassification(_config(num_labels=5))
    out = run_ours(tok, ids, mask, labels=ember.tensor(np.where(mask == 1, 1, -100)))
    assert out.logits.shape == (3, 9, 5) and out.loss.ndim == 0


def test_tied_decoder_shares_the_word_embeddings(mlm_dir):
    model = BertForMaskedLM(_config())
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight
    assert model.cls.predictions.decoder.bias is model.cls.predictions.bias
    untied = BertForMaskedLM(_config(tie_word_embeddings=False))
    assert untied.cls.predictions.decoder.weight is not \
        untied.bert.embeddings.word_embeddings.weight
    with safetensors.safe_open(mlm_dir / "model.safetensors") as f:
        keys = f.keys()
    assert "cls.predictions.decoder.weight" not in keys  # saved once, as transformers does
    assert "bert.encoder.layer.1.attention.output.LayerNorm.weight" in keys


@pytest.mark.parametrize("safe", [True, False])
def test_save_and_load_round_trip(tmp_path, safe):
    ember.manual_seed(1)
    model = BertForSequenceClassification(_config(num_labels=4)).eval()
    model.save_pretrained(tmp_path, safe_serialization=safe)
    assert (tmp_path / ("model.safetensors" if safe else "pytorch_model.bin")).exists()
    loaded = BertForSequenceClassification.from_pretrained(tmp_path)
    assert not loaded.training and loaded.config.num_labels == 4
    ids, mask = padded_inputs()
    assert_close(run_ours(loaded, ids, mask).logits, run_ours(model, ids, mask).logits)


def test_safetensors_preferred_over_bin(tmp_path):
    a, b = BertModel(_config()), BertModel(_config())
    b.save_pretrained(tmp_path, safe_serialization=False)
    a.save_pretrained(tmp_path)
    loaded = BertModel.from_pretrained(tmp_path)
    w = loaded.embeddings.word_embeddings.weight
    assert ember.equal(w, a.embeddings.word_embeddings.weight)


def test_prefix_with_and_without(mlm_dir, tmp_path):
    with pytest.warns(UserWarning, match="pooler"):
        base, info = BertModel.from_pretrained(mlm_dir, output_loading_info=True)
    assert "cls.predictions.bias" in info["unexpected_keys"]
    mlm = BertForMaskedLM.from_pretrained(mlm_dir)
    assert ember.equal(base.encoder.layer[0].output.dense.weight,
                       mlm.bert.encoder.layer[0].output.dense.weight)
    base.save_pretrained(tmp_path / "base")  # keys without the "bert." prefix
    with pytest.warns(UserWarning, match="newly initialized"):
        seq = BertForSequenceClassification.from_pretrained(tmp_path / "base")
    assert ember.equal(seq.bert.pooler.dense.weight, base.pooler.dense.weight)
    # the MLM head is missing from a base checkpoint: initialised, tied to the loaded embeddings
    with pytest.warns(UserWarning, match="cls.predictions.transform"):
        again = BertForMaskedLM.from_pretrained(tmp_path / "base")
    assert again.cls.predictions.decoder.weight is again.bert.embeddings.word_embeddings.weight


def test_strict_errors_and_legacy_names(tmp_path):
    model = BertModel(_config())
    state = {k: v.detach() for k, v in model.state_dict().items()}
    model.config.save_pretrained(tmp_path)
    broken = dict(state)
    del broken["encoder.layer.0.intermediate.dense.weight"]
    safetensors.save_file(broken, tmp_path / "model.safetensors")
    with pytest.raises(RuntimeError, match="intermediate.dense.weight"):
        BertModel.from_pretrained(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        BertModel.from_pretrained(tmp_path, strict=False)
    legacy = {k.replace("LayerNorm.weight", "LayerNorm.gamma")
              .replace("LayerNorm.bias", "LayerNorm.beta"): v for k, v in state.items()}
    legacy["embeddings.position_ids"] = ember.arange(64)[None]
    safetensors.save_file(legacy, tmp_path / "model.safetensors")
    loaded = BertModel.from_pretrained(tmp_path)
    assert ember.equal(loaded.embeddings.LayerNorm.weight, model.embeddings.LayerNorm.weight)
    safetensors.save_file({**state, "encoder.layer.0.extra.weight": ember.zeros(2)},
                          tmp_path / "model.safetensors")
    with pytest.raises(RuntimeError, match="extra.weight"):
        BertModel.from_pretrained(tmp_path)
    with pytest.raises(OSError, match="model.safetensors"):
        (tmp_path / "model.safetensors").unlink()
        BertModel.from_pretrained(tmp_path)


def test_from_pretrained_through_the_hub(mlm_dir, tmp_path, monkeypatch):
    from local_http_server import serve

    import ember.hub
    monkeypatch.setattr(ember.hub, "_hub_dir", str(tmp_path / "hub"))
    with serve() as server:
        monkeypatch.setenv("EMBER_HF_ENDPOINT", server.url(""))
        for name in ("config.json", "model.safetensors"):
            server.files[f"/org/tiny-bert/resolve/v1/{name}"] = (mlm_dir / name).read_bytes()
        model = BertForMaskedLM.from_pretrained("org/tiny-bert", revision="v1")
        local = BertForMaskedLM.from_pretrained(mlm_dir)
        ids, mask = padded_inputs()
        assert_close(run_ours(model, ids, mask).logits, run_ours(local, ids, mask).logits)
        count = len(server.requests)
        BertForMaskedLM.from_pretrained("org/tiny-bert", revision="v1")  # from the cache
        assert not any(r.endswith(("config.json", "model.safetensors"))
                       for r in server.requests[count:])


# ------------------------------------------------------------------ parity with transformers
HEADS = [("BertModel", BertModel, "last_hidden_state", {}),
         ("BertForMaskedLM", BertForMaskedLM, "logits", {}),
         ("BertForSequenceClassification", BertForSequenceClassification, "logits",
          {"num_labels": 3}),
         ("BertForTokenClassification", BertForTokenClassification, "logits",
          {"num_labels": 5})]


@pytest.mark.parity
@pytest.mark.parametrize("safe", [True, False])
@pytest.mark.parametrize("hf_name,cls,field,extra", HEADS)
def test_parity_with_transformers(tmp_path, hf_name, cls, field, extra, safe):
    hf = hf_model(hf_name, "BertConfig", **BERT_KW, **extra)
    hf.save_pretrained(tmp_path, safe_serialization=safe)
    ours = cls.from_pretrained(tmp_path)  # strict
    ids, mask = padded_inputs()
    types = np.zeros_like(ids)
    types[:, 5:] = 1
    a = run_ours(ours, ids, mask, token_type_ids=ember.tensor(types), output_hidden_states=True)
    import torch
    b = run_hf(hf, ids, mask, token_type_ids=torch.tensor(types), output_hidden_states=True)
    per_token = a[field].ndim == 3
    assert_close(a[field], b[field], mask if per_token else None)
    for x, y in zip(a.hidden_states, b.hidden_states, strict=True):
        assert_close(x, y, mask)
    if hf_name == "BertModel":
        assert_close(a.pooler_output, b.pooler_output)


@pytest.mark.parity
def test_parity_exact_and_tanh_gelu(tmp_path):
    hf = hf_model("BertModel", "BertConfig", **BERT_KW, hidden_act="gelu_new")
    hf.save_pretrained(tmp_path)
    ids, mask = padded_inputs()
    assert_close(run_ours(BertModel.from_pretrained(tmp_path), ids, mask).last_hidden_state,
                 run_hf(hf, ids, mask).last_hidden_state, mask)


@pytest.mark.parity
def test_transformers_cross_loads_like_us(tmp_path):
    import transformers
    hf = hf_model("BertForMaskedLM", "BertConfig", **BERT_KW)
    hf.save_pretrained(tmp_path / "mlm")
    with pytest.warns(UserWarning):
        base = BertModel.from_pretrained(tmp_path / "mlm")
    hf_base = transformers.BertModel.from_pretrained(tmp_path / "mlm").eval()
    ids, mask = padded_inputs()
    assert_close(run_ours(base, ids, mask).last_hidden_state,
                 run_hf(hf_base, ids, mask).last_hidden_state, mask)
    hf_base.save_pretrained(tmp_path / "base")
    with pytest.warns(UserWarning):
        mlm = BertForMaskedLM.from_pretrained(tmp_path / "base")
    assert ember.equal(mlm.bert.embeddings.word_embeddings.weight,
                       base.embeddings.word_embeddings.weight)


@pytest.mark.parity
@pytest.mark.parametrize("safe", [True, False])
def test_transformers_reads_our_save_pretrained(tmp_path, safe):
    import transformers
    ember.manual_seed(3)
    ours = BertForMaskedLM(_config()).eval()
    ours.save_pretrained(tmp_path, safe_serialization=safe)
    hf = transformers.BertForMaskedLM.from_pretrained(tmp_path).eval()
    ids, mask = padded_inputs()
    assert_close(run_ours(ours, ids, mask).logits, run_hf(hf, ids, mask).logits, mask)
