"""Scalar draws from ember's default generator, so transforms replay under `ember.manual_seed`."""
import ember


def rand():
    return float(ember.rand(1).item())


def uniform(low, high):
    return float(ember.empty(1, dtype=ember.float64).uniform_(float(low), float(high)).item())


def randint(low, high):
    """An int in [low, high)."""
    return int(ember.randint(int(low), int(high), (1,)).item())


def randperm(n):
    return [int(i) for i in ember.randperm(n).tolist()]


def numpy_generator():
    """A NumPy Generator seeded from ember's stream (for samplers ember lacks, e.g. Beta)."""
    import numpy as np
    return np.random.default_rng(randint(0, 2 ** 62))
