"""Issue 7's training check: TransformerClassifier and LSTMClassifier learn a synthetic sentiment
task to high accuracy through emberlightning's Trainer, with data built by embertext's own
WordPiece training, Vocab and collate_batch (examples/text_classification.py, run here)."""
import importlib.util
import pathlib

import pytest

import ember
from embertext.collate import collate_batch
from embertext.tokenizers import train_wordpiece

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "text_classification.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("text_classification", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_synthetic_batches_are_padded_token_ids(example):
    items = example.make_corpus(6, 0)
    assert sorted(label for label, _ in items) == ["negative"] * 3 + ["positive"] * 3
    tok = train_wordpiece([t for _, t in items], vocab_size=100, min_frequency=1)
    labels, ids, lengths = collate_batch(items, tok.encode, {"negative": 0, "positive": 1}.get,
                                         padding_value=tok.pad_token_id)
    assert ids.dtype == ember.int64 and ids.shape == (6, int(lengths.max()))
    assert ids[:, 0].tolist() == [tok.cls_token_id] * 6
    assert labels.tolist() == [int(label == "positive") for label, _ in items]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("model", ["transformer", "lstm"])
def test_classifier_learns_sentiment_with_trainer(example, tmp_path, model):
    assert example.main(model, max_epochs=4, quiet=True, out=str(tmp_path)) >= 0.9
