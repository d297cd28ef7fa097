"""Build tokenizers from the files Hugging Face repositories ship, and write them back."""
import json
import os

from tokenizers import Tokenizer as Backend
from tokenizers import decoders, models, normalizers, pre_tokenizers, processors

from .._hub import cached_file
from .tokenizer import SPECIAL_TOKENS, VERY_LARGE_INTEGER

__all__ = ["bert_template", "load_bert_vocab", "load_gpt2_files", "load_pretrained",
           "save_pretrained"]

BERT_SPECIALS = {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
                 "cls_token": "[CLS]", "mask_token": "[MASK]"}
GPT2_SPECIALS = dict.fromkeys(("unk_token", "bos_token", "eos_token"), "<|endoftext|>")
# Settings of tokenizer_config.json that map onto Tokenizer's own keyword arguments.
_CONFIG_KEYS = ("model_max_length", "padding_side", "truncation_side", "model_input_names",
                "clean_up_tokenization_spaces", "tokenizer_class", "additional_special_tokens")


def bert_template(backend, cls_token, sep_token):
    """BERT's `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]` template, B with token type 1."""
    ids = [(t, backend.token_to_id(t)) for t in (cls_token, sep_token)]
    missing = [t for t, i in ids if i is None]
    if missing:
        raise ValueError(f"BERT tokenizer: the vocabulary lacks the special tokens {missing}")
    return processors.TemplateProcessing(
        single=f"{cls_token}:0 $A:0 {sep_token}:0",
        pair=f"{cls_token}:0 $A:0 {sep_token}:0 $B:1 {sep_token}:1", special_tokens=ids)


def load_bert_vocab(cls, vocab_file, do_lower_case, kwargs):
    specials = {**BERT_SPECIALS, **{k: kwargs.pop(k) for k in SPECIAL_TOKENS if k in kwargs}}
    strip_accents = kwargs.pop("strip_accents", None)
    chinese = kwargs.pop("tokenize_chinese_chars", True)
    vocab = {}
    with open(vocab_file, encoding="utf-8") as f:
        for line in f:  # one token per line, its id the line number (as BERT's loader does)
            vocab.setdefault(line.rstrip("\n"), len(vocab))
    backend = Backend(models.WordPiece(vocab, unk_token=specials["unk_token"],
                                       max_input_chars_per_word=100))
    backend.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=chinese, strip_accents=strip_accents,
        lowercase=do_lower_case)
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.decoder = decoders.WordPiece(prefix="##")
    backend.post_processor = bert_template(backend, specials["cls_token"], specials["sep_token"])
    kwargs.setdefault("clean_up_tokenization_spaces", False)
    return cls(backend, **specials, **kwargs)


def load_gpt2_files(cls, vocab_file, merges_file, add_prefix_space, kwargs):
    specials = {**GPT2_SPECIALS, **{k: kwargs.pop(k) for k in SPECIAL_TOKENS if k in kwargs}}
    vocab, merges = models.BPE.read_file(str(vocab_file), str(merges_file))
    backend = Backend(models.BPE(vocab, merges, continuing_subword_prefix="",
                                 end_of_word_suffix="", fuse_unk=False))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=add_prefix_space)
    backend.decoder = decoders.ByteLevel()
    # GPT-2 adds no special tokens; offsets keep the space a token starts with.
    backend.post_processor = processors.ByteLevel(trim_offsets=False)
    return cls(backend, **specials, **kwargs)


def _token_content(value):
    # tokenizer_config.json writes a token either as a string or as a serialized AddedToken.
    return value["content"] if isinstance(value, dict) else value


def _read_json(path):
    if path is None:
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_pretrained(cls, path_or_repo_id, revision, kwargs):
    def find(name):
        return cached_file(path_or_repo_id, name, revision, required=False)

    config = _read_json(find("tokenizer_config.json"))
    config.update(_read_json(find("special_tokens_map.json")))
    options = {k: config[k] for k in _CONFIG_KEYS if config.get(k) is not None}
    options.update({k: _token_content(config[k]) for k in SPECIAL_TOKENS if config.get(k)})
    if "additional_special_tokens" in options:
        options["additional_special_tokens"] = [
            _token_content(t) for t in options["additional_special_tokens"]]
    options.update(kwargs)
    if options.get("model_max_length", 0) >= VERY_LARGE_INTEGER:
        options.pop("model_max_length")
    tokenizer_json = find("tokenizer.json")
    if tokenizer_json is not None:
        return cls.from_file(tokenizer_json, **options)
    vocab_txt = find("vocab.txt")
    if vocab_txt is not None:
        for key in ("strip_accents", "tokenize_chinese_chars"):
            if key in config and key not in options:
                options[key] = config[key]
        return cls.from_bert_vocab(vocab_txt, options.pop("do_lower_case",
                                                          config.get("do_lower_case", True)),
                                   **options)
    vocab_json, merges = find("vocab.json"), find("merges.txt")
    if vocab_json is not None and merges is not None:
        prefix = options.pop("add_prefix_space", config.get("add_prefix_space", False))
        return cls.from_gpt2_files(vocab_json, merges, prefix, **options)
    for name in ("spiece.model", "sentencepiece.bpe.model"):
        model_file = find(name)
        if model_file is not None:
            return cls.from_sentencepiece(model_file, **options)
    raise OSError(f"Tokenizer.from_pretrained: {path_or_repo_id!r} has none of tokenizer.json, "
                  "vocab.txt (BERT), vocab.json + merges.txt (GPT-2) or spiece.model / "
                  "sentencepiece.bpe.model (SentencePiece)")


def save_pretrained(tokenizer, save_directory):
    save_directory = os.fspath(save_directory)
    os.makedirs(save_directory, exist_ok=True)
    paths = [os.path.join(save_directory, n) for n in
             ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")]
    tokenizer.backend_tokenizer.save(paths[0])
    config = {"tokenizer_class": tokenizer.tokenizer_class or "PreTrainedTokenizerFast",
              "model_max_length": tokenizer.model_max_length,
              "padding_side": tokenizer.padding_side,
              "truncation_side": tokenizer.truncation_side,
              "model_input_names": tokenizer.model_input_names,
              "clean_up_tokenization_spaces": tokenizer.clean_up_tokenization_spaces,
              **tokenizer.special_tokens_map}
    for path, data in ((paths[1], config), (paths[2], tokenizer.special_tokens_map)):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
    return tuple(paths)
