"""embertext.datasets: torchtext's text datasets (download once, verify, stream or index)."""
from ember.utils.download import extract_archive

from ._base import TextDataset
from .classification import AG_NEWS, IMDB, SST2, YelpReviewPolarity
from .language_modeling import PennTreebank, WikiText2, WikiText103
from .translation import Multi30k

__all__ = ["AG_NEWS", "IMDB", "SST2", "Multi30k", "PennTreebank", "TextDataset", "WikiText2",
           "WikiText103", "YelpReviewPolarity", "extract_archive"]
