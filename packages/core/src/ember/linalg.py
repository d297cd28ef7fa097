"""`ember.linalg`: norms, inverses, determinants, solves and decompositions (batched over leading
dims). Forwards run on the array module's `linalg`; gradients are written with ember ops, so the
differentiable ones (norms, inv, det, slogdet, solve, cholesky, eigh, svdvals, and for real
inputs svd, qr, pinv, lstsq) support `create_graph`. Multi-output decompositions give each
output its own node: their gradients are linear in the output gradients, so the contributions
simply add up."""
from collections import namedtuple

import numpy as np

from . import _dtypes
from ._device import array_module_of
from ._tensor import Tensor, _dim
from .autograd.graph import Node
from .ops._common import attach, grad_for, requires_grad
from .ops.linalg_ops import _mm, einsum, matmul
from .ops.linalg_ops import cross as _cross
from .ops.reduction import normalize_dims

SlogdetResult = namedtuple("slogdet", ["sign", "logabsdet"])
EighResult = namedtuple("eigh", ["eigenvalues", "eigenvectors"])
SVDResult = namedtuple("svd", ["U", "S", "Vh"])
QRResult = namedtuple("qr", ["Q", "R"])
LstsqResult = namedtuple("lstsq", ["solution", "residuals", "rank", "singular_values"])


def _mT(t):
    return einsum("...ij->...ji", t)


def _const(like, arr):
    """A constant tensor (no grad) on `like`'s device, in `like`'s dtype."""
    return Tensor._make(array_module_of(like._data).asarray(arr, dtype=like._data.dtype))


def _float_input(A, op, square=True):
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(f"linalg.{op}: Expected a floating point or complex tensor as input. "
                           f"Got {A.dtype.name}")
    if square:
        if A.ndim < 2:
            raise RuntimeError(f"linalg.{op}: The input tensor A must have at least 2 "
                               f"dimensions.")
        if A.shape[-1] != A.shape[-2]:
            raise RuntimeError(f"linalg.{op}: A must be batches of square matrices, but they "
                               f"are {A.shape[-2]} by {A.shape[-1]} matrices")
    arr = A._data
    # LAPACK has no half precision: factor in float32 and cast back.
    return arr.astype(np.float32) if arr.dtype.itemsize < 4 else arr


def _lapack(op, fn, *args):
    try:
        return fn(*args)
    except np.linalg.LinAlgError as e:
        raise RuntimeError(f"linalg.{op}: {e} (the input matrix is singular or not "
                           "positive-definite)") from None


# ------------------------------------------------------------------------------- norms
class LinalgVectorNormBackward0(Node):
    __slots__ = ("ord", "dims", "keepdim", "shape")

    def backward(self, g):
        (x,) = self.unpack()
        norm = vector_norm(x, self.ord, self.dims, keepdim=True)
        if not self.keepdim:
            g = g.reshape([1 if i in self.dims else s for i, s in enumerate(self.shape)])
        xa, na = x._data, norm._data
        xp = array_module_of(xa)
        if self.ord == 0:
            return (x * 0,)
        if self.ord in (float("inf"), float("-inf")):
            # Piecewise linear: the gradient is split evenly among the extreme entries.
            hit = (xp.abs(xa) == na)
            scale = xp.sign(xa) * hit / hit.sum(axis=self.dims, keepdims=True)
            return (g * _const(x, scale),)
        zero = _const(norm, na == 0)  # where the norm is 0 every entry is 0: avoid 0/0
        if self.ord == 2:
            return (g * x / (norm + zero),)
        p = self.ord
        sign = _const(x, xp.sign(xa))
        return (g * sign * (x * sign) ** (p - 1) / (norm + zero) ** (p - 1),)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The `ord`-norm over `dim` (all elements when None): sum(|x|^ord)^(1/ord), ±inf, 0."""
    if dtype is not None:
        x = x.to(dtype)
    arr = _float_input(x, "vector_norm", square=False)
    dims = normalize_dims(dim, arr.ndim, "linalg.vector_norm")
    xp = array_module_of(arr)
    a = xp.abs(arr)
    ord = float(ord)
    if arr.size == 0 and ord < 0:
        raise RuntimeError("linalg.vector_norm: cannot compute the norm of an empty tensor "
                           f"for ord={ord}")
    if ord == float("inf"):
        # The max of nothing is 0: the sum gives that 0 in the reduced shape (CuPy's max has
        # no `initial=`).
        out = a.max(axis=dims, keepdims=keepdim) if a.size else a.sum(axis=dims, keepdims=keepdim)
    elif ord == float("-inf"):
        out = a.min(axis=dims, keepdims=keepdim)
    elif ord == 0:
        out = (a != 0).sum(axis=dims, keepdims=keepdim).astype(a.dtype)
    elif ord == 1:
        out = a.sum(axis=dims, keepdims=keepdim)
    elif ord == 2:
        out = xp.sqrt((a * a).sum(axis=dims, keepdims=keepdim))
    else:
        out = (a ** ord).sum(axis=dims, keepdims=keepdim) ** (1.0 / ord)
    out = out.astype(_dtypes.from_numpy_dtype(x._data.dtype).to_real().np, copy=False)
    node = None
    if requires_grad(x):
        node = LinalgVectorNormBackward0(None)
        node.ord, node.dims, node.keepdim, node.shape = ord, dims, keepdim, arr.shape
        node.save(x)
    return attach(out, node, (x,))


def _to_last(A, dims):
    """`A` with dims (r, c) moved to the end (via einsum, so it stays differentiable)."""
    r, c = (_dim(d, A.ndim, "linalg.matrix_norm") for d in dims)
    if r == c:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different, got {dims}")
    if (r, c) == (A.ndim - 2, A.ndim - 1):
        return A
    letters = "abcdefghijklmnop"[:A.ndim]
    rest = "".join(ch for i, ch in enumerate(letters) if i not in (r, c))
    return einsum(f"{letters}->{rest}{letters[r]}{letters[c]}", A)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """Matrix norms: 'fro', 'nuc', 2, -2 (singular values), 1, -1 (columns), inf, -inf (rows)."""
    if dtype is not None:
        A = A.to(dtype)
    _float_input(A, "matrix_norm", square=False)
    if A.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 "
                           f"dimensions, got shape {tuple(A.shape)}")
    if ord == "fro":
        out = vector_norm(A, 2, dim, keepdim)
        return out
    M = _to_last(A, dim)
    if ord in ("nuc", 2, -2):
        s = svdvals(M)
        out = vector_norm(s, {"nuc": 1, 2: float("inf"), -2: float("-inf")}[ord], -1)
    elif ord in (1, -1, float("inf"), float("-inf")):
        axis = -2 if abs(ord) == 1 else -1
        sums = vector_norm(M, 1, axis)
        out = vector_norm(sums, float("inf") if ord > 0 else float("-inf"), -1)
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if keepdim:
        r, c = sorted(_dim(d, A.ndim, "linalg.matrix_norm") for d in dim)
        shape = list(out.shape)
        shape.insert(r, 1)
        shape.insert(c, 1)
        out = out.reshape(shape)
    return out


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """Vector norm for 1-D input or an int `dim`, matrix norm for 2-D input or a 2-tuple `dim`;
    `ord=None` is the 2-norm of the flattened input."""
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if dim is not None and len(dim) == 2 or dim is None and A.ndim == 2:
        return matrix_norm(A, ord, dim or (-2, -1), keepdim, dtype=dtype)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.norm: order {ord!r} needs a matrix (2-D input or 2 dims)")
    if dim is None and A.ndim != 1:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {A.ndim}D.")
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)


# ------------------------------------------------------------------------------- inverses
class LinalgInvBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (A,) = self.unpack()
        Ainv = inv(A)
        return (-_mm(_mm(Ainv, g, True, False), Ainv, False, True),)


def inv(A):
    """The inverse of square matrices (batched); singular input is an error."""
    arr = _float_input(A, "inv")
    xp = array_module_of(arr)
    out = _lapack("inv", xp.linalg.inv, arr).astype(A._data.dtype, copy=False)
    node = None
    if requires_grad(A):
        node = LinalgInvBackward0(None)
        node.save(A)
    return attach(out, node, (A,))


class LinalgDetBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (A,) = self.unpack()
        scale = (g * det(A)).reshape(*g.shape, 1, 1)
        return (scale * _mT(inv(A)),)


def det(A):
    """Determinants of square matrices (batched). Its gradient needs A to be invertible."""
    arr = _float_input(A, "det")
    out = array_module_of(arr).linalg.det(arr).astype(A._data.dtype, copy=False)
    node = None
    if requires_grad(A):
        node = LinalgDetBackward0(None)
        node.save(A)
    return attach(out, node, (A,))


class LinalgSlogdetBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (A,) = self.unpack()
        return (g.reshape(*g.shape, 1, 1) * _mT(inv(A)),)


def slogdet(A):
    """(sign, log|det|) of square matrices; only `logabsdet` carries a gradient."""
    arr = _float_input(A, "slogdet")
    sign, logabs = array_module_of(arr).linalg.slogdet(arr)
    node = None
    if requires_grad(A):
        node = LinalgSlogdetBackward0(None)
        node.save(A)
    dt = A._data.dtype
    return SlogdetResult(Tensor._make(sign.astype(dt, copy=False)),
                         attach(logabs.astype(dt, copy=False), node, (A,)))


class LinalgSolveBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        A, B = self.unpack()
        gB = solve(_mT(A), g)
        gA = None
        if self.inputs[0] is not None:
            gA = grad_for(-_mm(gB, solve(A, B), False, True), A)
        return gA, grad_for(gB, B) if self.inputs[1] is not None else None


def solve(A, B, *, left=True):
    """X with A @ X = B (or X @ A = B when left=False); B may be a vector or batch of them."""
    _float_input(A, "solve")
    if not left:
        return _mT(solve(_mT(A), _mT(B)))
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    if vector:
        X = solve(A, B.reshape(*B.shape, 1))
        return X.reshape(X.shape[:-1])
    if B.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({tuple(A.shape)} and {tuple(B.shape)})")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {A.dtype.name} and B of type {B.dtype.name} instead")
    a, b = _float_input(A, "solve"), _float_input(B, "solve", square=False)
    xp = array_module_of(a)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = xp.broadcast_to(a, batch + a.shape[-2:])
    b = xp.broadcast_to(b, batch + b.shape[-2:])
    out = _lapack("solve", xp.linalg.solve, a, b).astype(A._data.dtype, copy=False)
    node = None
    if requires_grad(A, B):
        node = LinalgSolveBackward0(None)
        node.save(A, B)
    return attach(out, node, (A, B))


class LinalgCholeskyBackward0(Node):
    __slots__ = ("upper",)

    def backward(self, g):
        (A,) = self.unpack()
        L = cholesky(A)
        if self.upper:
            g = _mT(g)
        n = A.shape[-1]
        tril = np.tril(np.ones((n, n)))
        # Φ(Lᵀ gL): lower triangle with the diagonal halved (Murray 2016, as in PyTorch).
        phi = _mm(L, g * _const(g, tril), True, False) * _const(g, tril - 0.5 * np.eye(n))
        Linv = inv(L)
        gA = _mm(_mm(Linv, phi, True, False), Linv)
        return (0.5 * (gA + _mT(gA)),)


def cholesky(A, *, upper=False):
    """The Cholesky factor L (A = L Lᵀ) of symmetric positive-definite matrices."""
    arr = _float_input(A, "cholesky")
    xp = array_module_of(arr)
    L = _lapack("cholesky", xp.linalg.cholesky, arr)
    if not bool(xp.isfinite(L).all()):  # CuPy returns NaNs instead of raising
        raise RuntimeError("linalg.cholesky: The factorization could not be completed because "
                           "the input is not positive-definite.")
    out = (L.swapaxes(-1, -2) if upper else L).astype(A._data.dtype)
    node = None
    if requires_grad(A):
        node = LinalgCholeskyBackward0(None)
        node.upper = upper
        node.save(A)
    return attach(out, node, (A,))


# ------------------------------------------------------------------------------- spectra
class LinalgEighEigenvaluesBackward0(Node):
    __slots__ = ("uplo",)

    def backward(self, g):
        (A,) = self.unpack()
        _, V = eigh(A, self.uplo)
        return (einsum("...ij,...j,...kj->...ik", V, g, V),)


class LinalgEighEigenvectorsBackward0(Node):
    __slots__ = ("uplo",)

    def backward(self, g):
        (A,) = self.unpack()
        w, V = eigh(A, self.uplo)
        n = A.shape[-1]
        VtgV = _mm(V, g, True, False)
        skew = 0.5 * (VtgV - _mT(VtgV))
        eye = _const(w, np.eye(n))
        # E[i, j] = w[j] - w[i], with 1 on the diagonal where skew is 0 anyway.
        E = w.reshape(*w.shape[:-1], 1, n) - w.reshape(*w.shape, 1) + eye
        return (_mm(_mm(V, skew / E), V, False, True),)


def eigh(A, UPLO="L"):
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric matrices."""
    arr = _float_input(A, "eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    w, V = _lapack("eigh", array_module_of(arr).linalg.eigh, arr, UPLO)
    vals, vecs = w.astype(A._data.dtype), V.astype(A._data.dtype)
    nw = nv = None
    if requires_grad(A):
        nw, nv = LinalgEighEigenvaluesBackward0(None), LinalgEighEigenvectorsBackward0(None)
        for node in (nw, nv):
            node.uplo = UPLO
            node.save(A)
    return EighResult(attach(vals, nw, (A,)), attach(vecs, nv, (A,)))


def eigvalsh(A, UPLO="L"):
    return eigh(A, UPLO).eigenvalues


class LinalgSvdvalsBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        (A,) = self.unpack()
        xp = array_module_of(A._data)
        U, _, Vh = xp.linalg.svd(_float_input(A, "svd", square=False), full_matrices=False)
        return (einsum("...ij,...j,...jk->...ik", _const(A, U), g, _const(A, Vh)),)


def svdvals(A):
    """Singular values, descending; differentiable (gradient U diag(gS) Vh)."""
    arr = _float_input(A, "svdvals", square=False)
    s = _lapack("svd", array_module_of(arr).linalg.svd, arr, False, False)
    node = None
    if requires_grad(A):
        node = LinalgSvdvalsBackward0(None)
        node.save(A)
    return attach(s.astype(A._data.dtype), node, (A,))


def svd(A, full_matrices=True):
    """U, S, Vh with A = U diag(S) Vh; differentiable for real inputs (see
    `_linalg_decomp_grad`; through U and Vh only with full_matrices=False or a square input)."""
    from ._linalg_decomp_grad import (LinalgSvdSBackward0, LinalgSvdUBackward0,
                                      LinalgSvdVhBackward0)
    arr = _float_input(A, "svd", square=False)
    U, S, Vh = _lapack("svd", array_module_of(arr).linalg.svd, arr, full_matrices)
    dt = A._data.dtype
    nodes = [None] * 3
    if requires_grad(A) and not A.dtype.is_complex:
        nodes = [LinalgSvdUBackward0(None), LinalgSvdSBackward0(None), LinalgSvdVhBackward0(None)]
        for node in nodes:
            node.full_matrices = full_matrices
            node.save(A)
    return SVDResult(*(attach(x.astype(dt), node, (A,)) for x, node in zip((U, S, Vh), nodes)))


def qr(A, mode="reduced"):
    """Q, R with A = QR; mode 'reduced', 'complete' or 'r' (Q empty). Differentiable for real
    inputs (see `_linalg_decomp_grad`), except mode='complete' with more rows than columns."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"linalg.qr: qr received unrecognized mode '{mode}' but expected one "
                           "of 'reduced' (default), 'r', or 'complete'")
    arr = _float_input(A, "qr", square=False)
    xp = array_module_of(arr)
    dt = A._data.dtype
    if mode == "r":
        R = xp.linalg.qr(arr, mode="r")
        return QRResult(Tensor._make(xp.empty((0,), dt)), Tensor._make(R.astype(dt)))
    Q, R = xp.linalg.qr(arr, mode=mode)
    nodes = [None] * 2
    if requires_grad(A) and not A.dtype.is_complex:
        from ._linalg_decomp_grad import LinalgQrBackward0
        nodes = [LinalgQrBackward0(None), LinalgQrBackward0(None)]
        for node, which in zip(nodes, "QR"):
            node.which, node.mode = which, mode
            node.save(A)
    return QRResult(*(attach(x.astype(dt), node, (A,)) for x, node in zip((Q, R), nodes)))


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """Moore-Penrose pseudo-inverse Vh^T diag(1/S) U^T over the singular values above the
    tolerance; differentiable through `svd` (the cut itself is piecewise constant)."""
    _float_input(A, "pinv", square=False)
    U, S, Vh = svd(A, full_matrices=False)
    s = S._data
    xp = array_module_of(s)
    if atol is None and rtol is None:
        rtol = max(A.shape[-2:]) * np.finfo(s.dtype).eps
    smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else s
    keep = _const(S, s > xp.maximum(atol or 0.0, (rtol or 0.0) * smax))
    # 1/S where kept and 0 elsewhere, without ever dividing by a dropped (maybe zero) value.
    s_inv = keep / (S * keep + (1 - keep))
    Vt, Ut = _mT(Vh), _mT(U)
    if A.dtype.is_complex:
        Vt, Ut = Vt.conj(), Ut.conj()
    return (Vt * s_inv.unsqueeze(-2)) @ Ut


def lstsq(A, B, rcond=None, *, driver=None):
    """Least-squares solution of A X = B through the pseudo-inverse (differentiable as it is)."""
    X = matmul(pinv(A, rtol=rcond), B if B.ndim == A.ndim else B.reshape(*B.shape, 1))
    if B.ndim != A.ndim:
        X = X.reshape(*X.shape[:-1])
    empty = Tensor._make(array_module_of(A._data).empty((0,), A._data.dtype))
    return LstsqResult(X, empty, matrix_rank(A), empty)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None):
    """Number of singular values above the tolerance (int64, batched)."""
    arr = _float_input(A, "matrix_rank", square=False)
    xp = array_module_of(arr)
    S = xp.linalg.svd(arr, compute_uv=False)
    smax = S.max(axis=-1, keepdims=True) if S.shape[-1] else S
    if tol is not None:
        atol = tol
    if rtol is None:
        rtol = 0.0 if atol else max(arr.shape[-2:]) * np.finfo(arr.dtype).eps
    cut = xp.maximum(atol or 0.0, rtol * smax)
    return Tensor._make((S > cut).sum(axis=-1).astype(np.int64))


def matrix_power(A, n):
    """A @ A @ ... (n times) by repeated squaring; n < 0 uses inv(A), n = 0 gives I."""
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, got "
                           f"shape {tuple(A.shape)}")
    if n == 0:
        xp = array_module_of(A._data)
        return Tensor._make(xp.broadcast_to(xp.eye(A.shape[-1], dtype=A._data.dtype),
                                            A.shape).copy())
    base = inv(A) if n < 0 else A
    n = abs(n)
    result = None
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


def multi_dot(tensors):
    """A chain of matrix products; the first/last may be 1-D (row/column vectors)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    out = tensors[0]
    for t in tensors[1:]:
        out = matmul(out, t)
    return out


def cross(input, other, *, dim=-1):
    return _cross(input, other, dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset=offset, dim1=dim1, dim2=dim2)


def vecdot(x, y, *, dim=-1):
    """Dot products along `dim`, broadcasting."""
    return (x.conj() if x.is_complex() else x).mul(y).sum(dim)


# Built from the ops above; defined in their own file to keep this one short.
from ._linalg_factor import lu, lu_factor, lu_solve, matrix_exp, solve_triangular  # noqa: E402

__all__ = ["norm", "vector_norm", "matrix_norm", "inv", "det", "slogdet", "solve", "svd",
           "svdvals", "qr", "cholesky", "eigh", "eigvalsh", "pinv", "lstsq", "matrix_rank",
           "matrix_power", "multi_dot", "cross", "diagonal", "vecdot", "matmul", "matrix_exp",
           "solve_triangular", "lu_factor", "lu", "lu_solve"]
