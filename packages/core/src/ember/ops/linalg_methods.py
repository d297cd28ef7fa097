"""PyTorch's top-level linear-algebra functions and Tensor methods (`torch.det`, `x.inverse()`,
the older `torch.svd` / `torch.qr` / `torch.lu` / `torch.triangular_solve` spellings), each
delegating to `ember.linalg`."""
from collections import namedtuple

from .. import linalg
from .._linalg_factor import cholesky_solve as _cholesky_solve, lu_unpack as _lu_unpack
from .reduction import return_type

SVDResult = namedtuple("svd", ["U", "S", "V"])
_QR = return_type("qr", ("Q", "R"))
_SLOGDET = return_type("slogdet", ("sign", "logabsdet"))
_TRIANGULAR_SOLVE = return_type("triangular_solve", ("solution", "cloned_coefficient"))
SVDResult.__module__ = "ember.return_types"


def det(input):
    return linalg.det(input)


def slogdet(input):
    return _SLOGDET(*linalg.slogdet(input))


def logdet(input):
    """log(det(input)): NaN where the determinant is negative, -inf where it is 0."""
    from .unary import log
    sign, logabsdet = linalg.slogdet(input)
    return log(sign.detach()) + logabsdet


def inverse(input):
    return linalg.inv(input)


def pinverse(input, rcond=1e-15):
    return linalg.pinv(input, rtol=rcond)


def matrix_power(input, n):
    return linalg.matrix_power(input, n)


def matrix_exp(input):
    return linalg.matrix_exp(input)


def svd(input, some=True, compute_uv=True):
    """(U, S, V) with input = U diag(S) Vᴴ (V, not Vh, as torch.svd returns; forward only)."""
    U, S, Vh = linalg.svd(input, full_matrices=not some)
    V = Vh.mT.conj() if Vh.dtype.is_complex else Vh.mT
    if not compute_uv:
        U, V = U.new_zeros(U.shape), V.new_zeros(V.shape)
    return SVDResult(U, S, V)


def qr(input, some=True):
    return _QR(*linalg.qr(input, mode="reduced" if some else "complete"))


def cholesky(input, upper=False):
    return linalg.cholesky(input, upper=upper)


def cholesky_solve(input, input2, upper=False):
    """X with A X = input, A given by its Cholesky factor `input2`."""
    return _cholesky_solve(input, input2, upper)


def cholesky_inverse(input, upper=False):
    """inv(A) from A's Cholesky factor `input`."""
    from .creation import eye
    n = input.shape[-1]
    return _cholesky_solve(eye(n, dtype=input.dtype, device=input.device).expand(input.shape),
                           input, upper)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    """(solution, cloned_coefficient): X with A X = b (Aᵀ X = b when transpose), A triangular."""
    coefficient = A.mT if transpose else A
    X = linalg.solve_triangular(coefficient, b, upper=upper != transpose,
                                unitriangular=unitriangular)
    return _TRIANGULAR_SOLVE(X, A.clone())


def lu(A, pivot=True, get_infos=False):
    """(LU, pivots) packed as lu_factor gives them, plus int32 infos (0: success) when asked."""
    LU, pivots = linalg.lu_factor(A, pivot=pivot)
    if not get_infos:
        return LU, pivots
    from .creation import zeros
    from .. import int32
    return LU, pivots, zeros(A.shape[:-2], dtype=int32, device=A.device)


def lu_solve(b, LU_data, LU_pivots):
    return linalg.lu_solve(LU_data, LU_pivots, b)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    return _lu_unpack(LU_data, LU_pivots, unpack_data, unpack_pivots)


__all__ = ["det", "logdet", "slogdet", "inverse", "pinverse", "matrix_power", "matrix_exp",
           "svd", "qr", "cholesky", "cholesky_solve", "cholesky_inverse", "triangular_solve",
           "lu", "lu_solve", "lu_unpack"]
METHODS = {name: globals()[name] for name in __all__ if name != "lu_unpack"}
