"""ember.backends.mkldnn: PyTorch's switch for oneDNN, turning ember's oneDNN paths on and off."""
import re

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember._onednn import convolution, library


def test_reports_the_library():
    mkldnn = ember.backends.mkldnn
    assert mkldnn.is_available() == (library.lib is not None)
    version = mkldnn.version()
    assert version is None if not mkldnn.is_available() else re.fullmatch(r"3\.\d+\.\d+",
                                                                           version)


def test_enabled_is_settable_and_flags_restore(monkeypatch):
    mkldnn = ember.backends.mkldnn
    monkeypatch.setattr(library, "enabled", library.enabled)
    start = mkldnn.enabled
    mkldnn.enabled = False
    assert not mkldnn.enabled and not library.enabled
    with mkldnn.flags(enabled=True):
        assert mkldnn.enabled == mkldnn.is_available()
    assert not mkldnn.enabled
    mkldnn.enabled = start
    with mkldnn.flags():
        assert not library.enabled
    assert mkldnn.enabled == start


def test_switching_off_keeps_results(monkeypatch):
    monkeypatch.setattr(library, "enabled", library.enabled)
    x, w = ember.randn(2, 3, 8, 8), ember.randn(4, 3, 3, 3)
    on = F.conv2d(x, w).numpy()
    with ember.backends.mkldnn.flags(enabled=False):
        monkeypatch.setattr(convolution, "_plan",
                            lambda *a: pytest.fail("oneDNN used while switched off"))
        off = F.conv2d(x, w).numpy()
    np.testing.assert_allclose(on, off, rtol=1e-4, atol=1e-4)
