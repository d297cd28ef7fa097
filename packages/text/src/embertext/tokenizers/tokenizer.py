"""Tokenizer: transformers' `PreTrainedTokenizerFast` API over a `tokenizers.Tokenizer`."""
import json

import tokenizers

from .batch_encoding import BatchEncoding, to_tensors

__all__ = ["SPECIAL_TOKENS", "PreTrainedTokenizerFast", "Tokenizer"]

SPECIAL_TOKENS = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token",
                  "mask_token")
# transformers' "no limit" model_max_length.
VERY_LARGE_INTEGER = int(1e30)
# Model families whose tokenizers return no token_type_ids although their pair template marks
# the second text (transformers lists their model_input_names without it).
_NO_TOKEN_TYPES = ("DistilBert", "Roberta", "GPT2", "Bart", "Longformer", "Llama", "T5")


def _token_ids(ids):
    """A list of ints from a list, a NumPy array or an ember tensor (1-D) or an int."""
    if hasattr(ids, "tolist"):
        ids = ids.tolist()
    return [ids] if isinstance(ids, int) else list(ids)


def _default_input_names(backend, tokenizer_class):
    names = ["input_ids", "attention_mask"]
    if tokenizer_class and any(tokenizer_class.startswith(f) for f in _NO_TOKEN_TYPES):
        return names
    processor = json.loads(backend.to_str()).get("post_processor") or {}
    inner = processor.get("processors", [processor])
    # A template that wraps a single text in special tokens is BERT's; those models embed types.
    bert_like = any(p.get("type") == "BertProcessing" or (
        p.get("type") == "TemplateProcessing" and any("SpecialToken" in t for t in p["single"]))
        for p in inner)
    return ["input_ids", "token_type_ids", "attention_mask"] if bert_like else names


def clean_up_tokenization(text):
    """transformers' clean-up of spaces before punctuation and English contractions."""
    for before, after in ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"),
                          (" n't", "n't"), (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"),
                          (" 're", "'re")):
        text = text.replace(before, after)
    return text


class Tokenizer:
    """Turns text into model inputs and ids back into text (transformers' fast-tokenizer API).

    Build one with `Tokenizer.from_pretrained(dir_or_repo)`, `from_file("tokenizer.json")`,
    `from_bert_vocab`, `from_gpt2_files`, or a `train_*` function; or wrap a `tokenizers.Tokenizer`
    directly: `Tokenizer(tokenizer_object, pad_token="[PAD]", ...)`.

    Special tokens (`pad_token`, `unk_token`, `cls_token`, `sep_token`, `mask_token`, `bos_token`,
    `eos_token`, and `additional_special_tokens`) are attributes with matching `*_id` properties.
    """

    def __init__(self, tokenizer_object=None, *, tokenizer_file=None, model_max_length=None,
                 padding_side="right", truncation_side="right", model_input_names=None,
                 clean_up_tokenization_spaces=False, tokenizer_class=None,
                 additional_special_tokens=(), **special_tokens):
        if (tokenizer_object is None) == (tokenizer_file is None):
            raise ValueError("Tokenizer: pass exactly one of tokenizer_object or tokenizer_file")
        backend = tokenizer_object or tokenizers.Tokenizer.from_file(str(tokenizer_file))
        unknown = set(special_tokens) - set(SPECIAL_TOKENS)
        if unknown:
            raise TypeError(f"Tokenizer: unexpected keyword arguments {sorted(unknown)}")
        if padding_side not in ("right", "left") or truncation_side not in ("right", "left"):
            raise ValueError("Tokenizer: padding_side and truncation_side are 'right' or 'left'")
        # Padding and truncation are set per call; a setting saved in tokenizer.json would
        # otherwise apply silently to every call.
        backend.no_padding()
        backend.no_truncation()
        self._tokenizer = backend
        self.model_max_length = model_max_length or VERY_LARGE_INTEGER
        self.padding_side, self.truncation_side = padding_side, truncation_side
        self.clean_up_tokenization_spaces = clean_up_tokenization_spaces
        self.tokenizer_class = tokenizer_class
        self.model_input_names = list(model_input_names or
                                      _default_input_names(backend, tokenizer_class))
        self._special = dict.fromkeys(SPECIAL_TOKENS)
        self._special.update(special_tokens)
        self.additional_special_tokens = list(additional_special_tokens)
        present = [t for t in self.all_special_tokens if backend.token_to_id(t) is not None]
        # Registered as special so that they are never split and `skip_special_tokens` drops them.
        backend.add_special_tokens(present)

    # ---------------------------------------------------------------- construction and files
    @classmethod
    def from_file(cls, path, **kwargs):
        """Load a `tokenizers` serialization (`tokenizer.json`)."""
        return cls(tokenizer_file=path, **kwargs)

    @classmethod
    def from_pretrained(cls, path_or_repo_id, revision="main", **kwargs):
        """Load from a directory (or a Hugging Face repo id through `ember.hub`) holding
        tokenizer.json, or vocab.txt (BERT), or vocab.json + merges.txt (GPT-2), or a
        SentencePiece spiece.model / sentencepiece.bpe.model (Unigram or BPE), with
        tokenizer_config.json / special_tokens_map.json. Keyword arguments override the config."""
        from .loading import load_pretrained
        return load_pretrained(cls, path_or_repo_id, revision, kwargs)

    @classmethod
    def from_bert_vocab(cls, vocab_file, do_lower_case=True, **kwargs):
        """A BERT WordPiece tokenizer from `vocab.txt`."""
        from .loading import load_bert_vocab
        return load_bert_vocab(cls, vocab_file, do_lower_case, kwargs)

    @classmethod
    def from_gpt2_files(cls, vocab_file, merges_file, add_prefix_space=False, **kwargs):
        """A GPT-2 byte-level BPE tokenizer from `vocab.json` and `merges.txt`."""
        from .loading import load_gpt2_files
        return load_gpt2_files(cls, vocab_file, merges_file, add_prefix_space, kwargs)

    @classmethod
    def from_sentencepiece(cls, model_file, **kwargs):
        """A Unigram tokenizer from a SentencePiece `.model` file (special tokens from the
        file unless given; `tokenizer_class="T5Tokenizer"` appends T5's `</s>`)."""
        from .sentencepiece import load_sentencepiece
        return load_sentencepiece(cls, model_file, kwargs)

    def save_pretrained(self, save_directory):
        """Write tokenizer.json, tokenizer_config.json and special_tokens_map.json; returns
        their paths. `from_pretrained` (here or in transformers) reads them back."""
        from .loading import save_pretrained
        return save_pretrained(self, save_directory)

    @property
    def backend_tokenizer(self):
        """The wrapped `tokenizers.Tokenizer`."""
        return self._tokenizer

    # ---------------------------------------------------------------- special tokens
    @property
    def special_tokens_map(self):
        out = {k: v for k, v in self._special.items() if v is not None}
        if self.additional_special_tokens:
            out["additional_special_tokens"] = list(self.additional_special_tokens)
        return out

    @property
    def all_special_tokens(self):
        tokens = [v for v in self._special.values() if v is not None]
        tokens += self.additional_special_tokens
        return list(dict.fromkeys(tokens))

    @property
    def all_special_ids(self):
        return self.convert_tokens_to_ids(self.all_special_tokens)

    def add_special_tokens(self, special_tokens_dict):
        """Set special tokens (`{"pad_token": "[PAD]", "additional_special_tokens": [...]}`),
        adding to the vocabulary those it lacks; returns how many were added."""
        new = []
        for key, value in special_tokens_dict.items():
            if key == "additional_special_tokens":
                self.additional_special_tokens = list(dict.fromkeys(
                    self.additional_special_tokens + list(value)))
                new += list(value)
            elif key in SPECIAL_TOKENS:
                self._special[key] = value
                new.append(value)
            else:
                raise ValueError(f"add_special_tokens: unknown key {key!r}; expected one of "
                                 f"{SPECIAL_TOKENS + ('additional_special_tokens',)}")
        return self._tokenizer.add_special_tokens(new)

    def add_tokens(self, new_tokens, special_tokens=False):
        """Add tokens to the vocabulary (never split); returns how many were new."""
        new_tokens = [new_tokens] if isinstance(new_tokens, str) else list(new_tokens)
        if special_tokens:
            return self._tokenizer.add_special_tokens(new_tokens)
        return self._tokenizer.add_tokens(new_tokens)

    # ---------------------------------------------------------------- vocabulary
    @property
    def vocab_size(self):
        """Size of the base vocabulary (without added tokens), as in transformers."""
        return self._tokenizer.get_vocab_size(with_added_tokens=False)

    def __len__(self):
        return self._tokenizer.get_vocab_size(with_added_tokens=True)

    def get_vocab(self):
        return self._tokenizer.get_vocab(with_added_tokens=True)

    def convert_tokens_to_ids(self, tokens):
        """Ids of a token or a list of tokens (unknown tokens give `unk_token_id`)."""
        if isinstance(tokens, str):
            found = self._tokenizer.token_to_id(tokens)
            return self.unk_token_id if found is None else found
        return [self.convert_tokens_to_ids(t) for t in tokens]

    def convert_ids_to_tokens(self, ids, skip_special_tokens=False):
        if isinstance(ids, int):
            return self._tokenizer.id_to_token(ids)
        special = set(self.all_special_ids) if skip_special_tokens else ()
        return [self._tokenizer.id_to_token(i) for i in _token_ids(ids) if i not in special]

    def convert_tokens_to_string(self, tokens):
        decoder = self._tokenizer.decoder
        return decoder.decode(tokens) if decoder is not None else " ".join(tokens)

    def tokenize(self, text, pair=None, add_special_tokens=False):
        """The tokens of `text` (without special tokens unless asked)."""
        return self._tokenizer.encode(text, pair, add_special_tokens=add_special_tokens).tokens

    # ---------------------------------------------------------------- encoding
    def __call__(self, text, text_pair=None, add_special_tokens=True, padding=False,
                 truncation=None, max_length=None, stride=0, pad_to_multiple_of=None,
                 padding_side=None, return_tensors=None, return_token_type_ids=None,
                 return_attention_mask=None, return_offsets_mapping=False,
                 return_special_tokens_mask=False, return_length=False,
                 return_overflowing_tokens=False, is_split_into_words=False):
        """Encode one text (or pair) or a batch of them into a BatchEncoding.

        padding: False, True/"longest" (to the longest in the batch) or "max_length".
        truncation: False, True/"longest_first", "only_first" or "only_second"; at `max_length`
        (default `model_max_length`). return_overflowing_tokens: the truncated-away tokens become
        extra rows (windows overlapping by `stride` tokens), and `overflow_to_sample_mapping`
        gives each row's input index, as transformers' fast tokenizers do.
        return_tensors: None (lists), "np", or "ember"/"pt" (int64 tensors of shape
        (batch, length), kept 2-D for a single text as in transformers).
        """
        batched = isinstance(text, (list, tuple)) and not (
            is_split_into_words and (not text or isinstance(text[0], str)))
        texts = list(text) if batched else [text]
        if text_pair is not None:
            pairs = list(text_pair) if batched else [text_pair]
            if len(pairs) != len(texts):
                raise ValueError(f"tokenizer: {len(texts)} texts but {len(pairs)} text pairs")
            texts = list(zip(texts, pairs))
        encodings = self._encode(texts, add_special_tokens, padding, truncation, max_length,
                                 stride, pad_to_multiple_of, padding_side, is_split_into_words)
        if return_overflowing_tokens:
            rows = [(i, e) for i, first in enumerate(encodings)
                    for e in [first] + first.overflowing]
            encodings = [e for _, e in rows]
        names = self.model_input_names
        wanted = {"input_ids": True,
                  "token_type_ids": return_token_type_ids if return_token_type_ids is not None
                  else "token_type_ids" in names,
                  "attention_mask": return_attention_mask if return_attention_mask is not None
                  else "attention_mask" in names,
                  "special_tokens_mask": return_special_tokens_mask,
                  "offset_mapping": return_offsets_mapping, "length": return_length}
        getters = {"input_ids": lambda e: e.ids, "token_type_ids": lambda e: e.type_ids,
                   "attention_mask": lambda e: e.attention_mask,
                   "special_tokens_mask": lambda e: e.special_tokens_mask,
                   "offset_mapping": lambda e: e.offsets, "length": lambda e: len(e.ids)}
        data = {k: [getters[k](e) for e in encodings] for k, on in wanted.items() if on}
        if return_overflowing_tokens:
            data["overflow_to_sample_mapping"] = [i for i, _ in rows]
        elif not batched and return_tensors is None:
            data = {k: v[0] for k, v in data.items()}
        return BatchEncoding(to_tensors(data, return_tensors), encodings)

    def _encode(self, inputs, add_special_tokens, padding, truncation, max_length, stride,
                pad_to_multiple_of, padding_side, is_split):
        backend = self._tokenizer
        padding = {True: "longest", False: None, "do_not_pad": None}.get(padding, padding)
        if truncation is None:  # transformers truncates when a max_length is given
            truncation = max_length is not None and padding != "max_length"
        truncation = {True: "longest_first", False: None,
                      "do_not_truncate": None}.get(truncation, truncation)
        if padding not in (None, "longest", "max_length"):
            raise ValueError(f"tokenizer: padding must be True, False, 'longest' or "
                             f"'max_length', got {padding!r}")
        if truncation not in (None, "longest_first", "only_first", "only_second"):
            raise ValueError(f"tokenizer: truncation must be True, False, 'longest_first', "
                             f"'only_first' or 'only_second', got {truncation!r}")
        limit = max_length if max_length is not None else self.model_max_length
        if padding == "max_length" and limit >= VERY_LARGE_INTEGER:
            raise ValueError("tokenizer: padding='max_length' needs max_length (this tokenizer "
                             "has no model_max_length)")
        if padding and self.pad_token is None:
            raise ValueError("Asking to pad but the tokenizer does not have a padding token; "
                             "set one, e.g. tokenizer.pad_token = tokenizer.eos_token")
        try:
            if truncation and limit < VERY_LARGE_INTEGER:
                backend.enable_truncation(limit, stride=stride, strategy=truncation,
                                          direction=self.truncation_side)
            if padding:
                backend.enable_padding(
                    direction=padding_side or self.padding_side, pad_id=self.pad_token_id,
                    pad_token=self.pad_token, pad_to_multiple_of=pad_to_multiple_of,
                    length=limit if padding == "max_length" else None)
            return backend.encode_batch(inputs, is_pretokenized=is_split,
                                        add_special_tokens=add_special_tokens)
        except Exception as e:  # the Rust side raises bare Exceptions for bad settings
            raise ValueError(f"tokenizer: {e}") from None
        finally:
            backend.no_truncation()
            backend.no_padding()

    def pad(self, encoded_inputs, padding=True, max_length=None, pad_to_multiple_of=None,
            padding_side=None, return_attention_mask=None, return_tensors=None):
        """Pad already-encoded inputs (a dict of lists, a list of such dicts, or a
        BatchEncoding) as transformers' `tokenizer.pad` does: `input_ids` with the pad id,
        `attention_mask` and `token_type_ids` with 0, `special_tokens_mask` with 1; an
        attention mask is added when the model takes one. Never truncates."""
        from .padding import pad_encoded
        return pad_encoded(self, encoded_inputs, padding, max_length, pad_to_multiple_of,
                           padding_side, return_attention_mask, return_tensors)

    def encode(self, text, text_pair=None, add_special_tokens=True, padding=False,
               truncation=None, max_length=None, return_tensors=None):
        """The ids of one text (or pair): a list, or a (1, length) tensor with return_tensors."""
        out = self(text, text_pair, add_special_tokens=add_special_tokens, padding=padding,
                   truncation=truncation, max_length=max_length, return_tensors=return_tensors,
                   return_token_type_ids=False, return_attention_mask=False)
        return out["input_ids"]

    # ---------------------------------------------------------------- decoding
    def decode(self, token_ids, skip_special_tokens=False, clean_up_tokenization_spaces=None):
        """Text from ids (a list, array or 1-D tensor)."""
        text = self._tokenizer.decode(_token_ids(token_ids),
                                      skip_special_tokens=skip_special_tokens)
        clean = (self.clean_up_tokenization_spaces if clean_up_tokenization_spaces is None
                 else clean_up_tokenization_spaces)
        return clean_up_tokenization(text) if clean else text

    def batch_decode(self, sequences, skip_special_tokens=False,
                     clean_up_tokenization_spaces=None):
        """`decode` for each row of a list of lists, or a 2-D array or tensor."""
        if hasattr(sequences, "tolist"):
            sequences = sequences.tolist()
        return [self.decode(s, skip_special_tokens, clean_up_tokenization_spaces)
                for s in sequences]

    def __repr__(self):
        model = type(self._tokenizer.model).__name__
        return (f"Tokenizer(model={model}, vocab_size={self.vocab_size}, len={len(self)}, "
                f"special_tokens={self.special_tokens_map}, "
                f"padding_side={self.padding_side!r})")


def _special_property(name):
    def get(self):
        return self._special[name]

    def set_(self, value):
        self._special[name] = value

    def get_id(self):
        token = self._special[name]
        return None if token is None else self._tokenizer.token_to_id(token)

    return property(get, set_, doc=f"The {name.replace('_', ' ')} (None when unset)."), \
        property(get_id, doc=f"The id of {name} (None when unset or not in the vocabulary).")


for _name in SPECIAL_TOKENS:
    _token, _id = _special_property(_name)
    setattr(Tokenizer, _name, _token)
    setattr(Tokenizer, _name + "_id", _id)
del _name, _token, _id

# transformers' name for the same thing, so code written against it reads unchanged.
PreTrainedTokenizerFast = Tokenizer
