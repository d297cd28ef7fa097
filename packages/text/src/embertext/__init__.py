"""embertext: tokenizers, text datasets, vocabularies and collate helpers for ember."""
from . import datasets, tokenizers
from .collate import collate_batch
from .tokenizers import PreTrainedTokenizerFast, Tokenizer
from .vocab import Vocab, build_vocab_from_iterator

# models and pipelines (issue 7, second half) are exported here once they exist.

__version__ = "0.1.0"

__all__ = ["PreTrainedTokenizerFast", "Tokenizer", "Vocab", "build_vocab_from_iterator",
           "collate_batch", "datasets", "tokenizers"]
