"""M5 learns three synthetic "keywords" (tone/chirp patterns in noise) with emberlightning."""
import math
import time

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.utils.data import DataLoader, TensorDataset
from emberaudio.models import M5

# The audio package must not depend on the trainer; its own nox session may lack it.
emberlightning = pytest.importorskip("emberlightning")

SAMPLE_RATE = 8000


def _keyword(kind, rng):
    """One second of a speech-like pattern: a rising chirp, a falling chirp or two syllables,
    with random pitch, onset and loudness, in noise."""
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    onset, length = rng.uniform(0.05, 0.3), rng.uniform(0.4, 0.6)
    base = rng.uniform(250, 400)
    local = np.clip((t - onset) / length, 0, 1)
    if kind == 0:
        freq = base + 900 * local          # rising
    elif kind == 1:
        freq = base + 900 * (1 - local)    # falling
    else:
        freq = np.where(local < 0.5, base + 600, base + 100)  # two level syllables
    envelope = np.sin(np.pi * local) ** 2
    if kind == 2:
        envelope *= np.abs(np.sin(2 * np.pi * local))
    phase = 2 * np.pi * np.cumsum(freq) / SAMPLE_RATE
    wave = rng.uniform(0.3, 1.0) * envelope * np.sin(phase)
    return (wave + 0.1 * rng.standard_normal(SAMPLE_RATE)).astype(np.float32)


def _dataset(n_per_class, seed):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(3), n_per_class)
    waves = np.stack([_keyword(k, rng) for k in labels])[:, None, :]  # (N, 1, T)
    return TensorDataset(ember.tensor(waves), ember.tensor(labels))


class KeywordSpotter(emberlightning.LightningModule):
    def __init__(self):
        super().__init__()
        self.model = M5(n_input=1, n_output=3, stride=16, n_channel=16)

    def forward(self, x):
        return self.model(x).squeeze(1)  # (B, 3) log-probabilities

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.nll_loss(self(x), y)
        self.log("train_loss", loss)
        return loss

    def configure_optimizers(self):
        return ember.optim.Adam(self.parameters(), lr=0.01)


def test_m5_learns_synthetic_keywords():
    emberlightning.seed_everything(0)
    start = time.perf_counter()
    module = KeywordSpotter()
    train = DataLoader(_dataset(40, seed=1), batch_size=24, shuffle=True)
    trainer = emberlightning.Trainer(max_epochs=8, logger=False, enable_checkpointing=False,
                                     enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(module, train)
    x, y = _dataset(30, seed=2).tensors
    module.eval()
    with ember.no_grad():
        accuracy = (module(x).argmax(dim=-1) == y).float().mean().item()
    assert accuracy >= 0.9, f"accuracy {accuracy:.3f}"
    assert math.isfinite(float(trainer.callback_metrics["train_loss"]))
    print(f"KWS accuracy {accuracy:.3f} in {time.perf_counter() - start:.1f}s")
