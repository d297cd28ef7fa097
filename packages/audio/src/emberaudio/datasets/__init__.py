"""Audio datasets with torchaudio's signatures and items, downloaded through `ember.hub`."""
from .gtzan import GTZAN
from .librispeech import LIBRISPEECH
from .ljspeech import LJSPEECH
from .speechcommands import SPEECHCOMMANDS
from .yesno import YESNO

__all__ = ["GTZAN", "LIBRISPEECH", "LJSPEECH", "SPEECHCOMMANDS", "YESNO"]
