import pytest

import ember


def test_device_parsing_and_equality():
    assert ember.device("cpu").type == "cpu" and ember.device("cpu").index is None
    d = ember.device("cuda:1")
    assert (d.type, d.index) == ("cuda", 1)
    assert ember.device("cuda", 1) == d and ember.device(1) == d
    assert str(d) == "cuda:1" and repr(d) == "device(type='cuda', index=1)"
    assert ember.device("cpu") == "cpu" and hash(ember.device("cpu")) == hash(ember.device("cpu"))
    assert ember.device(d) == d


@pytest.mark.parametrize("bad,error", [("tpu", RuntimeError), ("cuda:x", ValueError),
                                       ("cpu:1", ValueError), (3.5, TypeError)])
def test_bad_device_strings(bad, error):
    with pytest.raises(error, match="ember.device"):
        ember.device(bad)


def test_tensor_device_is_cpu():
    assert ember.ones(2).device == ember.device("cpu")
    assert ember.ones(2).get_device() == -1
