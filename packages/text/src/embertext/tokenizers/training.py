"""Train BPE, WordPiece, Unigram and byte-level BPE tokenizers on files or strings."""
import os

from tokenizers import implementations, processors

from .loading import bert_template
from .tokenizer import Tokenizer

__all__ = ["train_bpe", "train_byte_level_bpe", "train_unigram", "train_wordpiece"]


def _train(impl, source, **trainer_args):
    """Run the implementation's trainer on a file path, a list of paths or an iterator of
    strings (or of batches of strings)."""
    trainer_args["show_progress"] = False
    if isinstance(source, (str, os.PathLike)):
        source = [source]
    if isinstance(source, (list, tuple)) and source and all(
            isinstance(s, os.PathLike) or (isinstance(s, str) and os.path.isfile(s))
            for s in source):
        impl.train([os.fspath(s) for s in source], **trainer_args)
    else:
        impl.train_from_iterator(iter(source), **trainer_args)
    return impl._tokenizer


def _specials(special_tokens, defaults):
    return list(defaults.values()) if special_tokens is None else list(special_tokens)


def train_wordpiece(files_or_iterator, vocab_size=30000, min_frequency=2, special_tokens=None,
                    lowercase=True, unk_token="[UNK]", sep_token="[SEP]", pad_token="[PAD]",
                    cls_token="[CLS]", mask_token="[MASK]"):
    """A BERT-style WordPiece tokenizer (`##` continuations, `[CLS] a [SEP] b [SEP]` pairs)."""
    named = {"pad_token": pad_token, "unk_token": unk_token, "cls_token": cls_token,
             "sep_token": sep_token, "mask_token": mask_token}
    impl = implementations.BertWordPieceTokenizer(lowercase=lowercase, unk_token=unk_token)
    backend = _train(impl, files_or_iterator, vocab_size=vocab_size, min_frequency=min_frequency,
                     special_tokens=_specials(special_tokens, named))
    backend.post_processor = bert_template(backend, cls_token, sep_token)
    return Tokenizer(backend, **named)


def train_bpe(files_or_iterator, vocab_size=30000, min_frequency=2, special_tokens=None,
              lowercase=False, unk_token="<unk>", pad_token="<pad>"):
    """A character-level BPE tokenizer (words end in `</w>`; decoding restores the spaces)."""
    named = {"unk_token": unk_token, "pad_token": pad_token}
    impl = implementations.CharBPETokenizer(unk_token=unk_token, lowercase=lowercase)
    backend = _train(impl, files_or_iterator, vocab_size=vocab_size, min_frequency=min_frequency,
                     special_tokens=_specials(special_tokens, named))
    return Tokenizer(backend, **named)


def train_byte_level_bpe(files_or_iterator, vocab_size=30000, min_frequency=2,
                         special_tokens=None, add_prefix_space=False,
                         eos_token="<|endoftext|>", pad_token=None):
    """A GPT-2 style byte-level BPE tokenizer: any text encodes, no unknown token."""
    named = {"bos_token": eos_token, "eos_token": eos_token, "unk_token": eos_token,
             "pad_token": pad_token}
    impl = implementations.ByteLevelBPETokenizer(add_prefix_space=add_prefix_space)
    defaults = {k: v for k, v in named.items() if v is not None}
    backend = _train(impl, files_or_iterator, vocab_size=vocab_size, min_frequency=min_frequency,
                     special_tokens=list(dict.fromkeys(_specials(special_tokens, defaults))))
    backend.post_processor = processors.ByteLevel(trim_offsets=False)
    return Tokenizer(backend, **named)


def train_unigram(files_or_iterator, vocab_size=8000, special_tokens=None, unk_token="<unk>",
                  pad_token="<pad>", bos_token="<s>", eos_token="</s>"):
    """A SentencePiece-style Unigram tokenizer (`▁` marks a word start)."""
    named = {"unk_token": unk_token, "pad_token": pad_token, "bos_token": bos_token,
             "eos_token": eos_token}
    impl = implementations.SentencePieceUnigramTokenizer()
    backend = _train(impl, files_or_iterator, vocab_size=vocab_size,
                     special_tokens=_specials(special_tokens, named), unk_token=unk_token)
    return Tokenizer(backend, **named)
