"""Build a `tokenizers` tokenizer from a SentencePiece `.model` file: Unigram (T5, ALBERT,
XLNet, mT5, ...) or BPE.

The file is a protocol buffer; the few fields needed (the pieces with their scores and types,
the trainer's special ids and model type, the normalizer's precompiled character map and
whitespace options) are read here with a small wire-format reader, so neither `sentencepiece`
nor `protobuf` is needed at run time.
"""
import struct

from tokenizers import Regex
from tokenizers import Tokenizer as Backend
from tokenizers import decoders, models, normalizers, pre_tokenizers, processors

from .tokenizer import SPECIAL_TOKENS

__all__ = ["load_sentencepiece", "read_model_proto"]

# SentencePiece.Type and TrainerSpec.ModelType values (sentencepiece_model.proto).
_UNKNOWN, _CONTROL = 2, 3
_MODEL_TYPES = {1: "unigram", 2: "bpe", 3: "word", 4: "char"}


def _varint(data, pos):
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(data):
    """(field number, value) of each field of one message: ints for varints, bytes for
    length-delimited fields, floats for 32-bit fields (the only fixed width the file uses)."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            size, pos = _varint(data, pos)
            value, pos = bytes(data[pos:pos + size]), pos + size
        elif wire == 5:
            value, pos = struct.unpack_from("<f", data, pos)[0], pos + 4
        elif wire == 1:
            value, pos = struct.unpack_from("<d", data, pos)[0], pos + 8
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if pos > len(data):
            raise ValueError("truncated field")
        yield number, value


def read_model_proto(path):
    """The parts of a SentencePiece ModelProto a fast tokenizer needs, as a dict."""
    with open(path, "rb") as f:
        data = f.read()
    # proto3-style defaults of sentencepiece_model.proto where a field is absent
    out = {"pieces": [], "model_type": "unigram", "unk_id": 0, "bos_id": 1, "eos_id": 2,
           "pad_id": -1, "byte_fallback": False, "precompiled_charsmap": b"",
           "add_dummy_prefix": True, "remove_extra_whitespaces": True}
    trainer = {3: "model_type", 35: "byte_fallback", 40: "unk_id", 41: "bos_id", 42: "eos_id",
               43: "pad_id"}
    normalizer = {2: "precompiled_charsmap", 3: "add_dummy_prefix",
                  4: "remove_extra_whitespaces"}
    try:
        for number, value in _fields(data):
            if number == 1:
                piece = dict(_fields(value))
                out["pieces"].append((piece.get(1, b"").decode("utf-8"), piece.get(2, 0.0),
                                      piece.get(3, 1)))
            elif number in (2, 3):
                names = trainer if number == 2 else normalizer
                for field, inner in _fields(value):
                    if field in names:
                        out[names[field]] = inner
    except (ValueError, struct.error, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: not a SentencePiece model file ({e})") from None
    if not out["pieces"]:
        raise ValueError(f"{path}: not a SentencePiece model file (no pieces)")
    out["model_type"] = _MODEL_TYPES.get(out["model_type"], out["model_type"])
    for key in ("unk_id", "bos_id", "eos_id", "pad_id"):  # -1 is stored as a 64-bit varint
        if out[key] >= 1 << 63:
            out[key] -= 1 << 64
    return out


def _token(proto, key):
    index = proto[key + "_id"]
    return proto["pieces"][index][0] if 0 <= index < len(proto["pieces"]) else None


def _bpe_model(proto):
    """SentencePiece BPE as a merge list: its encoder repeatedly joins the adjacent pair whose
    joined piece scores highest, so every way of splitting a piece into two pieces of the
    vocabulary becomes a merge, ranked by the joined piece's score (ties by the halves' ids)."""
    vocab = {piece: i for i, (piece, _, _) in enumerate(proto["pieces"])}
    ranked = []
    for piece, score, kind in proto["pieces"]:
        if kind in (_UNKNOWN, _CONTROL):
            continue
        halves = [(piece[:k], piece[k:]) for k in range(1, len(piece))
                  if piece[:k] in vocab and piece[k:] in vocab]
        halves.sort(key=lambda lr: (vocab[lr[0]], vocab[lr[1]]))
        ranked += [(-score, vocab[piece], n, lr) for n, lr in enumerate(halves)]
    merges = [lr for *_, lr in sorted(ranked)]
    unk = proto["pieces"][proto["unk_id"]][0] if 0 <= proto["unk_id"] < len(vocab) else None
    return models.BPE(vocab, merges, unk_token=unk, fuse_unk=True,
                      byte_fallback=bool(proto["byte_fallback"]))


def load_sentencepiece(cls, model_file, kwargs):
    """A Tokenizer equal to SentencePiece's own encoding of `model_file` (Unigram and BPE
    models).

    `tokenizer_class` "T5Tokenizer"/"T5TokenizerFast" adds T5's `</s>` after each text and its
    `extra_ids` (100 unless given) sentinel tokens, as transformers' T5 tokenizers do."""
    proto = read_model_proto(model_file)
    t5 = (kwargs.get("tokenizer_class") or "").startswith("T5")
    # T5's sentinels <extra_id_0..n-1> follow the pieces, the last id being <extra_id_0>.
    extra = [f"<extra_id_{i}>" for i in reversed(range(kwargs.pop("extra_ids", 100)))] \
        if t5 else []
    if proto["model_type"] == "unigram":
        if extra:
            proto["pieces"] = proto["pieces"] + [(t, 0.0, _CONTROL) for t in extra]
            kwargs.setdefault("additional_special_tokens", extra[::-1])
        backend = Backend(models.Unigram([(p, s) for p, s, _ in proto["pieces"]],
                                         proto["unk_id"], bool(proto["byte_fallback"])))
    elif proto["model_type"] == "bpe":
        backend = Backend(_bpe_model(proto))
    else:
        raise ValueError(f"Tokenizer.from_sentencepiece: {model_file} is a "
                         f"{proto['model_type']!r} SentencePiece model; only Unigram and BPE "
                         "models convert (load the repository's tokenizer.json instead)")
    # SentencePiece: NFKC-style character map, then (optionally) collapse runs of spaces and
    # strip the ends, then mark word starts with "▁" (add_dummy_prefix: the first word too).
    steps = []
    if proto["precompiled_charsmap"]:
        steps.append(normalizers.Precompiled(proto["precompiled_charsmap"]))
    scheme = "always" if proto["add_dummy_prefix"] else "never"
    metaspace = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme=scheme, split=True)
    if proto["remove_extra_whitespaces"] and proto["add_dummy_prefix"]:
        # as transformers builds it: split on whitespace, then "▁" before every word
        backend.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.WhitespaceSplit(), metaspace])
    else:
        if proto["remove_extra_whitespaces"]:
            steps += [normalizers.Strip(), normalizers.Replace(Regex(" {2,}"), " ")]
        backend.pre_tokenizer = metaspace
    if steps:
        backend.normalizer = normalizers.Sequence(steps)
    if proto["byte_fallback"]:  # <0xE2> style pieces: bytes to merge back into characters
        steps = [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()]
        if proto["add_dummy_prefix"]:
            steps.append(decoders.Strip(" ", 1, 0))
        backend.decoder = decoders.Sequence(steps)
    else:
        backend.decoder = decoders.Metaspace(replacement="▁", prepend_scheme=scheme, split=True)
    specials = {k: _token(proto, k[:-6]) for k in ("unk_token", "bos_token", "eos_token",
                                                     "pad_token")}
    specials = {k: v for k, v in specials.items() if v is not None}
    specials.update({k: kwargs.pop(k) for k in SPECIAL_TOKENS if k in kwargs})
    # control pieces (e.g. <s>, </s>, <pad>) are never produced from text
    controls = [p for p, _, kind in proto["pieces"] if kind in (_UNKNOWN, _CONTROL)]
    backend.add_special_tokens(controls)
    eos = specials.get("eos_token")
    if t5 and eos is not None:
        backend.post_processor = processors.TemplateProcessing(
            single=f"$A:0 {eos}:0", pair=f"$A:0 {eos}:0 $B:0 {eos}:0",
            special_tokens=[(eos, backend.token_to_id(eos))])
    return cls(backend, **specials, **kwargs)
