"""Train a text classifier end to end with embertext and emberlightning's Trainer (CPU).

    python examples/text_classification.py [--model transformer|lstm] [--max-epochs N]

A synthetic sentiment task (sentences from templates around one sentiment word, with distractor
words) is tokenised by a WordPiece tokenizer trained on the training sentences, batched with
`embertext.collate.collate_batch` (labels through a `Vocab`), and learnt by a
`TransformerClassifier` or an `LSTMClassifier`. Prints the test accuracy. No network needed.
"""
import argparse
import functools
import random
import time

import ember
from ember.nn import functional as F
from ember.utils.data import DataLoader
from emberlightning import LightningModule, Trainer, seed_everything
from embertext.collate import collate_batch
from embertext.models import LSTMClassifier, TransformerClassifier
from embertext.tokenizers import train_wordpiece
from embertext.vocab import build_vocab_from_iterator

POSITIVE = ["great", "wonderful", "excellent", "lovely", "brilliant", "delightful"]
NEGATIVE = ["awful", "terrible", "boring", "dreadful", "horrible", "disappointing"]
SUBJECTS = ["the film", "this book", "the meal", "our trip", "the concert", "that show",
            "the hotel", "his new album"]
FILLERS = ["honestly", "really", "quite", "at times", "overall", "for me", "in the end"]
TEMPLATES = ["{s} was {f} {w}", "i found {s} {w}", "{f} , {s} is {w} and long",
             "what a {w} experience {s} was", "{s} felt {w} {f}"]


def make_corpus(n, seed):
    """n (label, sentence) pairs, labels "positive"/"negative" in equal numbers."""
    rng = random.Random(seed)
    items = []
    for i in range(n):
        label = "positive" if i % 2 else "negative"
        word = rng.choice(POSITIVE if label == "positive" else NEGATIVE)
        text = rng.choice(TEMPLATES).format(s=rng.choice(SUBJECTS), f=rng.choice(FILLERS),
                                            w=word)
        items.append((label, text))
    rng.shuffle(items)
    return items


class TextClassifier(LightningModule):
    """Cross-entropy training of any classifier taking padded token ids (padding ignored)."""

    def __init__(self, classifier, lr=3e-3):
        super().__init__()
        self.classifier = classifier
        self.lr = lr

    def forward(self, ids):
        return self.classifier(ids)

    def _step(self, batch, stage):
        labels, ids, _ = batch
        logits = self(ids)
        loss = F.cross_entropy(logits, labels)
        self.log(f"{stage}_loss", loss, prog_bar=True)
        self.log(f"{stage}_acc", (logits.argmax(1) == labels).float().mean(), prog_bar=True)
        return loss

    def training_step(self, batch, batch_idx):
        return self._step(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._step(batch, "val")

    def test_step(self, batch, batch_idx):
        self._step(batch, "test")

    def configure_optimizers(self):
        return ember.optim.Adam(self.parameters(), lr=self.lr)


def build_classifier(kind, vocab_size, num_classes, padding_idx):
    if kind == "transformer":
        return TransformerClassifier(vocab_size, num_classes, d_model=32, nhead=4, num_layers=1,
                                     dim_feedforward=64, dropout=0.1, max_len=64,
                                     padding_idx=padding_idx)
    if kind == "lstm":
        return LSTMClassifier(vocab_size, num_classes, embed_dim=32, hidden_size=32,
                              padding_idx=padding_idx)
    raise ValueError(f"unknown model {kind!r}: choose 'transformer' or 'lstm'")


def main(model="transformer", max_epochs=4, quiet=False, out=None):
    started = time.perf_counter()
    seed_everything(0)
    train, val, test = make_corpus(800, 0), make_corpus(200, 1), make_corpus(400, 2)
    # 1. a tokenizer and a label vocabulary, both built from the training split only
    tokenizer = train_wordpiece([text for _, text in train], vocab_size=200, min_frequency=1)
    labels = build_vocab_from_iterator([[label] for label, _ in train])
    # 2. a collate_fn turning (label, text) items into padded int64 batches
    collate = functools.partial(collate_batch, text_pipeline=tokenizer.encode,
                                label_pipeline=labels.__getitem__,
                                padding_value=tokenizer.pad_token_id)
    loaders = [DataLoader(split, batch_size=32, shuffle=split is train, collate_fn=collate)
               for split in (train, val, test)]
    # 3. the model, trained and tested by the Trainer
    module = TextClassifier(build_classifier(model, len(tokenizer), len(labels),
                                             tokenizer.pad_token_id))
    trainer = Trainer(max_epochs=max_epochs, accelerator="cpu", logger=False,
                      enable_checkpointing=False, enable_progress_bar=not quiet,
                      enable_model_summary=not quiet, default_root_dir=out)
    trainer.fit(module, loaders[0], loaders[1])
    accuracy = trainer.test(module, loaders[2], verbose=not quiet)[0]["test_acc"]
    if not quiet:
        print(f"\n{model}: test accuracy {accuracy:.4f} on {len(test)} sentences "
              f"({time.perf_counter() - started:.1f}s in all)")
        module.eval()
        for label, text in test[:4]:
            with ember.no_grad():
                guess = module(tokenizer(text, return_tensors="ember")["input_ids"]).argmax(1)
            print(f"  {text!r}: predicted {labels.lookup_token(int(guess))}, label {label}")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="transformer", choices=["transformer", "lstm"])
    parser.add_argument("--max-epochs", type=int, default=4)
    args = parser.parse_args()
    main(args.model, args.max_epochs)
