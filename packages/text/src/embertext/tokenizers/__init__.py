"""embertext.tokenizers: transformers-style fast tokenizers over the `tokenizers` library."""
from .batch_encoding import BatchEncoding
from .tokenizer import PreTrainedTokenizerFast, Tokenizer
from .training import train_bpe, train_byte_level_bpe, train_unigram, train_wordpiece

__all__ = ["BatchEncoding", "PreTrainedTokenizerFast", "Tokenizer", "train_bpe",
           "train_byte_level_bpe", "train_unigram", "train_wordpiece"]
