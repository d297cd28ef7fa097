"""ember.random: reproducible streams, exact state round-trips, sampler shapes/dtypes/statistics."""
import numpy as np
import pytest

import ember

SAMPLERS = {
    "rand": lambda g: ember.rand(1000, generator=g),
    "randn": lambda g: ember.randn(10, 100, generator=g),
    "randint": lambda g: ember.randint(3, 10, (1000,), generator=g),
    "randperm": lambda g: ember.randperm(50, generator=g),
    "normal": lambda g: ember.normal(2.0, 3.0, (1000,), generator=g),
    "bernoulli": lambda g: ember.bernoulli(ember.full((1000,), 0.3), generator=g),
    "multinomial": lambda g: ember.multinomial(ember.tensor([0.2, 0.0, 0.8]), 50, True,
                                               generator=g),
    "poisson": lambda g: ember.poisson(ember.full((1000,), 4.0), generator=g),
    "uniform_": lambda g: ember.empty(1000).uniform_(-2, 3, generator=g),
    "normal_": lambda g: ember.empty(1000).normal_(1, 2, generator=g),
    "bernoulli_": lambda g: ember.empty(1000).bernoulli_(0.25, generator=g),
    "random_": lambda g: ember.empty(1000).random_(0, 5, generator=g),
    "exponential_": lambda g: ember.empty(1000).exponential_(2.0, generator=g),
    "geometric_": lambda g: ember.empty(1000).geometric_(0.5, generator=g),
    "log_normal_": lambda g: ember.empty(1000).log_normal_(0.0, 0.5, generator=g),
    "cauchy_": lambda g: ember.empty(1000).cauchy_(generator=g),
}


@pytest.mark.parametrize("name", SAMPLERS)
def test_same_seed_same_stream(name):
    g1, g2 = ember.Generator().manual_seed(7), ember.Generator().manual_seed(7)
    a, b = SAMPLERS[name](g1), SAMPLERS[name](g2)
    assert np.array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), SAMPLERS[name](ember.Generator().manual_seed(8))
                              .numpy()) or name in ("multinomial",)


@pytest.mark.parametrize("name", SAMPLERS)
def test_default_generator_follows_manual_seed(name):
    fn = SAMPLERS[name]
    ember.manual_seed(123)
    a = fn(None)
    ember.manual_seed(123)
    assert np.array_equal(a.numpy(), fn(None).numpy())


def test_state_round_trips_exactly():
    g = ember.Generator().manual_seed(5)
    ember.rand(3, generator=g)
    state = g.get_state()
    assert state.dtype is ember.uint8 and state.ndim == 1
    a = ember.randn(7, generator=g)
    g.set_state(state)
    assert np.array_equal(a.numpy(), ember.randn(7, generator=g).numpy())
    assert np.array_equal(g.get_state().numpy(), ember.Generator().set_state(
        g.get_state()).get_state().numpy())
    assert g.initial_seed() == 5


def test_global_state_and_fork_rng():
    ember.manual_seed(0)
    assert ember.initial_seed() == 0
    s = ember.get_rng_state()
    a = ember.rand(4)
    ember.set_rng_state(s)
    assert np.array_equal(a.numpy(), ember.rand(4).numpy())
    ember.set_rng_state(s)
    with ember.random.fork_rng():
        ember.rand(10)
    assert np.array_equal(a.numpy(), ember.rand(4).numpy())
    assert isinstance(ember.seed(), int)
    assert ember.default_generator is ember.random.default_generator


def test_set_state_rejects_bad_state():
    with pytest.raises(TypeError, match="set_state"):
        ember.Generator().set_state(ember.zeros(45))
    with pytest.raises(RuntimeError, match="set_state"):
        ember.Generator().set_state(ember.zeros(3, dtype=ember.uint8))


@pytest.mark.parametrize("dtype", [ember.float16, ember.bfloat16, ember.float32, ember.float64])
def test_float_dtypes_and_options(dtype):
    for fn in (ember.rand, ember.randn):
        t = fn(2, 3, dtype=dtype, requires_grad=True)
        assert t.dtype is dtype and t.shape == (2, 3) and t.requires_grad
    assert ember.rand((4,)).shape == (4,)
    assert ember.rand(3).dtype is ember.float32
    t = ember.empty(100, dtype=dtype).uniform_(0.25, 0.5)
    assert 0.25 <= float(t.numpy().astype(np.float32).min()) <= 0.5


def test_like_samplers():
    x = ember.zeros(2, 3, dtype=ember.float64)
    assert ember.rand_like(x).dtype is ember.float64 and ember.randn_like(x).shape == (2, 3)
    r = ember.randint_like(x, 5)
    assert r.dtype is ember.float64 and r.numpy().max() < 5
    r = ember.randint_like(x, 3, 5)
    assert r.numpy().min() >= 3


def test_statistics():
    ember.manual_seed(0)
    u = ember.rand(20000).numpy()
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.02
    n = ember.normal(2.0, 3.0, (20000,)).numpy()
    assert abs(n.mean() - 2) < 0.1 and abs(n.std() - 3) < 0.1
    assert abs(ember.empty(20000).exponential_(2.0).numpy().mean() - 0.5) < 0.03
    assert abs(ember.empty(20000).geometric_(0.5).numpy().mean() - 2) < 0.05
    assert abs(ember.bernoulli(ember.full((20000,), 0.3)).numpy().mean() - 0.3) < 0.02
    assert abs(ember.poisson(ember.full((20000,), 4.0)).numpy().mean() - 4) < 0.1
    r = ember.randint(3, 10, (5000,)).numpy()
    assert r.min() == 3 and r.max() == 9 and r.dtype == np.int64
    assert sorted(ember.randperm(20).tolist()) == list(range(20))


def test_normal_overloads():
    m, s = ember.zeros(3, 1), ember.ones(4)
    assert ember.normal(m, s).shape == (3, 4)
    assert ember.normal(m).shape == (3, 1)
    assert ember.normal(0.0, s).shape == (4,)
    assert ember.normal(m, 2.0).dtype is ember.float32
    with pytest.raises(RuntimeError, match="std"):
        ember.normal(m, -ember.ones(1))


def test_multinomial():
    ember.manual_seed(0)
    w = ember.tensor([[0.0, 1.0, 3.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    s = ember.multinomial(w, 2)
    assert s.shape == (2, 2) and s.dtype is ember.int64
    assert sorted(s.numpy()[0].tolist()) == [1, 2]
    assert len(set(s.numpy()[1].tolist())) == 2
    counts = np.bincount(ember.multinomial(ember.tensor([0.0, 1.0, 3.0]),
                                           4000, replacement=True).numpy(), minlength=3)
    assert counts[0] == 0 and abs(counts[2] / 4000 - 0.75) < 0.03
    with pytest.raises(RuntimeError, match="without replacement"):
        ember.multinomial(ember.ones(3), 4)
    with pytest.raises(RuntimeError, match="multinomial"):
        ember.multinomial(-ember.ones(3), 1)


def test_random_integer_tensor():
    t = ember.zeros(1000, dtype=ember.int32).random_()
    assert t.numpy().min() >= 0 and t.numpy().max() > 2 ** 20
    b = ember.zeros(100, dtype=ember.bool).random_()
    assert set(b.numpy().tolist()) == {False, True}
    t = ember.zeros(1000).random_(7)
    assert t.numpy().max() == 6


def test_inplace_rules():
    w = ember.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.uniform_()
    with ember.no_grad():
        w.normal_()
    v = w.detach()
    before = v._version
    v.uniform_()
    assert v._version == before + 1


SAMPLER_ERRORS = [
    (lambda: ember.empty(3).uniform_(2, 1), "uniform_"),
    (lambda: ember.empty(3).normal_(0, -1), "normal_"),
    (lambda: ember.empty(3).exponential_(0), "exponential_"),
    (lambda: ember.empty(3).geometric_(1.5), "geometric_"),
    (lambda: ember.empty(3).bernoulli_(2.0), "bernoulli_"),
    (lambda: ember.randint(5, 5, (2,)), "randint"),
    (lambda: ember.rand(2, dtype=ember.int64), "rand"),
    (lambda: ember.randperm(-1), "randperm"),
    (lambda: ember.bernoulli(ember.ones(2, dtype=ember.int64)), "bernoulli"),
    (lambda: ember.poisson(-ember.ones(2)), "poisson"),
]


@pytest.mark.parametrize("fn,msg", SAMPLER_ERRORS)
def test_errors(fn, msg):
    with pytest.raises(RuntimeError, match=msg):
        fn()


def test_generator_device_mismatch():
    g = ember.Generator()
    assert g.device == ember.device("cpu")

    class FakeCuda:
        device = ember.device("cuda", 0)
    with pytest.raises(RuntimeError, match="Expected a 'cpu' device type for generator"):
        ember.rand(2, generator=FakeCuda())
