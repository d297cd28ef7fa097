"""Wav2Vec2 bundles: architecture, published checkpoint and labels, as torchaudio.pipelines."""
from dataclasses import dataclass, field

import ember
import ember.nn.functional as F
from ember import hub, nn

from ..models.wav2vec2 import wav2vec2_model

__all__ = ["Wav2Vec2ASRBundle", "Wav2Vec2Bundle"]

BASE_URL = "https://download.pytorch.org/torchaudio/models/"
# fairseq's character dictionary minus its NLP specials; index 0 is the CTC blank.
EN_LABELS = ("|", "E", "T", "A", "O", "N", "I", "H", "S", "R", "D", "L", "U", "M", "W", "C",
             "F", "G", "Y", "P", "B", "V", "K", "'", "X", "J", "Q", "Z")


class _NormalizedWav2Vec2(nn.Module):
    """Layer-normalises the waveform batch before the model, as the LV-60k models expect."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, waveforms, lengths=None):
        return self.model(F.layer_norm(waveforms, waveforms.shape), lengths)

    def extract_features(self, waveforms, lengths=None, num_layers=None):
        return self.model.extract_features(F.layer_norm(waveforms, waveforms.shape), lengths,
                                           num_layers)


@dataclass
class Wav2Vec2Bundle:
    """A pretrained Wav2Vec2Model: `get_model()` builds it and loads the published weights.

    `_path` is a file name under torchaudio's model URL or a full URL; the download goes through
    `ember.hub.load_state_dict_from_url` (cache, mirrors, `EMBER_OFFLINE=1`).
    """

    _path: str
    _params: dict
    _sample_rate: float = 16000
    _normalize_waveform: bool = False

    @property
    def sample_rate(self):
        """The sample rate the model was trained on."""
        return self._sample_rate

    @property
    def url(self):
        return self._path if "://" in self._path else BASE_URL + self._path

    def _get_state_dict(self, dl_kwargs):
        return hub.load_state_dict_from_url(self.url, **(dl_kwargs or {}))

    def get_model(self, *, dl_kwargs=None):
        """The model with the pretrained weights, in eval mode. `dl_kwargs` go to
        `ember.hub.load_state_dict_from_url` (e.g. `model_dir`, `mirrors`, `progress`)."""
        state_dict = self._get_state_dict(dl_kwargs)  # first: a failed download builds nothing
        model = wav2vec2_model(**self._params)
        model.load_state_dict(state_dict)
        if self._normalize_waveform:
            model = _NormalizedWav2Vec2(model)
        return model.eval()


@dataclass
class Wav2Vec2ASRBundle(Wav2Vec2Bundle):
    """A Wav2Vec2Model fine-tuned for CTC speech recognition, with its output labels."""

    _labels: tuple = EN_LABELS
    # fairseq's dictionary puts <pad>, </s>, <unk> at rows 1-3 of the CTC head; never emitted.
    _remove_aux_axis: tuple = field(default=(1, 2, 3))

    def get_labels(self, *, blank="-"):
        """The output labels: `blank` first, then "|" (word boundary) and the characters."""
        return (blank, *self._labels)

    def _get_state_dict(self, dl_kwargs):
        state_dict = super()._get_state_dict(dl_kwargs)
        for key in ("aux.weight", "aux.bias"):
            mat = state_dict[key]
            keep = [i for i in range(mat.shape[0]) if i not in self._remove_aux_axis]
            state_dict[key] = mat[ember.tensor(keep)]
        return state_dict
