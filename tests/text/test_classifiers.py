"""embertext.models.classifiers: shapes, padding handling, and learning a synthetic task
(does the sequence contain token 7?) with a plain training loop."""
import numpy as np
import pytest

import ember
from ember.nn import functional as F
from embertext.models import LSTMClassifier, TransformerClassifier


def _data(n, seed, length=8):
    """Token ids 1..19 (no 7), half the rows with a 7 among the first length-2 tokens; the first
    half of the rows end in two pads (id 0)."""
    rs = np.random.RandomState(seed)
    ids = rs.randint(1, 20, (n, length))
    ids[ids == 7] = 8
    label = rs.rand(n) < 0.5
    ids[label, rs.randint(length - 2, size=label.sum())] = 7
    ids[: n // 2, length - 2:] = 0
    return ember.tensor(ids), ember.tensor(label.astype(np.int64))


def _make(cls):
    if cls is TransformerClassifier:
        return cls(20, 2, d_model=32, nhead=4, num_layers=1, dim_feedforward=64, dropout=0.0)
    return cls(20, 2, embed_dim=16, hidden_size=16)


@pytest.mark.parametrize("cls", [TransformerClassifier, LSTMClassifier])
def test_padding_is_ignored(cls):
    ember.manual_seed(0)
    model = _make(cls).eval()
    ids = ember.tensor([[3, 4, 5, 0, 0], [3, 4, 5, 6, 2]])
    logits = model(ids)
    assert logits.shape == (2, 2)
    alone = model(ids[:1, :3])
    np.testing.assert_allclose(logits[0].detach().numpy(), alone[0].detach().numpy(), atol=1e-5)
    explicit = model(ids, attention_mask=(ids != 0).long())
    np.testing.assert_allclose(explicit.detach().numpy(), logits.detach().numpy(), atol=1e-6)


def test_transformer_classifier_rejects_long_inputs():
    with pytest.raises(ValueError, match="max_len"):
        TransformerClassifier(10, 2, d_model=8, nhead=2, max_len=4)(ember.ones((1, 5),
                                                                              dtype=ember.int64))


@pytest.mark.parametrize("cls", [TransformerClassifier, LSTMClassifier])
def test_learns_whether_token_7_is_present(cls):
    ember.manual_seed(0)
    train_x, train_y = _data(256, seed=0)
    test_x, test_y = _data(256, seed=1)
    model = _make(cls)
    opt = ember.optim.Adam(model.parameters(), lr=1e-2)
    accuracy = 0.0
    for _ in range(10):  # epochs; usually 2-3 suffice
        model.train()
        for i in range(0, 256, 64):
            loss = F.cross_entropy(model(train_x[i:i + 64]), train_y[i:i + 64])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with ember.no_grad():
            accuracy = float((model(test_x).argmax(-1) == test_y).float().mean())
        if accuracy >= 0.95:
            break
    assert accuracy >= 0.9
