"""nn.Module: registration, traversal, state_dict and its errors, conversion, hooks, repr."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
from ember_testing import torch_or_skip

import ember
from ember import nn


def build(lib):
    """The same nested model built from ember.nn or torch.nn (`lib` is the framework)."""
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = lib.nn.Linear(3, 4)
            self.register_buffer("running", lib.zeros(4))
            self.register_buffer("scratch", lib.ones(2), persistent=False)
            self.body = lib.nn.Sequential(lib.nn.Linear(4, 4), lib.nn.Identity(),
                                          lib.nn.Linear(4, 2, bias=False))
            self.heads = lib.nn.ModuleDict({"a": lib.nn.Linear(2, 1), "b": lib.nn.Identity()})
            self.scale = lib.nn.Parameter(lib.ones(1))

        def forward(self, x):
            return self.heads["a"](self.body(self.fc1(x) + self.running)) * self.scale

    return Net()


def torch_state_to_ember(state):
    return OrderedDict((k, ember.tensor(v.detach().numpy())) for k, v in state.items())


# ----------------------------------------------------------------------------- registration
def test_attribute_registration():
    m = nn.Module()
    m.w = nn.Parameter(ember.zeros(2))
    m.sub = nn.Linear(2, 2)
    m.register_buffer("buf", ember.ones(3))
    m.plain = 5
    assert list(m._parameters) == ["w"] and list(m._modules) == ["sub"]
    assert list(m._buffers) == ["buf"] and m.plain == 5
    assert m.w is m._parameters["w"]
    m.w = None
    assert m.w is None and "w" in m._parameters
    assert [n for n, _ in m.named_parameters()] == ["sub.weight", "sub.bias"]
    del m.sub
    assert "sub" not in m._modules and not hasattr(m, "sub")
    m.buf = ember.zeros(3)  # re-assigning a tensor to a buffer name keeps it a buffer
    assert list(m._buffers) == ["buf"] and m.buf.sum().item() == 0


def test_assignment_errors():
    m = nn.Linear(2, 3)
    with pytest.raises(TypeError, match="cannot assign 'ember.FloatTensor' as parameter 'weight'"):
        m.weight = ember.zeros(3, 2)
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("weight", ember.zeros(1))
    with pytest.raises(TypeError, match="cannot assign 'int' object to parameter 'p'"):
        m.register_parameter("p", 3)
    with pytest.raises(ValueError, match="non-leaf"):
        m.register_parameter("q", _non_leaf_param())
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nope'"):
        _ = m.nope

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ember.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def _non_leaf_param():
    p = nn.Parameter(ember.ones(2))
    p.grad_fn = (p * 2).grad_fn
    return p


def test_buffer_marker_and_persistence():
    m = nn.Module()
    m.stats = nn.Buffer(ember.ones(2))
    m.tmp = nn.Buffer(ember.ones(2), persistent=False)
    assert isinstance(m.stats, nn.Buffer) and not isinstance(ember.ones(1), nn.Buffer)
    assert list(m._buffers) == ["stats", "tmp"]
    assert list(m.state_dict()) == ["stats"]


def test_traversal_and_duplicates():
    shared = nn.Linear(2, 2)
    m = nn.Sequential(shared, nn.ReLU() if hasattr(nn, "ReLU") else nn.Identity(), shared)
    assert len(list(m.parameters())) == 2
    assert len(list(m.named_parameters(remove_duplicate=False))) == 4
    assert [n for n, _ in m.named_modules()] == ["", "0", "1"]
    assert [n for n, _ in m.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]
    assert [n for n, _ in m.named_parameters(prefix="model")] == ["model.0.weight",
                                                                   "model.0.bias"]
    assert list(m.named_parameters(recurse=False)) == []
    assert len(list(m.children())) == 2
    assert m.get_submodule("0") is shared
    assert m.get_parameter("0.bias") is shared.bias
    with pytest.raises(AttributeError, match="has no attribute `5`"):
        m.get_submodule("5")
    with pytest.raises(AttributeError, match="`weight` is not an nn.Module"):
        m.get_submodule("0.weight")
    assert "weight" in dir(shared) and "forward" in dir(shared)


# ----------------------------------------------------------------------------- state_dict
@pytest.mark.parity
def test_state_dict_keys_and_metadata_match_torch():
    torch = torch_or_skip()
    e, t = build(ember), build(torch)
    es, ts = e.state_dict(), t.state_dict()
    assert list(es) == list(ts)
    assert isinstance(es, OrderedDict)
    assert dict(es._metadata) == {k: dict(v) for k, v in ts._metadata.items()}
    assert es["fc1.weight"].requires_grad is False
    assert e.state_dict(keep_vars=True)["fc1.weight"] is e.fc1.weight
    assert list(e.state_dict(prefix="m.")) == list(t.state_dict(prefix="m."))


@pytest.mark.parity
def test_loading_a_torch_state_dict_gives_identical_outputs():
    torch = torch_or_skip()
    torch.manual_seed(0)
    e, t = build(ember), build(torch)
    with torch.no_grad():
        t.running.uniform_()
    result = e.load_state_dict(torch_state_to_ember(t.state_dict()))
    assert repr(result) == "<All keys matched successfully>"
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def _load_error(module, state):
    with pytest.raises(RuntimeError) as info:
        module.load_state_dict(state)
    return str(info.value)


@pytest.mark.parity
def test_load_state_dict_error_messages_match_torch():
    torch = torch_or_skip()
    e, t = nn.Linear(3, 4), torch.nn.Linear(3, 4)
    for mutate in (lambda s: s.pop("bias"),
                   lambda s: s.__setitem__("extra", s["bias"]),
                   lambda s: s.__setitem__("weight", s["weight"][:2]),
                   lambda s: (s.pop("weight"), s.__setitem__("bias", s["bias"][:1]),
                              s.__setitem__("sub.x", s["bias"]))):
        es, ts = e.state_dict(), t.state_dict()
        mutate(es)
        mutate(ts)
        assert _load_error(e, es) == _load_error(t, ts).replace("torch.", "ember.")


def test_load_state_dict_non_strict_and_copies_in_place():
    m = nn.Linear(2, 3)
    weight = m.weight
    state = {"weight": ember.ones(3, 2, dtype=ember.float64), "junk": ember.zeros(1)}
    result = m.load_state_dict(state, strict=False)
    # As in PyTorch, non-strict loading still reports what did not match.
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["junk"]
    assert m.weight is weight and m.weight.dtype == ember.float32
    assert m.weight.sum().item() == 6 and m.weight.requires_grad
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        m.load_state_dict([1, 2])


def test_load_state_dict_assign():
    m = nn.Linear(2, 3)
    new_w = ember.ones(3, 2)
    m.load_state_dict({"weight": new_w, "bias": ember.zeros(3)}, assign=True)
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    assert m.weight._data is new_w._data


def test_state_dict_hooks_and_custom_load():
    class Versioned(nn.Module):
        _version = 2

        def __init__(self):
            super().__init__()
            self.register_buffer("count", ember.zeros(1))

        def _load_from_state_dict(self, state_dict, prefix, local_metadata, *args):
            # A layer renaming an old key before the standard loading, as BatchNorm does.
            if local_metadata.get("version", 2) < 2 and prefix + "old" in state_dict:
                state_dict[prefix + "count"] = state_dict.pop(prefix + "old")
            super()._load_from_state_dict(state_dict, prefix, local_metadata, *args)

    outer = nn.Sequential(Versioned())
    state = outer.state_dict()
    assert state._metadata["0"] == {"version": 2}
    state["0.old"] = state.pop("0.count") + 5
    state._metadata["0"]["version"] = 1
    outer.load_state_dict(state)
    assert outer[0].count.item() == 5
    seen = []
    outer.register_load_state_dict_post_hook(lambda mod, keys: seen.append(keys))
    outer.register_state_dict_post_hook(lambda mod, sd, prefix, meta: sd.__setitem__("x", 1))
    assert "x" in outer.state_dict()
    outer.load_state_dict(outer.state_dict(), strict=False)
    assert seen and seen[0].unexpected_keys == ["x"]


def test_extra_state():
    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.value = 1

        def get_extra_state(self):
            return {"value": self.value}

        def set_extra_state(self, state):
            self.value = state["value"]

    m = WithExtra()
    m.value = 7
    state = m.state_dict()
    assert state["_extra_state"] == {"value": 7}
    fresh = WithExtra()
    fresh.load_state_dict(state)
    assert fresh.value == 7


# ----------------------------------------------------------------------------- modes, conversion
def test_train_eval_and_apply():
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 2)))
    assert m.training and m.eval() is m
    assert not any(sub.training for sub in m.modules())
    m.train()
    assert all(sub.training for sub in m.modules())
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "Linear", "Sequential", "Sequential"]
    with pytest.raises(ValueError, match="boolean"):
        m.train("yes")


def test_to_and_casts_keep_parameter_identity():
    m = nn.Linear(2, 2)
    m.register_buffer("steps", ember.zeros(1, dtype=ember.int64))
    w = m.weight
    m.weight.grad = ember.ones(2, 2)
    assert m.to(ember.float64) is m
    assert m.weight is w and w.dtype == ember.float64 and w.grad.dtype == ember.float64
    assert m.steps.dtype == ember.int64  # integer buffers keep their dtype
    assert m.float().weight.dtype == ember.float32
    assert m.half().bias.dtype == ember.float16
    assert m.double().to("cpu").to(ember.zeros(1)).weight.dtype == ember.float32
    assert m.to(device="cpu", dtype=ember.float64).weight.dtype == ember.float64
    with pytest.raises(TypeError, match="floating point or complex"):
        m.to(ember.int32)
    assert m.cpu() is m and m.share_memory() is m


def test_zero_grad_and_requires_grad():
    m = nn.Linear(2, 2)
    m(ember.ones(1, 2)).sum().backward()
    m.zero_grad(set_to_none=False)
    assert m.weight.grad is not None and m.weight.grad.abs().sum().item() == 0
    m.zero_grad()
    assert m.weight.grad is None
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


# ----------------------------------------------------------------------------- hooks
def test_forward_hooks():
    m = nn.Identity()
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] + 1,))
    h2 = m.register_forward_hook(lambda mod, args, out: out * 10)
    m.register_forward_hook(lambda mod, args, out: calls.append("first"), prepend=True)
    assert m(ember.tensor(1.0)).item() == 20
    assert calls == ["first"]
    h1.remove()
    h2.remove()
    assert m(ember.tensor(1.0)).item() == 1

    def kw_pre(mod, args, kwargs):
        return args, {}

    m2 = nn.Identity()
    with m2.register_forward_pre_hook(kw_pre, with_kwargs=True):
        assert m2(ember.tensor(3.0), unused=1).item() == 3
    m2.register_forward_hook(lambda mod, args, kwargs, out: out + kwargs.get("k", 0),
                             with_kwargs=True)
    assert m2.forward(ember.tensor(1.0)).item() == 1


def test_always_call_forward_hook():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Boom()
    seen = []
    m.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        m(ember.ones(1))
    assert seen == [None]


def test_full_backward_hooks():
    m = nn.Linear(3, 2)
    x = ember.ones(4, 3, requires_grad=True)
    seen = {}

    def pre(mod, grad_output):
        seen["pre"] = grad_output[0].shape

    def hook(mod, grad_input, grad_output):
        seen["in"], seen["out"] = grad_input[0].shape, grad_output[0].shape
        return (grad_input[0] * 0,)

    m.register_full_backward_pre_hook(pre)
    m.register_full_backward_hook(hook)
    m(x).sum().backward()
    assert seen == {"pre": (4, 2), "in": (4, 3), "out": (4, 2)}
    assert x.grad.abs().sum().item() == 0
    assert m.weight.grad is not None


# ----------------------------------------------------------------------------- repr, copies
@pytest.mark.parity
def test_repr_matches_torch():
    torch = torch_or_skip()
    for lib_model in (build, lambda lib: lib.nn.ModuleList([lib.nn.Linear(2, 2)] * 3
                                                           + [lib.nn.Identity()]),
                      lambda lib: lib.nn.Sequential(OrderedDict(a=lib.nn.Flatten(),
                                                                b=lib.nn.Unflatten(1, (2, 3)))),
                      lambda lib: lib.nn.Bilinear(2, 3, 4, bias=False)):
        assert repr(lib_model(ember)) == repr(lib_model(torch))


def test_parameter_repr_copy_pickle():
    p = nn.Parameter(ember.tensor([1.0, 2.0]))
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert not nn.Parameter(ember.zeros(1), requires_grad=False).requires_grad
    assert nn.Parameter(ember.tensor([1]), requires_grad=False).dtype == ember.int64
    with pytest.raises(RuntimeError, match="floating point and complex"):
        nn.Parameter(ember.tensor([1]))
    p.grad = ember.ones(2)
    q = copy.deepcopy(p)
    assert isinstance(q, nn.Parameter) and q.requires_grad and q._data is not p._data
    assert q.grad.tolist() == [1.0, 1.0]
    r = pickle.loads(pickle.dumps(p))
    assert isinstance(r, nn.Parameter) and r.tolist() == [1.0, 2.0] and r.requires_grad
    m = nn.Sequential(nn.Linear(2, 2))
    m2 = copy.deepcopy(m)
    assert m2[0].weight is not m[0].weight
    np.testing.assert_array_equal(m2[0].weight.detach().numpy(), m[0].weight.detach().numpy())
    m3 = pickle.loads(pickle.dumps(m))
    assert isinstance(m3[0].weight, nn.Parameter)


def test_forward_unimplemented():
    with pytest.raises(NotImplementedError, match="missing the required \"forward\""):
        nn.Module()(1)
