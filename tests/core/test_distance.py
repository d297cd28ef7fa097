"""normalize, cosine_similarity, pairwise_distance, pdist and their modules."""
import pytest
from ember_testing import check_gradcheck, check_parity, rand

import ember
import ember.nn as nn
import ember.nn.functional as F


def test_gradcheck():
    check_gradcheck(lambda x: F.normalize(x, dim=1), rand(3, 4))
    check_gradcheck(lambda x, y: F.cosine_similarity(x, y), rand(3, 4), rand(1, 4))
    check_gradcheck(lambda x, y: F.pairwise_distance(x, y), rand(3, 4), rand(3, 4, seed=1))
    check_gradcheck(lambda x: F.pdist(x), rand(4, 3))


@pytest.mark.parity
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_parity(p):
    check_parity(lambda m, x: m.nn.functional.normalize(x, p, 0), rand(3, 4))
    check_parity(lambda m, x, y: m.nn.functional.pairwise_distance(x, y, p), rand(3, 4),
                 rand(4))
    check_parity(lambda m, x, y: m.nn.functional.pairwise_distance(x, y, p, keepdim=True),
                 rand(2, 3, 4), rand(3, 4))
    check_parity(lambda m, x: m.nn.functional.pdist(x, p), rand(5, 3))


@pytest.mark.parity
def test_cosine_similarity_parity():
    check_parity(lambda m, x, y: m.nn.functional.cosine_similarity(x, y), rand(3, 4), rand(1, 4))
    check_parity(lambda m, x, y: m.nn.functional.cosine_similarity(x, y, dim=-1, eps=0.5),
                 rand(2, 3, 4, low=-0.1, high=0.1), rand(3, 4))
    # a zero vector: the clamp applies to the value, not the gradient
    import numpy as np
    z = np.zeros((2, 3))
    z[1] = 1.0
    check_parity(lambda m, x, y: m.nn.functional.cosine_similarity(x, y), z, rand(2, 3))


def test_modules_and_errors():
    x, y = ember.randn(3, 4), ember.randn(3, 4)
    assert ember.allclose(nn.CosineSimilarity(dim=1)(x, y), F.cosine_similarity(x, y))
    assert ember.allclose(nn.PairwiseDistance(p=1.0)(x, y), F.pairwise_distance(x, y, 1.0))
    with pytest.raises(RuntimeError, match="pdist only supports 2D tensors, got: 3D"):
        F.pdist(ember.ones(2, 2, 2))
    with pytest.raises(RuntimeError, match="non-negative p"):
        F.pdist(ember.ones(2, 2), -1)
