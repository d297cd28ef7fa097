"""embertext.pipelines on tiny trained tokenizers and random models saved to directories."""
import numpy as np
import pytest

import ember
from embertext.models import (BertConfig, BertForMaskedLM, BertForSequenceClassification,
                              BertModel, GPT2Config, GPT2LMHeadModel)
from embertext.pipelines import FillMask, SentenceEmbedding, TextClassification, TextGeneration
from embertext.tokenizers import Tokenizer, train_byte_level_bpe, train_wordpiece

CORPUS = ["the cat sat on the mat", "a dog barked at the cat", "hello world of cats and dogs",
          "the mat was red"] * 5


@pytest.fixture(scope="module")
def bert_tok():
    return train_wordpiece(CORPUS, vocab_size=80, min_frequency=1)


def _bert_dir(folder, tok, cls, **kw):
    ember.manual_seed(0)
    config = BertConfig(vocab_size=len(tok), hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=24, max_position_embeddings=32,
                        **kw)
    cls(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def test_sentence_embedding_mean_pools_and_normalises(tmp_path, bert_tok):
    pipe = SentenceEmbedding.from_pretrained(_bert_dir(tmp_path, bert_tok, BertModel),
                                             batch_size=2)
    texts = ["the cat", "a dog barked at the red mat", "hello"]
    emb = pipe(texts)
    assert emb.shape == (3, 16)
    np.testing.assert_allclose(emb.norm(dim=1).numpy(), 1.0, rtol=1e-5)
    # each text alone (no padding) gives the same vector as inside a padded batch
    for i, text in enumerate(texts):
        np.testing.assert_allclose(pipe(text).numpy(), emb[i].numpy(), atol=1e-5)
    # the plain mean over the tokens, as sentence-transformers computes it
    enc = bert_tok("the cat", return_tensors="ember")
    with ember.no_grad():
        hidden = pipe.model(**enc).last_hidden_state[0]
    manual = hidden.mean(0)
    np.testing.assert_allclose(pipe("the cat").numpy(), (manual / manual.norm()).numpy(),
                               atol=1e-5)
    raw = SentenceEmbedding(pipe.model, bert_tok, normalize=False)("the cat")
    np.testing.assert_allclose(raw.numpy(), manual.numpy(), atol=1e-5)


def test_text_classification(tmp_path, bert_tok):
    labels = {0: "neg", 1: "pos", 2: "neutral"}
    pipe = TextClassification.from_pretrained(_bert_dir(
        tmp_path, bert_tok, BertForSequenceClassification, id2label=labels))
    out = pipe(["the cat", "a dog"])
    assert [set(r) for r in out] == [{"label", "score"}] * 2
    assert all(r["label"] in labels.values() and 0 < r["score"] <= 1 for r in out)
    ranked = pipe("the cat", top_k=3)[0]
    assert sum(r["score"] for r in ranked) == pytest.approx(1.0, abs=1e-5)
    assert ranked[0]["score"] >= ranked[1]["score"] >= ranked[2]["score"]
    assert ranked[0] == pipe("the cat")[0]


def test_fill_mask(tmp_path, bert_tok):
    pipe = FillMask.from_pretrained(_bert_dir(tmp_path, bert_tok, BertForMaskedLM))
    out = pipe("the [MASK] sat", top_k=3)
    assert len(out) == 3 and out[0]["score"] >= out[1]["score"]
    assert out[0]["sequence"] == bert_tok.decode(
        bert_tok("the x sat")["input_ids"][:2] + [out[0]["token"]]
        + bert_tok("the x sat")["input_ids"][3:], skip_special_tokens=True)
    assert len(pipe("[MASK] cat [MASK]", top_k=2)) == 2
    with pytest.raises(ValueError, match="no \\[MASK\\]"):
        pipe("the cat")


def test_text_generation(tmp_path):
    tok = train_byte_level_bpe(CORPUS, vocab_size=300, min_frequency=1)
    ember.manual_seed(0)
    config = GPT2Config(vocab_size=len(tok), n_embd=16, n_layer=1, n_head=2, n_positions=64,
                        bos_token_id=tok.eos_token_id, eos_token_id=tok.eos_token_id)
    GPT2LMHeadModel(config).save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    pipe = TextGeneration.from_pretrained(tmp_path)
    out = pipe("the cat", max_new_tokens=5)
    assert len(out) == 1 and out[0]["generated_text"].startswith("the cat")
    ids = Tokenizer.from_pretrained(tmp_path)("the cat", return_tensors="ember")["input_ids"]
    expected = pipe.model.generate(ids, max_new_tokens=5)[0, ids.shape[1]:].tolist()
    assert out[0]["generated_text"] == "the cat" + tok.decode(expected,
                                                             skip_special_tokens=True)
    many = pipe(["the cat", "a dog"], max_new_tokens=3, return_full_text=False)
    assert len(many) == 2 and not many[0][0]["generated_text"].startswith("the cat")
    with pytest.raises(ValueError, match="text-generation"):
        TextGeneration.from_pretrained(_bert_dir(tmp_path / "b", train_wordpiece(
            CORPUS, vocab_size=80, min_frequency=1), BertModel))


def test_text_generation_batches_with_left_padding():
    """A batch of prompts of different lengths (left-padded with eos, GPT-2 has no pad token)
    gives what each prompt gives alone."""
    tok = train_byte_level_bpe(CORPUS, vocab_size=300, min_frequency=1)
    ember.manual_seed(0)
    config = GPT2Config(vocab_size=len(tok), n_embd=16, n_layer=1, n_head=2, n_positions=64,
                        bos_token_id=tok.eos_token_id, eos_token_id=tok.eos_token_id)
    model = GPT2LMHeadModel(config)
    prompts = ["the cat sat on the mat", "a dog"]
    batched = TextGeneration(model, tok, batch_size=2)(prompts, max_new_tokens=6)
    alone = TextGeneration(model, tok, batch_size=1)(prompts, max_new_tokens=6)
    assert batched == alone


@pytest.mark.parity
def test_text_generation_batch_parity_with_transformers(tmp_path):
    import torch
    import transformers
    tok = train_byte_level_bpe(CORPUS, vocab_size=300, min_frequency=1)
    eos = tok.eos_token_id
    torch.manual_seed(0)
    hf = transformers.GPT2LMHeadModel(transformers.GPT2Config(
        vocab_size=len(tok), n_embd=16, n_layer=2, n_head=2, n_positions=64, bos_token_id=eos,
        eos_token_id=eos)).eval()
    hf.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    prompts = ["the cat sat on the mat", "a dog"]
    got = TextGeneration.from_pretrained(tmp_path)(prompts, max_new_tokens=8,
                                                   return_full_text=False)
    rows = [tok(p)["input_ids"] for p in prompts]
    width = max(map(len, rows))
    ids = torch.tensor([[eos] * (width - len(r)) + r for r in rows])
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
    out = hf.generate(ids, attention_mask=mask, max_new_tokens=8, do_sample=False,
                      pad_token_id=eos)
    expected = [tok.decode(r[width:], skip_special_tokens=True) for r in out.tolist()]
    assert [g[0]["generated_text"] for g in got] == expected
