"""Pretrained model bundles (torchaudio.pipelines) and a greedy CTC decoder."""
from ._bundles import *  # noqa: F403 (the bundle constants)
from ._bundles import __all__ as _bundle_names
from ._ctc import GreedyCTCDecoder
from ._wav2vec2 import Wav2Vec2ASRBundle, Wav2Vec2Bundle

__all__ = ["GreedyCTCDecoder", "Wav2Vec2ASRBundle", "Wav2Vec2Bundle", *_bundle_names]
