"""Tokenizers from SentencePiece `.model` files: the same ids as sentencepiece itself and as
transformers' T5 tokenizer; the protobuf reader's error paths."""
import struct

import pytest

from embertext.tokenizers import Tokenizer

CORPUS = ["Hello world, the cat sat on the mat.", "The dog barked at the cat!",
          "Worlds apart: hello cats and dogs.", "naïve café owners don't like it"] * 10
TEXTS = ["Hello  worlds, the CAT.", "  the dog ", "café naïve ﬁ① hello it's", "zebra quux"]


def _train(folder, name="spiece.model", vocab_size=45, model_type="unigram", **options):
    spm = pytest.importorskip("sentencepiece")
    prefix = folder / "sp"
    spm.SentencePieceTrainer.train(sentence_iterator=iter(CORPUS), model_prefix=str(prefix),
                                   vocab_size=vocab_size, model_type=model_type, pad_id=0,
                                   eos_id=1, unk_id=2, bos_id=-1, minloglevel=2, **options)
    target = folder / name
    (folder / "sp.model").rename(target)
    return target, spm.SentencePieceProcessor(model_file=str(target))


@pytest.mark.parametrize("model_type", ["unigram", "bpe"])
@pytest.mark.parametrize("options", [{}, {"byte_fallback": True, "vocab_size": 300},
                                     {"add_dummy_prefix": False},
                                     {"normalization_rule_name": "identity"}])
def test_same_ids_as_sentencepiece(tmp_path, options, model_type):
    if model_type == "bpe" and "vocab_size" not in options:
        options = {**options, "vocab_size": 60}  # BPE needs room for its merged pieces
    model_file, sp = _train(tmp_path, model_type=model_type, **options)
    ours = Tokenizer.from_sentencepiece(model_file)
    assert len(ours) == sp.get_piece_size()
    assert ours.unk_token == "<unk>" and ours.pad_token_id == 0 and ours.eos_token_id == 1
    assert ours.bos_token is None
    for text in TEXTS:
        ids = ours(text)["input_ids"]
        assert ids == sp.encode(text), text
        if options.get("byte_fallback"):  # every character is representable: exact round trip
            assert ours.decode(ids) == sp.decode(ids)


def test_t5_sentinels(tmp_path):
    model_file, sp = _train(tmp_path)
    tok = Tokenizer.from_sentencepiece(model_file, tokenizer_class="T5Tokenizer")
    n = sp.get_piece_size()
    assert len(tok) == n + 100
    assert tok.convert_tokens_to_ids(["<extra_id_0>", "<extra_id_99>"]) == [n + 99, n]
    ids = tok("a <extra_id_3> b")["input_ids"]
    assert n + 96 in ids and tok.decode(ids, skip_special_tokens=True) == "a b"
    few = Tokenizer.from_sentencepiece(model_file, tokenizer_class="T5Tokenizer", extra_ids=2)
    assert len(few) == n + 2


def test_from_pretrained_directory_and_t5_template(tmp_path):
    model_file, sp = _train(tmp_path, name="sentencepiece.bpe.model")
    tok = Tokenizer.from_pretrained(tmp_path, tokenizer_class="T5Tokenizer")
    enc = tok(TEXTS[:2], padding=True, return_tensors="ember")
    assert set(enc) == {"input_ids", "attention_mask"}  # T5 takes no token types
    first = enc["input_ids"][0].tolist()
    assert first == sp.encode(TEXTS[0]) + [tok.eos_token_id]
    assert tok.decode(first, skip_special_tokens=True) == "Hello worlds, the T."  # CA: unk
    assert tok.tokenize("the cat")[0].startswith("▁")
    tok.save_pretrained(tmp_path / "saved")  # reloads through tokenizer.json
    again = Tokenizer.from_pretrained(tmp_path / "saved")
    assert again(TEXTS)["input_ids"] == tok(TEXTS)["input_ids"]


def _message(*fields):
    """A protobuf message from (number, value) pairs: ints as varints, bytes length-delimited."""
    out = b""
    for number, value in fields:
        if isinstance(value, int):
            out += bytes([number << 3]) + bytes([value])
        else:
            out += bytes([number << 3 | 2, len(value)]) + value
    return out


def test_bpe_merges_follow_piece_scores(tmp_path):
    # Pieces a, b, c, "ab" (score -1) and "bc" (score -0.5): "abc" joins b+c first, the higher
    # scoring pair, as SentencePiece's BPE encoder does, whatever the pieces' order.
    # ids 0-2 are the unk/bos/eos defaults of a trainer spec that names none
    pieces = [(b"<unk>", 0.0, 2), (b"<s>", 0.0, 3), (b"</s>", 0.0, 3),
              (b"\xe2\x96\x81", -3.0, 1), (b"a", -2.0, 1), (b"b", -2.0, 1), (b"c", -2.0, 1),
              (b"ab", -1.0, 1), (b"bc", -0.5, 1)]
    proto = b"".join(_message((1, _message((1, p), (3, kind)) + bytes([2 << 3 | 5])
                               + struct.pack("<f", score))) for p, score, kind in pieces)
    model = tmp_path / "tiny_bpe.model"
    model.write_bytes(proto + _message((2, _message((3, 2)))))
    tok = Tokenizer.from_sentencepiece(model)
    assert tok.tokenize("abc") == ["▁", "a", "bc"]
    assert tok.tokenize("ab") == ["▁", "ab"]


def test_reader_errors(tmp_path):
    word = tmp_path / "word.model"
    piece = _message((1, b"<unk>"), (3, 2)) + bytes([2 << 3 | 5]) + struct.pack("<f", 0.0)
    word.write_bytes(_message((1, piece), (2, _message((3, 3)))))
    with pytest.raises(ValueError, match="'word' SentencePiece model"):
        Tokenizer.from_sentencepiece(word)
    junk = tmp_path / "junk.model"
    junk.write_bytes(b"\x0a\xff\xff")
    with pytest.raises(ValueError, match="not a SentencePiece model"):
        Tokenizer.from_sentencepiece(junk)
    empty = tmp_path / "empty.model"
    empty.write_bytes(_message((2, _message((3, 1)))))
    with pytest.raises(ValueError, match="no pieces"):
        Tokenizer.from_sentencepiece(empty)


@pytest.mark.parity
def test_t5_parity_with_transformers(tmp_path):
    transformers = pytest.importorskip("transformers")
    _train(tmp_path)
    theirs = transformers.T5TokenizerFast.from_pretrained(tmp_path)  # 100 sentinels
    ours = Tokenizer.from_pretrained(tmp_path, tokenizer_class="T5Tokenizer")
    assert len(ours) == len(theirs)
    texts = TEXTS + ["Hello <extra_id_0> world <extra_id_99>.", "the <extra_id_5>cat"]
    for kwargs in (dict(padding=True), dict(padding=True, truncation=True, max_length=6)):
        a, b = ours(texts, **kwargs), theirs(texts, **kwargs)
        assert dict(a) == {k: list(map(list, v)) for k, v in b.items()}
    pairs = ours(texts, texts[::-1])["input_ids"]
    assert pairs == theirs(texts, texts[::-1])["input_ids"]
    for row in pairs:
        for skip in (False, True):
            assert ours.decode(row, skip_special_tokens=skip) == theirs.decode(
                row, skip_special_tokens=skip)
