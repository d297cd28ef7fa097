"""Tokenizer.pad and overflowing windows (stride, return_overflowing_tokens); parity with
transformers' fast tokenizers."""
import numpy as np
import pytest

import ember
from embertext.tokenizers import Tokenizer, train_wordpiece

CORPUS = ["Hello world, the cat sat on the mat.", "The dog barked at the cat!",
          "Worlds apart: hello cats and dogs."] * 10
LONG = ["the cat sat on the mat the dog barked", "hello", "worlds apart hello cats and dogs"]


@pytest.fixture(scope="module")
def tok():
    return train_wordpiece(CORPUS, vocab_size=90, min_frequency=1)


def test_overflowing_windows_overlap_by_stride(tok):
    enc = tok(LONG[0], max_length=6, truncation=True, stride=2, return_overflowing_tokens=True)
    rows, mapping = enc["input_ids"], enc["overflow_to_sample_mapping"]
    assert len(rows) > 1 and mapping == [0] * len(rows)
    body = [r[1:-1] for r in rows]  # without [CLS] / [SEP]
    for a, b in zip(body, body[1:]):
        assert a[-2:] == b[:2]  # consecutive windows share `stride` tokens
    full = tok(LONG[0])["input_ids"][1:-1]
    assert body[0] + [t for b in body[1:] for t in b[2:]] == full
    batch = tok(LONG, max_length=6, truncation=True, stride=1, padding=True,
                return_overflowing_tokens=True, return_tensors="ember")
    assert batch["input_ids"].shape[1] == 6
    assert batch["overflow_to_sample_mapping"].tolist()[-1] == 2


def test_pad_lists_dicts_and_tensors(tok):
    ids = [[5, 6, 7], [8]]
    out = tok.pad({"input_ids": ids})
    assert out["input_ids"] == [[5, 6, 7], [8, tok.pad_token_id, tok.pad_token_id]]
    assert out["attention_mask"] == [[1, 1, 1], [1, 0, 0]]
    feats = [{"input_ids": [5, 6, 7], "special_tokens_mask": [1, 0, 1]},
             {"input_ids": [8], "special_tokens_mask": [1]}]
    out = tok.pad(feats, padding="max_length", max_length=5, padding_side="left",
                  return_tensors="ember")
    assert out["input_ids"].dtype == ember.int64 and out["input_ids"].shape == (2, 5)
    assert out["special_tokens_mask"][1].tolist() == [1] * 5
    assert out["attention_mask"][1].tolist() == [0, 0, 0, 0, 1]
    single = tok.pad({"input_ids": [5, 6]}, padding="max_length", max_length=4)
    assert single["input_ids"] == [5, 6, tok.pad_token_id, tok.pad_token_id]
    multiple = tok.pad({"input_ids": ids}, pad_to_multiple_of=4, return_tensors="np")
    assert multiple["input_ids"].shape == (2, 4) and multiple["input_ids"].dtype == np.int64
    encoded = tok(["the cat sat", "dog"])  # the collate_fn use: pad a tokenizer's output
    assert tok.pad(encoded, return_tensors="ember")["input_ids"].shape[0] == 2


def test_pad_errors(tok):
    with pytest.raises(ValueError, match="input_ids"):
        tok.pad({"attention_mask": [[1]]})
    with pytest.raises(ValueError, match="max_length"):
        tok.pad({"input_ids": [[1]]}, padding="max_length")
    with pytest.raises(ValueError, match="padding must be"):
        tok.pad({"input_ids": [[1]]}, padding="shortest")
    bare = Tokenizer(tok.backend_tokenizer)
    with pytest.raises(ValueError, match="no padding token"):
        bare.pad({"input_ids": [[1, 2], [1]]})


def _theirs(tok, tmp_path):
    transformers = pytest.importorskip("transformers")
    path = tmp_path / "tokenizer.json"
    tok.backend_tokenizer.save(str(path))
    return transformers.PreTrainedTokenizerFast(tokenizer_file=str(path),
                                                model_input_names=tok.model_input_names,
                                                **tok.special_tokens_map)


@pytest.mark.parity
@pytest.mark.parametrize("kwargs", [dict(max_length=6, stride=2),
                                    dict(max_length=7, stride=1, padding=True),
                                    dict(max_length=5, stride=0, padding="max_length")])
@pytest.mark.parametrize("texts", [LONG[0], LONG])
def test_overflow_parity_with_transformers(tok, tmp_path, kwargs, texts):
    theirs = _theirs(tok, tmp_path)
    a = tok(texts, truncation=True, return_overflowing_tokens=True, **kwargs)
    b = theirs(texts, truncation=True, return_overflowing_tokens=True, **kwargs)
    assert dict(a) == {k: list(map(list, v)) if k != "overflow_to_sample_mapping" else list(v)
                       for k, v in b.items()}


@pytest.mark.parity
@pytest.mark.parametrize("kwargs", [dict(), dict(padding="max_length", max_length=6),
                                    dict(pad_to_multiple_of=4, padding_side="left")])
def test_pad_parity_with_transformers(tok, tmp_path, kwargs):
    theirs = _theirs(tok, tmp_path)
    feats = [{"input_ids": [5, 6, 7], "token_type_ids": [0, 0, 1],
              "special_tokens_mask": [1, 0, 1]},
             {"input_ids": [8], "token_type_ids": [0], "special_tokens_mask": [1]}]
    a = tok.pad(feats, return_tensors="np", **kwargs)
    b = theirs.pad(feats, return_tensors="np", **kwargs)
    assert set(a) == set(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
