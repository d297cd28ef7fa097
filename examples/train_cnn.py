"""Train a small CNN on synthetic images with a multi-worker DataLoader, then save and reload it.

The images are noisy horizontal or vertical bars (class 0 / class 1), made here, so the example
needs no download. Run: `python examples/train_cnn.py`.
"""
import os
import tempfile

import numpy as np

import ember
from ember import nn
from ember.utils.data import DataLoader, TensorDataset


def make_bars(n, size=16, seed=0):
    """(n, 1, size, size) float32 images of one bright bar each, and their 0/1 labels."""
    rng = np.random.default_rng(seed)
    images = rng.normal(0, 0.3, size=(n, 1, size, size)).astype(np.float32)
    labels = rng.integers(0, 2, size=n)
    where = rng.integers(2, size - 2, size=n)
    for i in range(n):
        if labels[i] == 0:
            images[i, 0, where[i], :] += 1.0
        else:
            images[i, 0, :, where[i]] += 1.0
    return ember.from_numpy(images), ember.from_numpy(labels)


def build_model():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # (B, 8, 8, 8)
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),  # (B, 16, 1, 1)
        nn.Flatten(), nn.Linear(16, 2),
    )


def accuracy(model, loader):
    model.eval()
    correct = total = 0
    with ember.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
            total += len(y)
    model.train()
    return correct / total


def main(epochs=4, num_workers=2):
    ember.manual_seed(0)
    train = TensorDataset(*make_bars(512, seed=0))
    test = TensorDataset(*make_bars(128, seed=1))
    train_loader = DataLoader(train, batch_size=32, shuffle=True, num_workers=num_workers)
    test_loader = DataLoader(test, batch_size=64)

    model = build_model()
    optimizer = ember.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        total = 0.0
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
        print(f"epoch {epoch}: loss {total / len(train):.4f}, "
              f"test accuracy {accuracy(model, test_loader):.3f}")

    # Checkpoints use PyTorch's format: torch.load reads this file too.
    path = os.path.join(tempfile.mkdtemp(), "cnn.pt")
    ember.save(model.state_dict(), path)
    reloaded = build_model()
    reloaded.load_state_dict(ember.load(path))
    acc = accuracy(reloaded, test_loader)
    print(f"reloaded from {path}: test accuracy {acc:.3f}")
    return acc


if __name__ == "__main__":
    main()
