"""Repository-wide test rules."""
import importlib.util

import pytest

from ember_testing import _cuda_available, devices

_HAS_TORCH = importlib.util.find_spec("torch") is not None
_HAS_TORCHVISION = importlib.util.find_spec("torchvision") is not None
_HAS_TORCHAUDIO = importlib.util.find_spec("torchaudio") is not None


def pytest_collection_modifyitems(config, items):
    # `parity` means "compared against PyTorch": without torch installed those tests skip.
    # `parity_vision` needs torchvision too (its own nox session installs it).
    skip = pytest.mark.skip(reason="parity test: PyTorch (the test oracle) is not installed")
    skip_vision = pytest.mark.skip(reason="parity_vision test: torchvision is not installed")
    for item in items:
        if "parity" in item.keywords and not _HAS_TORCH:
            item.add_marker(skip)
        if "parity_vision" in item.keywords and not _HAS_TORCHVISION:
            item.add_marker(skip_vision)
        if "parity_audio" in item.keywords and not _HAS_TORCHAUDIO:
            item.add_marker(pytest.mark.skip(reason="parity_audio test: torchaudio is not "
                                                    "installed"))


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def device(request):
    """Each device a test should pass on: "cpu", and "cuda" (skipped without CuPy and a GPU, or
    when `EMBER_TEST_DEVICES` leaves it out)."""
    if request.param == "cuda" and not _cuda_available():
        pytest.skip("needs a CUDA device (CuPy and a GPU)")
    if request.param not in devices():
        pytest.skip(f"device {request.param!r} is not in EMBER_TEST_DEVICES")
    return request.param
