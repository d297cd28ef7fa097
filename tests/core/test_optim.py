"""ember.optim against PyTorch: parameters after several steps on a small non-quadratic problem,
param groups, state_dict round trips (ember's and PyTorch's), errors and hooks."""
import copy
import warnings

import numpy as np
import pytest

import ember
from ember_testing import assert_close, rand

# (name, kwargs): each runs against torch.optim.<name> with the same arguments.
CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), maximize=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.005, alpha=0.9, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.2, weight_decay=0.1)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.1, rho=0.8, weight_decay=0.1, maximize=True)),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, weight_decay=0.1, betas=(0.8, 0.95))),
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, betas=(0.9, 0.9))),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in CASES]


def initial(dtype="float64"):
    return [rand(4, 3, low=-1, high=1, seed=1, dtype=dtype), rand(3, low=-1, high=1, seed=2,
                                                                  dtype=dtype),
            rand(4, 3, low=-1, high=1, seed=3, dtype=dtype)]


def make_params(m, arrays):
    return [m.from_numpy(a.copy()).requires_grad_() for a in arrays]


def loss_fn(m, params):
    """A Rosenbrock-like coupling of three tensors (curved, not quadratic)."""
    w, b, v = params
    r = (v - w * w) * (v - w * w) * 2.0 + (1.0 - w) * (1.0 - w)
    return r.sum() + ((w + b) * (w + b)).sum() * 0.5 + (b * b * b * b).sum() * 0.1


def train(m, opt, params, steps):
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(m, params).backward()
        opt.step()


def to_ember_state(obj):
    """A torch state_dict with every tensor converted to an ember tensor through NumPy."""
    import torch
    if isinstance(obj, torch.Tensor):
        return ember.from_numpy(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return {k: to_ember_state(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_ember_state(v) for v in obj)
    return obj


def assert_params(e_params, t_params, dtype, what):
    rtol, atol = (1e-9, 1e-11) if dtype == "float64" else (2e-5, 2e-6)
    for i, (e, t) in enumerate(zip(e_params, t_params)):
        assert_close(e, t, rtol, atol, f"{what}: parameter {i}")


@pytest.mark.parity
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_parity(name, kwargs, dtype):
    torch = pytest.importorskip("torch")
    e_params, t_params = make_params(ember, initial(dtype)), make_params(torch, initial(dtype))
    e_opt = getattr(ember.optim, name)(e_params, **kwargs)
    t_opt = getattr(torch.optim, name)(t_params, **kwargs)
    for step in range(6):
        train(ember, e_opt, e_params, 1)
        train(torch, t_opt, t_params, 1)
        assert_params(e_params, t_params, dtype, f"{name} step {step}")
    e_state, t_state = e_opt.state_dict(), t_opt.state_dict()
    assert e_state["param_groups"] == to_ember_state(t_state["param_groups"])
    for idx, t_entry in t_state["state"].items():
        assert set(e_state["state"][idx]) == set(t_entry)
        for key, value in t_entry.items():
            if value is not None:
                assert_close(e_state["state"][idx][key], value, 1e-4, 1e-5, f"state {key}")
                assert e_state["state"][idx][key].dtype.name == str(value.dtype)[6:], key


@pytest.mark.parity
@pytest.mark.parametrize("name,kwargs", CASES[1::2], ids=IDS[1::2])
def test_param_groups_parity(name, kwargs):
    torch = pytest.importorskip("torch")
    lr = kwargs.get("lr", 1.0)
    groups = lambda ps: [{"params": ps[:2]}, {"params": [ps[2]], "lr": lr * 0.5}]  # noqa: E731
    e_params, t_params = make_params(ember, initial()), make_params(torch, initial())
    e_opt = getattr(ember.optim, name)(groups(e_params), **kwargs)
    t_opt = getattr(torch.optim, name)(groups(t_params), **kwargs)
    train(ember, e_opt, e_params, 5)
    train(torch, t_opt, t_params, 5)
    assert_params(e_params, t_params, "float64", name)


@pytest.mark.parity
@pytest.mark.parametrize("name,kwargs", CASES[::2], ids=IDS[::2])
def test_state_dict_round_trip_mid_training(name, kwargs):
    torch = pytest.importorskip("torch")
    e_params, t_params = make_params(ember, initial()), make_params(torch, initial())
    e_opt = getattr(ember.optim, name)(e_params, **kwargs)
    t_opt = getattr(torch.optim, name)(t_params, **kwargs)
    train(ember, e_opt, e_params, 3)
    train(torch, t_opt, t_params, 3)
    saved = copy.deepcopy(e_opt.state_dict())
    train(ember, e_opt, e_params, 2)  # diverge, then restore into a fresh optimizer
    e_params = make_params(ember, [t.detach().numpy() for t in t_params])
    e_opt = getattr(ember.optim, name)(e_params, **kwargs)
    e_opt.load_state_dict(saved)
    train(ember, e_opt, e_params, 3)
    train(torch, t_opt, t_params, 3)
    assert_params(e_params, t_params, "float64", f"{name} after load_state_dict")


@pytest.mark.parity
@pytest.mark.parametrize("name,kwargs", CASES[::2], ids=IDS[::2])
def test_load_torch_state_dict(name, kwargs):
    torch = pytest.importorskip("torch")
    t_params = make_params(torch, initial())
    t_opt = getattr(torch.optim, name)(t_params, **kwargs)
    train(torch, t_opt, t_params, 3)
    e_params = make_params(ember, [t.detach().numpy() for t in t_params])
    e_opt = getattr(ember.optim, name)(e_params, **kwargs)
    e_opt.load_state_dict(to_ember_state(t_opt.state_dict()))
    train(ember, e_opt, e_params, 3)
    train(torch, t_opt, t_params, 3)
    assert_params(e_params, t_params, "float64", f"{name} from a torch state_dict")


@pytest.mark.parity
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lbfgs_parity(line_search_fn, dtype):
    torch = pytest.importorskip("torch")
    e_params, t_params = make_params(ember, initial(dtype)), make_params(torch, initial(dtype))
    kwargs = dict(lr=0.5, max_iter=6, history_size=4, line_search_fn=line_search_fn)
    e_opt, t_opt = ember.optim.LBFGS(e_params, **kwargs), torch.optim.LBFGS(t_params, **kwargs)

    def closure(m, opt, params):
        def run():
            opt.zero_grad()
            loss = loss_fn(m, params)
            loss.backward()
            return loss
        return run

    for step in range(3):
        e_loss = e_opt.step(closure(ember, e_opt, e_params))
        t_loss = t_opt.step(closure(torch, t_opt, t_params))
        tol = (1e-7, 1e-9) if dtype == "float64" else (2e-4, 2e-5)
        assert_close(e_loss, t_loss, *tol, what=f"loss {step}")
        for i, (e, t) in enumerate(zip(e_params, t_params)):
            assert_close(e, t, *tol, what=f"LBFGS step {step} parameter {i}")
    e_state, t_state = e_opt.state_dict()["state"][0], t_opt.state_dict()["state"][0]
    assert set(e_state) == set(t_state)
    assert e_state["func_evals"] == t_state["func_evals"]
    assert e_state["n_iter"] == t_state["n_iter"]


def test_lbfgs_requires_closure_and_one_group():
    p = ember.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match="per-parameter options"):
        ember.optim.LBFGS([{"params": [p]}, {"params": [ember.zeros(2, requires_grad=True)]}])
    with pytest.raises(RuntimeError, match="closure"):
        ember.optim.LBFGS([p]).step(None)
    with pytest.raises(ValueError, match="strong_wolfe"):
        ember.optim.LBFGS([p], line_search_fn="armijo")


def test_step_updates_in_place_and_bumps_version():
    p = ember.from_numpy(np.ones(3)).requires_grad_()
    data, version = p._data, p._version
    opt = ember.optim.Adam([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    assert p._data is data and p._version == version + 1
    assert not np.allclose(p.detach().numpy(), 1.0)
    assert p.grad_fn is None and p.requires_grad


def test_gradient_is_not_modified():
    p = ember.from_numpy(np.ones(3)).requires_grad_()
    opt = ember.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.5, maximize=True)
    (p * p).sum().backward()
    g = p.grad.numpy().copy()
    opt.step()
    np.testing.assert_array_equal(p.grad.numpy(), g)


def test_parameters_without_grad_are_skipped():
    a = ember.from_numpy(np.ones(2)).requires_grad_()
    b = ember.from_numpy(np.ones(2)).requires_grad_()
    opt = ember.optim.Adam([a, b])
    (a * 2.0).sum().backward()
    opt.step()
    np.testing.assert_array_equal(b.detach().numpy(), np.ones(2))
    assert b not in opt.state and a in opt.state


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    p = ember.from_numpy(np.ones(2)).requires_grad_()
    opt = ember.optim.SGD([p], lr=0.1)
    (p * 3.0).sum().backward()
    opt.zero_grad(set_to_none=set_to_none)
    if set_to_none:
        assert p.grad is None
    else:
        np.testing.assert_array_equal(p.grad.numpy(), np.zeros(2))


@pytest.mark.parametrize("name,kwargs,message", [
    ("SGD", dict(lr=-1), "Invalid learning rate: -1"),
    ("SGD", dict(momentum=-0.5), "Invalid momentum value: -0.5"),
    ("SGD", dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    ("SGD", dict(nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    ("Adam", dict(lr=-1), "Invalid learning rate: -1"),
    ("Adam", dict(eps=-1), "Invalid epsilon value: -1"),
    ("Adam", dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    ("AdamW", dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    ("RMSprop", dict(alpha=-1), "Invalid alpha value: -1"),
    ("Adagrad", dict(lr_decay=-1), "Invalid lr_decay value: -1"),
    ("Adagrad", dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("NAdam", dict(momentum_decay=-1), "Invalid momentum_decay value: -1"),
    ("RAdam", dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    ("LBFGS", dict(lr=-1), "Invalid learning rate: -1"),
])
def test_bad_hyperparameters(name, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        getattr(ember.optim, name)([ember.zeros(2, requires_grad=True)], **kwargs)


def test_bad_params():
    p = ember.zeros(2, requires_grad=True)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        ember.optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        ember.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        ember.optim.SGD([1.0], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        ember.optim.SGD([p * 2.0], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        ember.optim.SGD([{"params": {p}}], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        ember.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        ember.optim.SGD([p, p], lr=0.1)
    with pytest.raises(RuntimeError, match="differentiable"):
        ember.optim.Adam([p], differentiable=True)


def test_param_groups_and_add_param_group():
    a, b = ember.zeros(2, requires_grad=True), ember.zeros(3, requires_grad=True)
    opt = ember.optim.SGD([{"params": a, "lr": 0.5}], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [b]})
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.1]
    assert opt.param_groups[1]["momentum"] == 0.9
    assert opt.state_dict()["param_groups"][1]["params"] == [1]
    assert "Parameter Group 1" in repr(opt) and "momentum: 0.9" in repr(opt)


def test_named_parameters():
    a, b = ember.zeros(2, requires_grad=True), ember.zeros(3, requires_grad=True)
    opt = ember.optim.Adam([("w", a), ("b", b)])
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]


def test_load_state_dict_errors():
    a, b = ember.zeros(2, requires_grad=True), ember.zeros(3, requires_grad=True)
    saved = ember.optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="doesn't match the size"):
        ember.optim.SGD([a], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        ember.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(saved)


def test_load_state_dict_casts_to_param_dtype_and_copies():
    p = ember.zeros(3, requires_grad=True)  # float32
    state = {"state": {0: {"step": ember.tensor(4.0), "exp_avg": ember.ones(3, dtype=ember.float64),
                           "exp_avg_sq": np.ones(3)}},
             "param_groups": [dict(ember.optim.Adam([ember.zeros(1, requires_grad=True)])
                                   .param_groups[0], params=[0])]}
    opt = ember.optim.Adam([p])
    opt.load_state_dict(state)
    entry = opt.state[p]
    assert entry["exp_avg"].dtype == ember.float32 and entry["exp_avg_sq"].dtype == ember.float32
    assert entry["step"].dtype == ember.float32 and float(entry["step"]) == 4.0
    assert entry["exp_avg"]._data is not state["state"][0]["exp_avg"]._data


def test_step_hooks():
    p = ember.from_numpy(np.ones(2)).requires_grad_()
    opt = ember.optim.SGD([p], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o)))
    h2 = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", o)))
    h3 = ember.optim.register_optimizer_step_pre_hook(lambda o, a, k: calls.append(("global",)))
    (p * 1.0).sum().backward()
    opt.step()
    assert calls == [("global",), ("pre", opt), ("post", opt)]
    for h in (h1, h2, h3):
        h.remove()
    opt.step()
    assert len(calls) == 3


def test_pre_hook_can_replace_arguments_and_closure_runs_with_grad():
    p = ember.from_numpy(np.ones(2)).requires_grad_()
    opt = ember.optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    opt.register_step_pre_hook(lambda o, args, kwargs: ((closure,), {}))
    with ember.no_grad():
        loss = opt.step()
    assert float(loss) == 2.0
    np.testing.assert_allclose(p.detach().numpy(), [0.8, 0.8])


def test_adagrad_param_added_later_gets_state():
    a, b = ember.ones(2, requires_grad=True), ember.ones(2, requires_grad=True)
    opt = ember.optim.Adagrad([a], lr=0.1)
    opt.add_param_group({"params": [b]})
    (a * b).sum().backward()
    opt.step()
    assert float(opt.state[b]["step"]) == 1.0


def test_float64_default_dtype_step_state():
    prev = ember.get_default_dtype()
    ember.set_default_dtype(ember.float64)
    try:
        p = ember.ones(2, requires_grad=True)
        opt = ember.optim.Adam([p])
        (p * p).sum().backward()
        opt.step()
        assert opt.state[p]["step"].dtype == ember.float64
    finally:
        ember.set_default_dtype(prev)


def test_no_warning_in_normal_use():
    p = ember.ones(2, requires_grad=True)
    opt = ember.optim.NAdam([p])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.zero_grad()
            (p * p).sum().backward()
            opt.step()


@pytest.mark.cuda
@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name,kwargs", CASES + [("LBFGS", dict(lr=0.5, max_iter=5,
                                                                 line_search_fn="strong_wolfe"))],
                         ids=IDS + ["LBFGS"])
def test_cuda_matches_cpu(name, kwargs):
    """The same raw-array code runs on CuPy arrays; state_dict loads across devices."""
    results = []
    for device in ("cpu", "cuda"):
        params = [ember.tensor(a, device=device, requires_grad=True) for a in initial()]
        opt = getattr(ember.optim, name)(params, **kwargs)

        def closure(opt=opt, params=params):
            opt.zero_grad()
            loss = loss_fn(ember, params)
            loss.backward()
            return loss

        for _ in range(4):
            opt.step(closure)
        for key, value in opt.state_dict()["state"].get(0, {}).items():
            if isinstance(value, ember.Tensor) and value.ndim:
                assert value.device.type == device, key
        results.append(([p.detach().cpu().numpy() for p in params], opt.state_dict()))
    for cpu, gpu in zip(results[0][0], results[1][0]):
        np.testing.assert_allclose(gpu, cpu, rtol=1e-9, atol=1e-11)
    if name != "LBFGS":  # a CPU state_dict moves onto CUDA parameters
        params = [ember.tensor(a, device="cuda", requires_grad=True) for a in results[0][0]]
        opt = getattr(ember.optim, name)(params, **kwargs)
        opt.load_state_dict(results[0][1])
        for value in opt.state[params[0]].values():
            if isinstance(value, ember.Tensor) and value.ndim:
                assert value.is_cuda
