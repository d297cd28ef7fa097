"""multilabel_margin_loss / MultiLabelMarginLoss: parity with torch (reductions, targets padded
with -1, entries after the first -1 ignored, repeated indices, unbatched and 0-d), gradcheck,
errors."""
import numpy as np
import pytest
from ember_testing import check_gradcheck, check_parity, rand

import ember
import ember.nn.functional as F
from ember import nn

REDUCTIONS = ["mean", "sum", "none"]
# Row 2 stops at once; row 3 repeats index 3 (counted twice, as in PyTorch); row 4 lists all.
TARGETS = np.array([[3, 0, -1, 1, 2], [1, 2, 4, -1, -1], [-1, 2, 3, 1, 0], [3, 3, -1, 1, 1],
                    [0, 1, 2, 3, 4]])


@pytest.mark.parity
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", ["batched", "unbatched", "scalar"])
def test_multilabel_margin_parity(reduction, case):
    x, t = rand(5, 5) * 0.7, TARGETS
    if case == "unbatched":
        x, t = x[0], t[0]
    elif case == "scalar":
        x, t = np.asarray(x[0, 0]), np.asarray(0)
    check_parity(lambda m, x: m.nn.functional.multilabel_margin_loss(x, m.tensor(t),
                                                                     reduction=reduction), x)


@pytest.mark.parity
def test_multilabel_margin_module_parity():
    check_parity(lambda m, x: m.nn.MultiLabelMarginLoss(reduction="sum")(x, m.tensor(TARGETS)),
                 rand(5, 5, seed=3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_gradcheck(reduction):
    t = ember.tensor(TARGETS)
    check_gradcheck(lambda x: F.multilabel_margin_loss(x, t.to(x.device), reduction=reduction),
                    rand(5, 5) * 0.7)


def test_multilabel_margin_module_repr():
    assert repr(nn.MultiLabelMarginLoss()) == "MultiLabelMarginLoss()"


@pytest.mark.parametrize("x_shape, target, exc, match", [
    ((2, 4), [[3, 0, -1, 1]], RuntimeError, r"inconsistent target size: \[1, 4\] for input of "
                                            r"size: \[2, 4\]"),
    ((2, 4), [[5, 0, -1, 1], [0, -1, 1, 1]], IndexError, r"out of range \(must be in \[-1, 4"),
    ((2, 4), [[1.0, 0, -1, 1], [0, -1, 1, 1]], RuntimeError, "expected scalar type Long"),
    ((2, 3, 4), np.zeros((2, 3, 4), int), RuntimeError,
     r"multilabel_margin_loss: Expected non-empty vector or matrix .* \[2, 3, 4\]"),
])
def test_multilabel_margin_errors(x_shape, target, exc, match):
    with pytest.raises(exc, match=match):
        F.multilabel_margin_loss(ember.tensor(rand(*x_shape)), ember.tensor(target))
