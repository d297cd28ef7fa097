"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""
from collections import OrderedDict

import pytest
from ember_testing import torch_or_skip

import ember
from ember import nn


def layers(n):
    return [nn.Linear(i + 1, i + 2) for i in range(n)]


def test_sequential_indexing_and_editing():
    a, b, c = layers(3)
    s = nn.Sequential(a, b)
    assert len(s) == 2 and s[0] is a and s[-1] is b
    assert isinstance(s[0:1], nn.Sequential) and list(s[0:1]) == [a]
    s.append(c)
    assert list(s._modules) == ["0", "1", "2"]
    assert s.pop(1) is b and list(s) == [a, c] and list(s._modules) == ["0", "1"]
    s.insert(1, b)
    assert list(s) == [a, b, c]
    s.insert(-1, nn.Identity())
    assert [type(m).__name__ for m in s] == ["Linear", "Linear", "Identity", "Linear"]
    del s[2]
    s[0] = nn.Identity()
    assert isinstance(s[0], nn.Identity)
    t = s + nn.Sequential(a)
    assert len(t) == 4 and t[3] is a
    s.extend([a])
    assert len(s) == 4
    assert len(nn.Sequential(a) * 3) == 3
    with pytest.raises(IndexError, match="index 9 is out of range"):
        s[9]
    with pytest.raises(ValueError, match="add operator supports only"):
        s + [a]
    named = nn.Sequential(OrderedDict([("first", a), ("second", b)]))
    assert named.first is a and list(named._modules) == ["first", "second"]
    assert not any(k.isdigit() for k in dir(s))


def test_sequential_forward():
    s = nn.Sequential(nn.Identity(), nn.Identity())
    x = ember.ones(2)
    assert s(x) is x


def test_module_list():
    a, b, c = layers(3)
    ml = nn.ModuleList([a, b])
    ml.append(c)
    ml += [nn.Identity()]
    assert len(ml) == 4 and ml[-1] is not c and ml[2] is c
    assert isinstance(ml[1:], nn.ModuleList) and len(ml[1:]) == 3
    ml.insert(0, nn.Identity())
    assert ml[1] is a and len(list(ml.parameters())) == 6
    del ml[0]
    assert ml[0] is a and list(ml._modules) == ["0", "1", "2", "3"]
    assert ml.pop(0) is a
    ml[0] = a
    assert ml[0] is a
    assert len(ml + nn.ModuleList([b])) == 4
    with pytest.raises(TypeError, match="iterable"):
        ml.extend(5)


def test_module_dict():
    a, b = layers(2)
    md = nn.ModuleDict({"a": a})
    md["b"] = b
    md.update([("c", nn.Identity())])
    assert list(md) == ["a", "b", "c"] and "b" in md and len(md) == 3
    assert list(md.keys()) == ["a", "b", "c"] and md["a"] is a
    assert md.pop("c").__class__ is nn.Identity
    assert [n for n, _ in md.named_parameters()][:2] == ["a.weight", "a.bias"]
    del md["a"]
    assert list(md.values()) == [b]
    md.clear()
    assert len(md) == 0
    with pytest.raises(ValueError, match="has length 3; 2 is required"):
        md.update([("x", b, 1)])


def test_parameter_list_and_dict():
    pl = nn.ParameterList([ember.ones(2), nn.Parameter(ember.zeros(3))])
    pl.append(ember.ones(1))
    assert len(pl) == 3 and all(isinstance(p, nn.Parameter) for p in pl)
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    assert len(pl[1:]) == 2
    with pytest.raises(RuntimeError, match="should not be called"):
        pl()
    pd = nn.ParameterDict({"b": ember.ones(1), "a": ember.ones(2)})
    assert list(pd) == ["a", "b"]  # plain dicts are added in sorted order, as in PyTorch
    pd["c"] = ember.zeros(1)
    assert isinstance(pd["c"], nn.Parameter) and "c" in pd and len(pd) == 3
    assert pd.pop("c").shape == (1,) and pd.get("zz", 5) == 5
    assert pd.popitem()[0] == "b"
    assert list(pd.copy()) == ["a"]
    assert [n for n, _ in pd.named_parameters()] == ["a"]
    assert pd.setdefault("d", ember.ones(4)).shape == (4,)
    pd.clear()
    assert len(pd) == 0
    with pytest.raises(TypeError, match="not a string"):
        pd[1] = ember.ones(1)


@pytest.mark.parity
def test_container_reprs_match_torch():
    torch = torch_or_skip()
    for make in (
        lambda lib: lib.nn.Sequential(lib.nn.Linear(1, 2), lib.nn.Sequential(
            lib.nn.Linear(2, 2), lib.nn.Identity())),
        lambda lib: lib.nn.ModuleList([lib.nn.Identity(), lib.nn.Linear(2, 2),
                                       lib.nn.Linear(2, 2), lib.nn.Identity()]),
        lambda lib: lib.nn.ModuleList(),
        lambda lib: lib.nn.ModuleDict({"x": lib.nn.Identity()}),
        lambda lib: lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2, 3)), lib.zeros(1)]),
        lambda lib: lib.nn.ParameterDict({"w": lib.nn.Parameter(lib.ones(2, 3))}),
    ):
        assert repr(make(ember)) == repr(make(torch)).replace("torch.", "ember.")


@pytest.mark.parity
def test_container_state_dict_keys_match_torch():
    torch = torch_or_skip()

    def make(lib):
        return lib.nn.Sequential(
            lib.nn.ModuleList([lib.nn.Linear(2, 2), lib.nn.Identity()]),
            lib.nn.ModuleDict({"p": lib.nn.Linear(2, 1)}),
            lib.nn.ParameterList([lib.ones(1)]),
            lib.nn.ParameterDict({"k": lib.ones(1)}))

    assert list(make(ember).state_dict()) == list(make(torch).state_dict())
