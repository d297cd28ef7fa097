"""embertext: tokenizers, text datasets, vocabularies, collate helpers, pretrained models and
pipelines for ember."""
from . import datasets, models, pipelines, tokenizers
from .collate import collate_batch
from .tokenizers import PreTrainedTokenizerFast, Tokenizer
from .vocab import Vocab, build_vocab_from_iterator

__version__ = "0.1.0"

__all__ = ["PreTrainedTokenizerFast", "Tokenizer", "Vocab", "build_vocab_from_iterator",
           "collate_batch", "datasets", "models", "pipelines", "tokenizers"]
