"""embertext.models.roberta and .distilbert: positions, heads, loading; parity with
transformers."""
import numpy as np
import pytest
from text_model_helpers import BERT_KW, DISTIL_KW, assert_close, hf_model, padded_inputs, \
    run_hf, run_ours

import ember
from embertext.models import (DistilBertConfig, DistilBertForMaskedLM,
                              DistilBertForSequenceClassification,
                              DistilBertForTokenClassification, DistilBertModel, RobertaConfig,
                              RobertaForMaskedLM, RobertaForSequenceClassification,
                              RobertaForTokenClassification, RobertaModel)

ROBERTA_KW = dict(BERT_KW, type_vocab_size=1)
PAD = 1  # RoBERTa's padding id


def test_roberta_positions_skip_padding():
    model = RobertaModel(RobertaConfig(**ROBERTA_KW))
    ids = ember.tensor([[0, 5, 6, PAD, PAD], [0, 7, 8, 9, 2]])
    positions = model.embeddings.default_position_ids(ids, 5, ids.device)
    assert positions.tolist() == [[2, 3, 4, 1, 1], [2, 3, 4, 5, 6]]
    assert model.embeddings.default_position_ids(None, 3, ids.device).tolist() == [[2, 3, 4]]


def test_distilbert_attribute_map_and_sinusoidal():
    config = DistilBertConfig(**DISTIL_KW, sinusoidal_pos_embds=True)
    assert config.hidden_size == 32 and config.num_attention_heads == 4
    model = DistilBertModel(config)
    table = model.embeddings.position_embeddings.weight
    assert not table.requires_grad
    assert float(table[0, 1]) == 1.0 and float(table[0, 0]) == 0.0  # cos(0), sin(0)


@pytest.mark.parametrize("cls,config", [
    (RobertaForMaskedLM, RobertaConfig(**ROBERTA_KW)),
    (RobertaForSequenceClassification, RobertaConfig(**ROBERTA_KW, num_labels=3)),
    (RobertaForTokenClassification, RobertaConfig(**ROBERTA_KW, num_labels=3)),
    (DistilBertForMaskedLM, DistilBertConfig(**DISTIL_KW)),
    (DistilBertForSequenceClassification, DistilBertConfig(**DISTIL_KW, num_labels=3)),
    (DistilBertForTokenClassification, DistilBertConfig(**DISTIL_KW, num_labels=3))])
def test_heads_round_trip_with_loss(tmp_path, cls, config):
    ember.manual_seed(0)
    model = cls(config).eval()
    ids, mask = padded_inputs(pad_id=config.pad_token_id)
    per_token = cls.__name__.endswith(("MaskedLM", "TokenClassification"))
    labels = ember.tensor(np.where(mask == 1, 2, -100) if per_token else [0, 1, 2])
    out = run_ours(model, ids, mask, labels=labels)
    assert out.loss.ndim == 0
    model.save_pretrained(tmp_path)
    loaded = cls.from_pretrained(tmp_path)
    assert_close(run_ours(loaded, ids, mask).logits, out.logits)


# ------------------------------------------------------------------ parity with transformers
CASES = [("RobertaModel", RobertaModel, "RobertaConfig", ROBERTA_KW, PAD, {}),
         ("RobertaForMaskedLM", RobertaForMaskedLM, "RobertaConfig", ROBERTA_KW, PAD, {}),
         ("RobertaForSequenceClassification", RobertaForSequenceClassification,
          "RobertaConfig", ROBERTA_KW, PAD, {"num_labels": 3}),
         ("RobertaForTokenClassification", RobertaForTokenClassification, "RobertaConfig",
          ROBERTA_KW, PAD, {"num_labels": 4}),
         ("DistilBertModel", DistilBertModel, "DistilBertConfig", DISTIL_KW, 0, {}),
         ("DistilBertForMaskedLM", DistilBertForMaskedLM, "DistilBertConfig", DISTIL_KW, 0, {}),
         ("DistilBertForSequenceClassification", DistilBertForSequenceClassification,
          "DistilBertConfig", DISTIL_KW, 0, {"num_labels": 3}),
         ("DistilBertForTokenClassification", DistilBertForTokenClassification,
          "DistilBertConfig", DISTIL_KW, 0, {"num_labels": 4})]


@pytest.mark.parity
@pytest.mark.parametrize("hf_name,cls,config_name,kw,pad,extra", CASES,
                         ids=[c[0] for c in CASES])
def test_parity_with_transformers(tmp_path, hf_name, cls, config_name, kw, pad, extra):
    hf = hf_model(hf_name, config_name, **kw, **extra)
    hf.save_pretrained(tmp_path / "safe")
    hf.save_pretrained(tmp_path / "bin", safe_serialization=False)
    ids, mask = padded_inputs(pad_id=pad)
    b = run_hf(hf, ids, mask, output_hidden_states=True)
    field = "last_hidden_state" if hf_name.endswith("Model") else "logits"
    for sub in ("safe", "bin"):
        a = run_ours(cls.from_pretrained(tmp_path / sub), ids, mask, output_hidden_states=True)
        assert_close(a[field], b[field], mask if a[field].ndim == 3 else None)
        for x, y in zip(a.hidden_states, b.hidden_states, strict=True):
            assert_close(x, y, mask)


@pytest.mark.parity
@pytest.mark.parametrize("ours_cls,hf_name", [(RobertaForMaskedLM, "RobertaForMaskedLM"),
                                              (DistilBertForMaskedLM, "DistilBertForMaskedLM")])
def test_transformers_reads_our_save_pretrained(tmp_path, ours_cls, hf_name):
    import transformers
    config = RobertaConfig(**ROBERTA_KW) if ours_cls is RobertaForMaskedLM else \
        DistilBertConfig(**DISTIL_KW)
    ember.manual_seed(2)
    ours = ours_cls(config).eval()
    ours.save_pretrained(tmp_path)
    hf = getattr(transformers, hf_name).from_pretrained(tmp_path).eval()
    ids, mask = padded_inputs(pad_id=config.pad_token_id)
    assert_close(run_ours(ours, ids, mask).logits, run_hf(hf, ids, mask).logits, mask)
