"""`ember.linalg` factorisations and solvers built from other ops: matrix_exp, solve_triangular,
lu_factor / lu / lu_unpack / lu_solve, cholesky_solve (re-exported by `ember.linalg`).

matrix_exp and the solvers are compositions of differentiable ember ops (matmul, solve, tril),
so their gradients, including create_graph, come from those ops. The LU factorisation itself is
a forward-only, batched partial-pivoting elimination on raw arrays (NumPy has no LU routine);
lu_solve differentiates through the factors it is given.
"""
import math
from collections import namedtuple

import numpy as np

from ._device import array_module_of
from ._tensor import Tensor
from .ops._common import attach, requires_grad
from .ops.linalg_ops import matmul

LUFactorResult = namedtuple("lu_factor", ["LU", "pivots"])
LUResult = namedtuple("lu", ["P", "L", "U"])

# Higham (2005), "The scaling and squaring method for the matrix exponential revisited":
# the [13/13] Padé approximant is accurate to double precision for ||A||_1 <= theta_13.
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
           40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def _square_input(A, op):
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(f"linalg.{op}: Expected a floating point or complex tensor as input. "
                           f"Got {A.dtype.name}")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.{op}: A must be batches of square matrices, but got shape "
                           f"{tuple(A.shape)}")


def _eye_like(A):
    from .ops.creation import eye
    return eye(A.shape[-1], dtype=A.dtype, device=A.device)


def matrix_exp(A):
    """e^A by scaling and squaring with the [13/13] Padé approximant (batched)."""
    from .linalg import solve
    _square_input(A, "matrix_exp")
    if A.shape[-1] == 0:
        return A.clone()
    arr = A._data
    xp = array_module_of(arr)
    # One scaling for the whole batch: the largest 1-norm decides (never less accurate).
    norm = float(xp.abs(arr).sum(axis=-2).max()) if arr.size else 0.0
    s = max(0, math.ceil(math.log2(norm / _THETA13))) if norm > _THETA13 else 0
    X = A / (2.0 ** s) if s else A
    eye = _eye_like(A)
    b = _PADE13
    X2 = matmul(X, X)
    X4 = matmul(X2, X2)
    X6 = matmul(X4, X2)
    U = matmul(X, matmul(X6, b[13] * X6 + b[11] * X4 + b[9] * X2)
               + b[7] * X6 + b[5] * X4 + b[3] * X2 + b[1] * eye)
    V = matmul(X6, b[12] * X6 + b[10] * X4 + b[8] * X2) + b[6] * X6 + b[4] * X4 + b[2] * X2 \
        + b[0] * eye
    R = solve(V - U, V + U)
    for _ in range(s):
        R = matmul(R, R)
    return R


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with A X = B (or X A = B), reading only A's upper or lower triangle (and taking its
    diagonal as ones when unitriangular). Gradients w.r.t. A stay on that triangle."""
    from .linalg import solve
    _square_input(A, "solve_triangular")
    if B.ndim < 2:
        raise RuntimeError(f"linalg.solve_triangular: The input tensor B must have at least 2 "
                           f"dimensions (got shape {tuple(B.shape)})")
    if unitriangular:
        T = (A.triu(1) if upper else A.tril(-1)) + _eye_like(A)
    else:
        T = A.triu() if upper else A.tril()
    return solve(T, B, left=left)


def cholesky_solve(B, L, upper=False):
    """X with (L Lᴴ) X = B given the Cholesky factor L (or U with A = Uᴴ U when upper)."""
    Lh = L.mT.conj() if L.dtype.is_complex else L.mT
    if upper:
        Y = solve_triangular(Lh, B, upper=False)
        return solve_triangular(L, Y, upper=True)
    Y = solve_triangular(L, B, upper=False)
    return solve_triangular(Lh, Y, upper=True)


# ------------------------------------------------------------------------------- LU
def _lu_arrays(a):
    """Packed LU factors and 1-based LAPACK pivots of a batch (..., m, n), partial pivoting."""
    xp = array_module_of(a)
    batch, (m, n) = a.shape[:-2], a.shape[-2:]
    lu = a.reshape((-1, m, n)).copy()
    k_max = min(m, n)
    pivots = xp.zeros((lu.shape[0], k_max), dtype=np.int32)
    rows = xp.arange(lu.shape[0])
    for k in range(k_max):
        p = xp.argmax(xp.abs(lu[:, k:, k]), axis=-1) + k
        pivots[:, k] = p + 1
        row_k, row_p = lu[rows, k].copy(), lu[rows, p].copy()
        lu[rows, k], lu[rows, p] = row_p, row_k
        pivot = lu[:, k, k]
        # A zero pivot (singular matrix) leaves its column as is, like LAPACK's getrf.
        safe = xp.where(pivot == 0, 1, pivot)
        lu[:, k + 1:, k] = lu[:, k + 1:, k] / safe[:, None]
        lu[:, k + 1:, k + 1:] -= lu[:, k + 1:, k:k + 1] * lu[:, k:k + 1, k + 1:]
    return lu.reshape(batch + (m, n)), pivots.reshape(batch + (k_max,))


def lu_factor(A, *, pivot=True):
    """(LU, pivots): L (unit diagonal, below) and U packed in one matrix, and LAPACK's 1-based
    int32 row swaps, with P L U = A. Differentiable for square real inputs (see
    `_linalg_decomp_grad`)."""
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on CPU "
                           "(as in PyTorch)")
    if not (A.dtype.is_floating_point or A.dtype.is_complex) or A.ndim < 2:
        raise RuntimeError(f"linalg.lu_factor: expected a floating point or complex tensor of "
                           f"at least 2 dimensions, got {A.dtype.name} of shape {tuple(A.shape)}")
    lu, pivots = _lu_arrays(A._data)
    node = None
    if requires_grad(A) and not A.dtype.is_complex:
        from ._linalg_decomp_grad import LinalgLuFactorExBackward0
        node = LinalgLuFactorExBackward0(None)
        node.save(A)
    return LUFactorResult(attach(lu, node, (A,)), Tensor._make(pivots))


def _permutation(pivots, m):
    """The row order perm (A[perm] = L U) from LAPACK's sequence of swaps."""
    xp = array_module_of(pivots)
    batch = pivots.shape[:-1]
    piv = pivots.reshape((-1, pivots.shape[-1])).astype(np.int64) - 1
    perm = xp.broadcast_to(xp.arange(m), (piv.shape[0], m)).copy()
    rows = xp.arange(piv.shape[0])
    for i in range(piv.shape[1]):
        j = piv[:, i]
        a, b = perm[rows, i].copy(), perm[rows, j].copy()
        perm[rows, i], perm[rows, j] = b, a
    return perm.reshape(batch + (m,))


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """(P, L, U) from lu_factor's packed result (L and U keep LU_data's gradient)."""
    m, n = LU_data.shape[-2:]
    k = min(m, n)
    L = U = P = None
    if unpack_data:
        from .ops.creation import eye
        L = LU_data[..., :, :k].tril(-1) + eye(m, k, dtype=LU_data.dtype, device=LU_data.device)
        U = LU_data[..., :k, :].triu()
    if unpack_pivots:
        xp = array_module_of(LU_data._data)
        perm = _permutation(LU_pivots._data, m)
        # P[perm[i], i] = 1, so that A = P L U.
        P = xp.swapaxes(xp.eye(m, dtype=LU_data._data.dtype)[perm], -1, -2)
        P = Tensor._make(xp.ascontiguousarray(P))
    return LUResult(P, L, U)


def lu(A, *, pivot=True):
    """(P, L, U) with A = P L U (L and U differentiable as lu_factor is)."""
    LU, pivots = lu_factor(A, pivot=pivot)
    return lu_unpack(LU, pivots)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """X with A X = B (A X = B with Aᴴ when adjoint; X A = B when not left), A given by
    lu_factor. Differentiable with respect to LU and B."""
    P, L, U = lu_unpack(LU, pivots)
    if left and not adjoint:  # L U X = Pᵀ B
        Y = solve_triangular(L, matmul(P.mT, B), upper=False, unitriangular=True)
        return solve_triangular(U, Y, upper=True)
    A = matmul(P, matmul(L, U))
    if adjoint:
        A = A.mT.conj() if A.dtype.is_complex else A.mT
    from .linalg import solve
    return solve(A, B, left=left)


__all__ = ["matrix_exp", "solve_triangular", "cholesky_solve", "lu_factor", "lu_unpack", "lu",
           "lu_solve"]
