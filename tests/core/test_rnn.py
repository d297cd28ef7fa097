"""RNN, LSTM, GRU and their cells: torch parity (outputs, final states, gradients of inputs and
every parameter), packed sequences, gradcheck, errors."""
import numpy as np
import pytest

import ember
import ember.nn as nn
from ember_testing import assert_close, copy_torch_parameters, torch_or_skip

I, H = 5, 4


def _pair(torch, name, *args, dtype="float64", **kwargs):
    """An ember module and a torch module of class `name` with the same parameters."""
    tm = getattr(torch.nn, name)(*args, **kwargs).to(getattr(torch, dtype))
    em = getattr(nn, name)(*args, **kwargs, dtype=getattr(ember, dtype))
    return copy_torch_parameters(em, tm), tm


def _leaf(torch, arr):
    return ember.from_numpy(arr.copy()).requires_grad_(), \
        torch.from_numpy(arr.copy()).requires_grad_()


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [o for x in out for o in _flat(x)]
    return [out]


def _compare(em, tm, e_out, t_out, leaves, rtol=1e-7, atol=1e-9):
    e_out, t_out = _flat(e_out), _flat(t_out)
    assert len(e_out) == len(t_out)
    rng = np.random.default_rng(0)
    e_loss = t_loss = 0
    for i, (eo, to) in enumerate(zip(e_out, t_out)):
        assert_close(eo, to, rtol, atol, f"output {i}")
        g = rng.uniform(-1, 1, tuple(to.shape))
        e_loss = e_loss + (eo * ember.from_numpy(g.astype(to.detach().numpy().dtype))).sum()
        t_loss = t_loss + (to * torch_or_skip().from_numpy(g).to(to.dtype)).sum()
    e_loss.backward()
    t_loss.backward()
    for i, (el, tl) in enumerate(leaves):
        assert_close(el.grad, tl.grad, rtol * 10, atol * 10, f"gradient of input {i}")
    t_params = dict(tm.named_parameters())
    for name, p in em.named_parameters():
        assert_close(p.grad, t_params[name].grad, rtol * 10, atol * 10, f"gradient of {name}")


LAYERS = [("RNN", {"nonlinearity": "tanh"}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}),
          ("GRU", {})]


@pytest.mark.parity
@pytest.mark.parametrize("name,extra", LAYERS)
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("initial", [False, True])
def test_layer_parity(name, extra, num_layers, bidirectional, batch_first, initial):
    torch = torch_or_skip()
    em, tm = _pair(torch, name, I, H, num_layers, batch_first=batch_first,
                   bidirectional=bidirectional, **extra)
    rng = np.random.default_rng(1)
    T, B = 4, 3
    x = rng.standard_normal((B, T, I) if batch_first else (T, B, I))
    ex, tx = _leaf(torch, x)
    leaves = [(ex, tx)]
    e_args, t_args = [ex], [tx]
    if initial:
        shape = (num_layers * (2 if bidirectional else 1), B, H)
        states = [_leaf(torch, rng.standard_normal(shape)) for _ in range(2 if name == "LSTM"
                                                                          else 1)]
        leaves += states
        if name == "LSTM":
            e_args.append(tuple(s[0] for s in states))
            t_args.append(tuple(s[1] for s in states))
        else:
            e_args.append(states[0][0])
            t_args.append(states[0][1])
    _compare(em, tm, em(*e_args), tm(*t_args), leaves)


@pytest.mark.parity
@pytest.mark.parametrize("name,extra", LAYERS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_packed_parity(name, extra, bidirectional, enforce_sorted):
    torch = torch_or_skip()
    from ember.nn.utils.rnn import pack_padded_sequence as e_pack
    from torch.nn.utils.rnn import pack_padded_sequence as t_pack
    em, tm = _pair(torch, name, I, H, 2, bidirectional=bidirectional, **extra)
    lengths = [5, 3, 2] if enforce_sorted else [2, 5, 3]
    x = np.random.default_rng(2).standard_normal((5, 3, I))
    ex, tx = _leaf(torch, x)
    e_out = em(e_pack(ex, lengths, enforce_sorted=enforce_sorted))
    t_out = tm(t_pack(tx, lengths, enforce_sorted=enforce_sorted))
    assert isinstance(e_out[0], nn.utils.rnn.PackedSequence)
    assert_close(e_out[0].batch_sizes, t_out[0].batch_sizes)
    _compare(em, tm, (e_out[0].data, e_out[1]), (t_out[0].data, t_out[1]), [(ex, tx)])


@pytest.mark.parity
def test_lstm_proj_size_and_float32():
    torch = torch_or_skip()
    em, tm = _pair(torch, "LSTM", I, 6, 2, proj_size=3, bidirectional=True, dtype="float32")
    assert em.weight_hr_l0.shape == (3, 6) and em.weight_hh_l1_reverse.shape == (24, 3)
    x = np.random.default_rng(3).standard_normal((4, 2, I)).astype(np.float32)
    ex, tx = _leaf(torch, x)
    _compare(em, tm, em(ex), tm(tx), [(ex, tx)], rtol=1e-5, atol=1e-6)


@pytest.mark.parity
@pytest.mark.parametrize("name,extra", LAYERS)
def test_unbatched_and_no_bias(name, extra):
    torch = torch_or_skip()
    em, tm = _pair(torch, name, I, H, 2, bias=False, **extra)
    x = np.random.default_rng(4).standard_normal((4, I))
    ex, tx = _leaf(torch, x)
    _compare(em, tm, em(ex), tm(tx), [(ex, tx)])


def test_dropout_between_layers_only_in_training():
    ember.manual_seed(0)
    m = nn.GRU(I, H, 3, dropout=0.5, dtype=ember.float64)
    x = ember.randn(4, 2, I, dtype=ember.float64)
    m.eval()
    a, b = m(x)[0], m(x)[0]
    assert_close(a, b)
    m.train()
    assert not np.allclose(m(x)[0].detach().numpy(), a.detach().numpy())


CELLS = [("RNNCell", {"nonlinearity": "tanh"}), ("RNNCell", {"nonlinearity": "relu"}),
         ("LSTMCell", {}), ("GRUCell", {})]


@pytest.mark.parity
@pytest.mark.parametrize("name,extra", CELLS)
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("initial", [False, True])
def test_cell_parity(name, extra, batched, initial):
    torch = torch_or_skip()
    em, tm = _pair(torch, name, I, H, **extra)
    rng = np.random.default_rng(5)
    lead = (3,) if batched else ()
    ex, tx = _leaf(torch, rng.standard_normal(lead + (I,)))
    leaves, e_args, t_args = [(ex, tx)], [ex], [tx]
    if initial:
        states = [_leaf(torch, rng.standard_normal(lead + (H,)))
                  for _ in range(2 if name == "LSTMCell" else 1)]
        leaves += states
        e_args.append(tuple(s[0] for s in states) if name == "LSTMCell" else states[0][0])
        t_args.append(tuple(s[1] for s in states) if name == "LSTMCell" else states[0][1])
    _compare(em, tm, em(*e_args), tm(*t_args), leaves)


@pytest.mark.parametrize("name,extra", CELLS)
def test_cell_gradcheck(name, extra):
    ember.manual_seed(0)
    cell = getattr(nn, name)(3, 2, dtype=ember.float64, **extra)
    x = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
    h = ember.randn(2, 2, dtype=ember.float64, requires_grad=True)
    c = ember.randn(2, 2, dtype=ember.float64, requires_grad=True)
    if name == "LSTMCell":
        fn, inputs = (lambda x, h, c, *ps: cell(x, (h, c))), [x, h, c]
    else:
        fn, inputs = (lambda x, h, *ps: cell(x, h)), [x, h]
    # The parameters are inputs too, so gradcheck also checks their gradients.
    assert ember.autograd.gradcheck(fn, inputs + list(cell.parameters()), atol=1e-5, rtol=1e-3)


def _recurrence_case(mode, masked, seed):
    """Float64 inputs (xproj, w_hh, b_hh, h0[, c0]) of a 3-step, batch-2, 2-unit layer, all
    requiring grad, and a mask ending the second sequence after one step (or None)."""
    from ember.nn.functional.rnn import GATES
    rng = np.random.default_rng(seed)
    T, B, hid = 3, 2, 2
    t = lambda *s: ember.from_numpy(rng.standard_normal(s)).requires_grad_()  # noqa: E731
    inputs = [t(T, B, GATES[mode] * hid), t(GATES[mode] * hid, hid), t(GATES[mode] * hid),
              t(B, hid)] + ([t(B, hid)] if mode == "LSTM" else [])
    mask = np.array([[1, 1], [1, 0], [1, 0]], dtype=np.float64)[:, :, None] if masked else None
    return inputs, mask


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_TANH"])
@pytest.mark.parametrize("masked", [False, True])
def test_recurrence_gradcheck(mode, masked):
    from ember.nn.functional.rnn import recurrence
    inputs, mask = _recurrence_case(mode, masked, seed=6)

    def run(xproj, w_hh, b_hh, h0, *c):
        for reverse in (False, True):
            out, h, cn = recurrence(mode, xproj, w_hh, b_hh, h0, c[0] if c else None,
                                    mask=mask, reverse=reverse)
            yield from (out, h) + ((cn,) if cn is not None else ())

    assert ember.autograd.gradcheck(lambda *a: tuple(run(*a)), inputs, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_RELU"])
@pytest.mark.parametrize("masked", [False, True])
def test_recurrence_gradgradcheck(mode, masked):
    # Double backward recomputes the layer with ember ops (see _rnn_composite).
    from ember.nn.functional.rnn import recurrence
    inputs, mask = _recurrence_case(mode, masked, seed=7)

    def run(xproj, w_hh, b_hh, h0, *c):
        out, h, cn = recurrence(mode, xproj, w_hh, b_hh, h0, c[0] if c else None, mask=mask,
                                reverse=True)
        return (out, cn) if cn is not None else out

    assert ember.autograd.gradgradcheck(run, inputs, atol=1e-5, rtol=1e-3)


@pytest.mark.parity
@pytest.mark.parametrize("name,extra", [("LSTM", {}), ("LSTM", {"proj_size": 2}), ("GRU", {}),
                                        ("RNN", {"bidirectional": True})])
def test_gradient_penalty_parity(name, extra):
    # d/dweights of |d loss / d x|^2, the double backward a gradient penalty takes.
    torch = torch_or_skip()
    torch.manual_seed(0)
    tm = getattr(torch.nn, name)(3, 4, num_layers=2, **extra).double()
    m = getattr(nn, name)(3, 4, num_layers=2, dtype=ember.float64, **extra)
    copy_torch_parameters(m, tm)
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (eg,) = ember.autograd.grad(m(ex)[0].square().sum(), [ex], create_graph=True)
    (tg,) = torch.autograd.grad(tm(tx)[0].square().sum(), [tx], create_graph=True)
    eg.square().sum().backward()
    tg.square().sum().backward()
    assert_close(eg.detach(), tg.detach())
    for (name_, p), tp in zip(m.named_parameters(), tm.parameters()):
        assert_close(p.grad, tp.grad, what=name_)


def test_state_dict_names():
    m = nn.LSTM(3, 4, 2, bidirectional=True, proj_size=2)
    keys = list(m.state_dict())
    assert keys[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                        "weight_hr_l0"]
    assert "weight_hr_l1_reverse" in keys and len(keys) == 20
    assert set(nn.GRUCell(3, 4).state_dict()) == {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}
    assert all(abs(p).max().item() <= 0.5 for p in m.parameters())  # U(-1/sqrt(4), 1/sqrt(4))


def test_errors():
    m = nn.LSTM(10, 4)
    with pytest.raises(RuntimeError, match=r"LSTM: input.size\(-1\) must be equal to "
                                           r"input_size. Expected 10, got 12"):
        m(ember.randn(3, 2, 12))
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D"):
        m(ember.randn(1, 3, 2, 10))
    with pytest.raises(RuntimeError, match=r"LSTM: Expected hidden size \(1, 2, 4\)"):
        m(ember.randn(3, 2, 10), (ember.zeros(1, 3, 4), ember.zeros(1, 2, 4)))
    with pytest.raises(RuntimeError, match="GRU: input.size"):
        nn.GRU(3, 4)(ember.randn(2, 2, 5))
    with pytest.raises(RuntimeError, match="LSTMCell: input.size"):
        nn.LSTMCell(3, 4)(ember.randn(2, 5))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="proj_size has to be smaller"):
        nn.LSTM(3, 4, proj_size=4)


def test_lstm_forward_leaves_a_fortran_ordered_weight_untouched():
    # The forward scales a copy of W_hh^T; when W_hh is F-ordered its transpose is already
    # C-contiguous, and that copy must still be a new array.
    lstm = ember.nn.LSTM(8, 16)
    weight = np.asfortranarray(lstm.weight_hh_l0.detach().numpy())
    lstm.weight_hh_l0 = ember.nn.Parameter(ember.from_numpy(weight))
    before = weight.copy()
    lstm(ember.randn(5, 3, 8))
    np.testing.assert_array_equal(lstm.weight_hh_l0.detach().numpy(), before)
