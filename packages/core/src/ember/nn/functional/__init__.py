"""`ember.nn.functional`: the math of every layer, one family per file, star-imported here."""
from .linear import *  # noqa: F401,F403
