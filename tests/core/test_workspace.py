"""The convolution's scratch-memory cache: a buffer still in use is never handed out again."""
import numpy as np

import ember
from ember import _workspace

SHAPE = (512, 1024)  # 2 MiB of float32: above the size the cache bothers with


def test_busy_buffer_not_reused_until_released():
    _workspace.clear()
    a = _workspace.empty(np, SHAPE, np.float32)
    view = a[::2, 1:]  # a view keeps the arena busy after `a` itself is gone
    del a
    b = _workspace.empty(np, SHAPE, np.float32)
    assert not np.shares_memory(view, b)
    del view
    c = _workspace.empty(np, SHAPE, np.float32)
    assert np.shares_memory(c, b) is False
    del c
    d = _workspace.empty(np, (SHAPE[0] * 2, SHAPE[1] // 2), np.float32)  # same bytes, any shape
    assert d.shape == (SHAPE[0] * 2, SHAPE[1] // 2) and d.dtype == np.float32
    _workspace.clear()
    assert not _workspace._arenas


def test_cache_is_capped(monkeypatch):
    _workspace.clear()
    monkeypatch.setattr(_workspace, "_CAP", 3 * 2 ** 21)
    held = [_workspace.empty(np, SHAPE, np.float32) for _ in range(5)]
    assert _workspace._bytes <= 3 * 2 ** 21 + 2 ** 21
    assert len({b.ctypes.data for b in held}) == 5  # all distinct while held
    _workspace.clear()


def test_saved_columns_survive_other_convolutions():
    # Columns kept by one convolution's node for its weight gradient must not be overwritten by
    # the next convolution's im2col into the cache.
    _workspace.clear()
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.standard_normal((4, 16, 32, 32), dtype=np.float32))
    w = ember.tensor(rng.standard_normal((16, 16, 3, 3), dtype=np.float32), requires_grad=True)
    ref_w = ember.tensor(w.detach().numpy().copy(), requires_grad=True)
    ember.nn.functional.conv2d(x, ref_w, padding=1).sum().backward()
    y = ember.nn.functional.conv2d(x, w, padding=1)
    ember.nn.functional.conv2d(x * 2, w.detach(), padding=1)  # same shape, other data
    y.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), ref_w.grad.numpy(), rtol=1e-5, atol=1e-3)
    _workspace.clear()
