"""ctc_loss / CTCLoss: parity with torch (values over reductions, padded and concatenated
targets, varying lengths, repeated labels, blank not 0, impossible alignments with and without
zero_infinity, unbatched input, gradients w.r.t. log_probs and through log_softmax), gradcheck,
errors."""
import numpy as np
import pytest
from ember_testing import check_gradcheck, check_parity, rand

import ember
import ember.nn.functional as F
from ember import nn

REDUCTIONS = ["mean", "sum", "none"]
T, N, C = 7, 4, 5
# Repeated labels ("1 1" needs a blank between), a zero-length target, varying input lengths.
PADDED = np.array([[1, 1, 2, 3], [4, 2, 0, 0], [3, 3, 3, 0], [2, 0, 0, 0]])
TARGET_LENGTHS = (4, 2, 3, 0)
INPUT_LENGTHS = (7, 5, 6, 3)
# Sample 1 is impossible: "3 3 3" needs 5 steps, it gets 4.
IMPOSSIBLE_INPUT_LENGTHS = (7, 5, 4, 3)


def _log_probs(t=T, n=N, c=C, seed=0):
    x = rand(t, n, c, seed=seed)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def _concatenated(padded, lengths):
    return np.concatenate([row[:n] for row, n in zip(padded, lengths)])


def _call(targets, input_lengths, target_lengths, as_tensors=False, **kw):
    def call(m, log_probs):
        il, tl = input_lengths, target_lengths
        if as_tensors:
            il, tl = m.tensor(il), m.tensor(tl, dtype=m.int32)
        return m.nn.functional.ctc_loss(log_probs, m.tensor(targets), il, tl, **kw)
    return call


@pytest.mark.parity
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
@pytest.mark.parametrize("as_tensors", [False, True])
def test_ctc_parity(reduction, layout, as_tensors):
    targets = PADDED if layout == "padded" else _concatenated(PADDED, TARGET_LENGTHS)
    # Gradients w.r.t. log_probs as a leaf: PyTorch's (log_softmax-assuming) formula.
    check_parity(_call(targets, INPUT_LENGTHS, TARGET_LENGTHS, as_tensors, reduction=reduction),
                 _log_probs())


@pytest.mark.parity
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("blank", [0, 2, C - 1])
def test_ctc_through_log_softmax_parity(reduction, blank):
    targets = np.where(PADDED == blank, (blank + 1) % C, PADDED)
    inner = _call(targets, INPUT_LENGTHS, TARGET_LENGTHS, blank=blank, reduction=reduction)
    check_parity(lambda m, x: inner(m, m.nn.functional.log_softmax(x, 2)), rand(T, N, C))


@pytest.mark.parity
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_impossible_parity(reduction, zero_infinity):
    # Without zero_infinity the loss is inf and the gradient NaN for the impossible sample.
    check_parity(_call(PADDED, IMPOSSIBLE_INPUT_LENGTHS, TARGET_LENGTHS, reduction=reduction,
                       zero_infinity=zero_infinity), _log_probs())


@pytest.mark.parity
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_unbatched_and_zero_lengths_parity(reduction):
    lp = _log_probs(n=1)[:, 0]
    check_parity(_call(np.array([2, 2, 4]), (T,), (3,), reduction=reduction), lp)
    # Lengths as 0-d tensors.
    check_parity(_call(np.array([2, 2, 4]), T, 3, as_tensors=True, reduction=reduction), lp,
                 dtypes=("float64",), layouts=("contiguous",))
    # No time steps: the empty target costs 0, any other is impossible (with a zero gradient).
    for zero_infinity in (False, True):
        check_parity(_call(PADDED, (0, 0, 6, 3), (4, 0, 3, 1), reduction=reduction,
                           zero_infinity=zero_infinity), _log_probs(), dtypes=("float64",))


@pytest.mark.parity
def test_ctc_module_parity():
    def call(m, x):
        loss = m.nn.CTCLoss(blank=1, zero_infinity=True)
        return loss(m.nn.functional.log_softmax(x, 2), m.tensor(PADDED + 1),
                    IMPOSSIBLE_INPUT_LENGTHS, TARGET_LENGTHS)
    check_parity(call, rand(T, N, C + 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_gradcheck(reduction):
    targets = ember.tensor([[1, 1, 2], [2, 0, 0]])
    check_gradcheck(lambda x: F.ctc_loss(F.log_softmax(x, 2), targets, (5, 4), (3, 1),
                                         reduction=reduction), rand(5, 2, 3))


def test_ctc_node_and_double_backward():
    lp = ember.tensor(_log_probs(), requires_grad=True)
    loss = F.ctc_loss(lp, ember.tensor(PADDED), INPUT_LENGTHS, TARGET_LENGTHS, reduction="none")
    assert loss.grad_fn.name() == "CtcLossBackward0"
    assert loss.shape == (N,) and loss.dtype == ember.float64
    (g,) = ember.autograd.grad(loss.sum(), lp, create_graph=True)
    with pytest.raises(RuntimeError, match="ctc_loss"):
        g.sum().backward()
    assert not F.ctc_loss(lp.detach(), ember.tensor(PADDED), INPUT_LENGTHS,
                          TARGET_LENGTHS).requires_grad


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"input_lengths": (7, 7, 7)}, RuntimeError,
     r"ctc_loss: input_lengths must be of size batch_size \(4\), got 3"),
    ({"target_lengths": (1, 1)}, RuntimeError, "target_lengths must be of size batch_size"),
    ({"input_lengths": (8, 1, 1, 1)}, RuntimeError, "input_lengths to have value at most 7"),
    ({"target_lengths": (-1, 1, 1, 1)}, RuntimeError, "target_lengths to have value at least 0"),
    ({"target_lengths": (5, 1, 1, 1)}, RuntimeError, r"at\s+least max target length \(5\)"),
    ({"targets": np.array([1, 2, 3])}, RuntimeError, r"sum\(target_lengths\) \(9\), got 3"),
    ({"targets": np.full((4, 4), 7)}, IndexError, "target label 7 is out of range for 5"),
    ({"targets": np.zeros((4, 4, 1), int)}, RuntimeError, "targets must be 1-D"),
    ({"blank": 5}, RuntimeError, r"blank must be in label range \[0, 5\), got 5"),
    ({"input_lengths": ember.tensor([7.0, 7, 7, 7])}, RuntimeError,
     "input_lengths must be integral"),
    ({"input_lengths": "7"}, TypeError, "input_lengths must be a Tensor or a tuple of ints"),
    ({"reduction": "avg"}, ValueError, "ctc_loss: avg is not a valid value for reduction"),
    ({"log_probs": np.zeros((2, 3, 4, 5))}, RuntimeError, r"log_probs must be 3-D .* \[2, 3, 4"),
    ({"log_probs": np.zeros((7, 4, 5), int)}, RuntimeError, "floating point log_probs"),
])
def test_ctc_errors(kwargs, exc, match):
    args = {"log_probs": _log_probs(), "targets": PADDED, "input_lengths": INPUT_LENGTHS,
            "target_lengths": TARGET_LENGTHS} | kwargs
    for key in ("log_probs", "targets"):
        args[key] = ember.tensor(args[key])
    with pytest.raises(exc, match=match):
        F.ctc_loss(**args)


def test_ctc_module_options():
    loss = nn.CTCLoss(blank=3, reduction="sum", zero_infinity=True)
    assert repr(loss) == "CTCLoss()"
    assert (loss.blank, loss.reduction, loss.zero_infinity) == (3, "sum", True)
    out = loss(ember.tensor(_log_probs()), ember.tensor(PADDED), IMPOSSIBLE_INPUT_LENGTHS,
               TARGET_LENGTHS)
    assert np.isfinite(out.item())
