"""Distances and similarities: normalize, cosine_similarity, pairwise_distance, pdist."""
from ...linalg import vector_norm


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """`input / max(||input||_p over dim, eps)`."""
    return input / vector_norm(input, p, dim, keepdim=True).clamp_min(eps)


def _clamped_norm(x, dim, eps):
    # PyTorch clamps the norm under no_grad: the value is clamped but the gradient is the
    # unclamped norm's. Adding the (constant) clamp offset gives exactly that.
    n = vector_norm(x, 2, dim, keepdim=True)
    nd = n.detach()
    return n + (nd.clamp_min(eps) - nd)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Cosine of the angle between x1 and x2 along dim (broadcasting); each vector is divided
    by max(its norm, eps) first, as in PyTorch 2.x."""
    if not x1.dtype.is_floating_point:
        x1 = x1.float()
    if not x2.dtype.is_floating_point:
        x2 = x2.float()
    from ...ops.shape import broadcast_tensors
    x1, x2 = broadcast_tensors(x1, x2)
    return ((x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps))).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """`||x1 - x2 + eps||_p` over the last dimension (broadcasting)."""
    nd = max(x1.ndim, x2.ndim)
    dim = nd - 1 if nd > 0 else 0
    return vector_norm(x1 - x2 + eps, p, dim, keepdim=keepdim)


def pdist(input, p=2):
    """p-norm distances between every pair of rows of input (N, M): the upper triangle of the
    distance matrix, row by row, shape (N*(N-1)/2,)."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    from ...ops.linalg_ops import triu_indices
    n = input.shape[0]
    i, j = triu_indices(n, n, 1, device=input.device)
    return vector_norm(input[i] - input[j], p, 1)


__all__ = ["normalize", "cosine_similarity", "pairwise_distance", "pdist"]
