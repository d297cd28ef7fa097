"""embertext.tokenizers: loading, encoding, decoding, training; parity with transformers."""
import json

import numpy as np
import pytest

import ember
from embertext.tokenizers import (BatchEncoding, Tokenizer, train_bpe, train_byte_level_bpe,
                                  train_unigram, train_wordpiece)

CORPUS = ["Hello world, the cat sat on the mat.", "The dog barked at the cat!",
          "Worlds apart: hello cats and dogs.", "naïve café owners don't like it"] * 10
TEXTS = ["Hello worlds, the CAT.", "the dog", "café naïve hello it's"]
PAIRS = ["a cat sat", "dogs!", "worlds"]


@pytest.fixture(scope="module")
def bert_dir(tmp_path_factory):
    """A BERT directory: vocab.txt from a trained WordPiece, lower-casing config."""
    trained = train_wordpiece(CORPUS, vocab_size=120, min_frequency=1)
    vocab = sorted(trained.get_vocab().items(), key=lambda kv: kv[1])
    folder = tmp_path_factory.mktemp("bert")
    (folder / "vocab.txt").write_text("".join(t + "\n" for t, _ in vocab), encoding="utf-8")
    (folder / "tokenizer_config.json").write_text(json.dumps(
        {"do_lower_case": True, "model_max_length": 16, "tokenizer_class": "BertTokenizer"}))
    return folder


@pytest.fixture(scope="module")
def gpt2_dir(tmp_path_factory):
    trained = train_byte_level_bpe(CORPUS, vocab_size=300, min_frequency=1)
    folder = tmp_path_factory.mktemp("gpt2")
    trained.backend_tokenizer.model.save(str(folder))  # vocab.json + merges.txt
    return folder


def test_bert_vocab_encodes_pairs_with_types(bert_dir):
    tok = Tokenizer.from_pretrained(bert_dir)
    enc = tok(TEXTS, PAIRS, padding=True, return_tensors="ember")
    assert isinstance(enc, BatchEncoding) and set(enc) == {"input_ids", "token_type_ids",
                                                           "attention_mask"}
    ids = enc.input_ids
    assert ids.dtype == ember.int64 and ids.shape[0] == 3
    row = ids[1].tolist()
    assert row[0] == tok.cls_token_id and row.count(tok.sep_token_id) == 2
    types, mask = enc["token_type_ids"][1].tolist(), enc["attention_mask"][1].tolist()
    first_sep = row.index(tok.sep_token_id)
    assert types[:first_sep + 1] == [0] * (first_sep + 1) and types[first_sep + 1] == 1
    assert mask[-1] == 0 and row[-1] == tok.pad_token_id  # padded to the longest
    assert tok.decode(ids[1], skip_special_tokens=True) == "the dog dogs!"
    assert tok.tokenize("CAT") == ["cat"]  # do_lower_case


def test_padding_truncation_and_return_types(bert_dir):
    tok = Tokenizer.from_pretrained(bert_dir)
    assert tok.model_max_length == 16
    enc = tok(TEXTS, padding="max_length", max_length=12, return_tensors="np")
    assert enc["input_ids"].shape == (3, 12) and enc["input_ids"].dtype == np.int64
    short = tok(TEXTS[0] * 5, truncation=True)
    assert len(short["input_ids"]) == 16 and short["input_ids"][-1] == tok.sep_token_id
    single = tok("the cat", return_tensors="ember")
    assert single["input_ids"].shape[0] == 1  # kept 2-D as in transformers
    assert tok.encode("the cat") == single["input_ids"][0].tolist()
    left = tok(TEXTS, padding=True, padding_side="left")
    assert left["attention_mask"][1][0] == 0
    with pytest.raises(ValueError, match="padding=True"):
        tok(TEXTS, return_tensors="ember")
    with pytest.raises(ValueError, match="padding must be"):
        tok(TEXTS, padding="shortest")
    with pytest.raises(ValueError, match="return_tensors"):
        tok(TEXTS, padding=True, return_tensors="tf")


def test_offsets_special_mask_and_word_ids(bert_dir):
    tok = Tokenizer.from_pretrained(bert_dir)
    enc = tok(["Hello worlds"], return_offsets_mapping=True, return_special_tokens_mask=True,
              return_length=True, return_tensors="ember")
    assert enc["offset_mapping"].shape == (1, enc["length"][0].item(), 2)
    spans = [tuple(o) for o in enc["offset_mapping"][0].tolist()]
    assert spans[0] == (0, 0) and spans[1] == (0, 5)
    assert enc["special_tokens_mask"][0].tolist()[0] == 1
    assert enc.word_ids(0)[0] is None and enc.word_ids(0)[1] == 0


def test_vocab_conversions_and_special_tokens(bert_dir):
    tok = Tokenizer.from_pretrained(bert_dir)
    assert tok.convert_tokens_to_ids("[CLS]") == tok.cls_token_id
    assert tok.convert_tokens_to_ids(["cat", "zzzz"])[1] == tok.unk_token_id
    assert tok.convert_ids_to_tokens([tok.cls_token_id, tok.sep_token_id]) == ["[CLS]", "[SEP]"]
    assert tok.vocab_size == len(tok)
    assert tok.add_tokens(["<new>"]) == 1 and len(tok) == tok.vocab_size + 1
    assert tok.tokenize("a <new> cat")[1] == "<new>"
    assert tok.add_special_tokens({"additional_special_tokens": ["<extra>"]}) == 1
    assert "<extra>" in tok.all_special_tokens
    assert tok.batch_decode(np.array([[tok.cls_token_id, tok.convert_tokens_to_ids("cat")]]),
                            skip_special_tokens=True) == ["cat"]
    with pytest.raises(ValueError, match="unknown key"):
        tok.add_special_tokens({"foo_token": "x"})


def test_gpt2_files_and_pad_token(gpt2_dir):
    tok = Tokenizer.from_pretrained(gpt2_dir)
    assert tok.eos_token == "<|endoftext|>" and tok.pad_token is None
    assert "token_type_ids" not in tok("hello world")
    with pytest.raises(ValueError, match="padding token"):
        tok(TEXTS, padding=True)
    tok.pad_token = tok.eos_token
    enc = tok(TEXTS, padding=True, return_tensors="ember")
    assert tok.batch_decode(enc["input_ids"], skip_special_tokens=True) == TEXTS


@pytest.mark.parametrize("train,kwargs", [
    (train_wordpiece, {"vocab_size": 100, "min_frequency": 1}),
    (train_bpe, {"vocab_size": 100, "min_frequency": 1}),
    (train_byte_level_bpe, {"vocab_size": 300, "min_frequency": 1, "pad_token": "<pad>",
                            "special_tokens": ["<|endoftext|>", "<pad>"]}),
    (train_unigram, {"vocab_size": 60}),
])
def test_train_save_reload(tmp_path, train, kwargs):
    tok = train(CORPUS, **kwargs)
    enc = tok(TEXTS[:2], padding=True)
    tok.save_pretrained(tmp_path)
    again = Tokenizer.from_pretrained(tmp_path)
    assert again(TEXTS[:2], padding=True) == enc
    assert again.special_tokens_map == tok.special_tokens_map
    assert again.decode(enc["input_ids"][1], skip_special_tokens=True).lower() == "the dog"


def test_train_from_files(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(CORPUS), encoding="utf-8")
    tok = train_wordpiece(str(corpus), vocab_size=100, min_frequency=1)
    assert tok.tokenize("hello cat") == ["hello", "cat"]


def test_tokenizer_json_and_errors(tmp_path):
    tok = train_unigram(CORPUS, vocab_size=60)
    tok.backend_tokenizer.save(str(tmp_path / "tokenizer.json"))
    loaded = Tokenizer.from_file(tmp_path / "tokenizer.json", pad_token="<pad>")
    assert loaded("the cat")["input_ids"] == tok("the cat")["input_ids"]
    with pytest.raises(OSError, match="tokenizer.json"):
        Tokenizer.from_pretrained(tmp_path / "missing")
    with pytest.raises(TypeError, match="unexpected"):
        Tokenizer(tok.backend_tokenizer, foo_token="x")


def test_from_pretrained_repo_id_through_hub(tmp_path, monkeypatch, bert_dir):
    from local_http_server import serve
    import ember.hub
    monkeypatch.setattr(ember.hub, "_hub_dir", str(tmp_path / "hub"))
    with serve() as server:
        monkeypatch.setenv("EMBER_HF_ENDPOINT", server.url(""))
        for name in ("vocab.txt", "tokenizer_config.json"):
            server.files[f"/org/bert/resolve/main/{name}"] = (bert_dir / name).read_bytes()
        tok = Tokenizer.from_pretrained("org/bert")
        assert tok("the cat")["input_ids"] == Tokenizer.from_pretrained(bert_dir)(
            "the cat")["input_ids"]
        count = len(server.requests)
        Tokenizer.from_pretrained("org/bert")  # cached: only the missing optional files asked
        assert all("vocab.txt" not in r for r in server.requests[count:])


# ------------------------------------------------------------------ parity with transformers
CASES = [dict(padding=True), dict(padding="max_length", max_length=14, truncation=True),
         dict(padding=True, truncation=True, max_length=6)]


def _compare(ours, theirs, kwargs, pairs, offsets=True):
    a = ours(TEXTS, pairs, return_offsets_mapping=offsets, **kwargs)
    b = theirs(TEXTS, pairs, return_offsets_mapping=offsets, **kwargs)
    assert dict(a) == {k: [list(map(tuple, r)) if k == "offset_mapping" else list(r)
                           for r in v] for k, v in b.items()}
    for row in a["input_ids"]:
        for skip in (False, True):
            assert ours.decode(row, skip_special_tokens=skip) == theirs.decode(
                row, skip_special_tokens=skip)


@pytest.mark.parity
@pytest.mark.parametrize("kwargs", CASES)
@pytest.mark.parametrize("pairs", [None, PAIRS])
def test_bert_parity_with_transformers(bert_dir, kwargs, pairs):
    transformers = pytest.importorskip("transformers")
    theirs = transformers.BertTokenizerFast(vocab=str(bert_dir / "vocab.txt"),
                                            do_lower_case=True)
    ours = Tokenizer.from_bert_vocab(bert_dir / "vocab.txt", do_lower_case=True)
    _compare(ours, theirs, kwargs, pairs)


@pytest.mark.parity
@pytest.mark.parametrize("kwargs", CASES)
@pytest.mark.parametrize("pairs", [None, PAIRS])
def test_gpt2_parity_with_transformers(gpt2_dir, kwargs, pairs):
    transformers = pytest.importorskip("transformers")
    vocab = json.loads((gpt2_dir / "vocab.json").read_text(encoding="utf-8"))
    merges = [tuple(line.split()) for line in
              (gpt2_dir / "merges.txt").read_text(encoding="utf-8").splitlines()[1:] if line]
    theirs = transformers.GPT2TokenizerFast(vocab=vocab, merges=merges)
    theirs.pad_token = theirs.eos_token
    ours = Tokenizer.from_gpt2_files(gpt2_dir / "vocab.json", gpt2_dir / "merges.txt")
    ours.pad_token = ours.eos_token
    _compare(ours, theirs, kwargs, pairs)
