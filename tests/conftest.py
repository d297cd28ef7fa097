"""Repository-wide test rules."""
import importlib.util

import pytest

_HAS_TORCH = importlib.util.find_spec("torch") is not None


def pytest_collection_modifyitems(config, items):
    # `parity` means "compared against PyTorch": without torch installed those tests skip.
    if _HAS_TORCH:
        return
    skip = pytest.mark.skip(reason="parity test: PyTorch (the test oracle) is not installed")
    for item in items:
        if "parity" in item.keywords:
            item.add_marker(skip)
