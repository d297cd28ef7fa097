"""Gradients of `linalg.svd`, `linalg.qr` and `linalg.lu_factor` (real inputs).

Each output gets its own node, as for eigh: the input's gradient is linear in the output
gradients, so the nodes' contributions add up. Backward recomputes the factorisation with
ember's differentiable ops, so `create_graph` gives higher-order gradients.

SVD, A = U diag(S) Vh with k = min(m, n) (Townsend, "Differentiating the Singular Value
Decomposition", 2016), writing F_ij = 1 / (S_j^2 - S_i^2) off the diagonal:
    from gS:  U diag(gS) Vh
    from gU:  U [(F * skew(U^T gU)) S] Vh + (I - U U^T) gU S^-1 Vh
    from gVh: the gU formula for A^T = V S U^T (same factors) with gU = gVh^T, transposed
with skew(X) = X - X^T. Repeated singular values make F infinite, as in PyTorch.

QR, A = Q R with m >= n (reduced), M = R gR^T - gQ^T Q:
    gA = (gQ + Q copyltu(M)) R^-T,   copyltu(M) = tril(M) + tril(M, -1)^T;
a wide A = [X | Y] reduces to the square X (see `LinalgQrBackward0`).
"""
from .autograd.graph import Node


def _reduced_svd(A):
    from .linalg import svd
    return svd(A, full_matrices=False)


def _inverse_gap(S):
    """F with F[..., i, j] = 1 / (S_j^2 - S_i^2) off the diagonal and 0 on it."""
    from .ops.creation import eye
    s2 = S * S
    gap = s2.unsqueeze(-2) - s2.unsqueeze(-1)
    k = S.shape[-1]
    one = eye(k, dtype=S.dtype, device=S.device)
    return (1 - one) / (gap + one)


class _SvdNode(Node):
    __slots__ = ("full_matrices",)

    def _check_full(self, A, which):
        m, n = A.shape[-2:]
        if self.full_matrices and m != n:
            raise RuntimeError(f"linalg_svd_backward: Setting full_matrices=True in forward is "
                               f"not supported in backward for the gradient of {which} of a "
                               f"non-square input ({m}x{n}); use full_matrices=False")


def _left_factor_grad(U, S, Vh, gU):
    """The gradient reaching A = U diag(S) Vh (reduced) through U, for gU of U's shape."""
    UtgU = U.mT @ gU
    out = U @ ((_inverse_gap(S) * (UtgU - UtgU.mT)) * S.unsqueeze(-2)) @ Vh
    if U.shape[-2] > S.shape[-1]:  # the part of gU outside U's column space
        out = out + ((gU - U @ UtgU) / S.unsqueeze(-2)) @ Vh
    return out


class LinalgSvdUBackward0(_SvdNode):
    __slots__ = ()

    def backward(self, gU):
        (A,) = self.unpack()
        self._check_full(A, "U")
        U, S, Vh = _reduced_svd(A)
        return (_left_factor_grad(U, S, Vh, gU[..., :S.shape[-1]]),)


class LinalgSvdSBackward0(_SvdNode):
    __slots__ = ()

    def backward(self, gS):
        (A,) = self.unpack()
        U, _, Vh = _reduced_svd(A)
        return ((U * gS.unsqueeze(-2)) @ Vh,)


class LinalgSvdVhBackward0(_SvdNode):
    # A^T = V diag(S) U^T: Vh's gradient is the left factor's gradient of A^T, transposed back
    # (with the very factors of A's decomposition, whose signs the incoming gradient refers to).
    __slots__ = ()

    def backward(self, gVh):
        (A,) = self.unpack()
        self._check_full(A, "Vh")
        U, S, Vh = _reduced_svd(A)
        return (_left_factor_grad(Vh.mT, S, U.mT, gVh[..., :S.shape[-1], :].mT).mT,)


class LinalgQrBackward0(Node):
    # One node per output (`which` is "Q" or "R"); both use the same formula with the other
    # output's gradient taken as zero.
    __slots__ = ("which", "mode")

    def backward(self, g):
        from .linalg import qr
        (A,) = self.unpack()
        m, n = A.shape[-2:]
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               f"and nrows > ncols (got {m}x{n})")
        Q, R = qr(A, mode="reduced")
        gQ, gR = (g, None) if self.which == "Q" else (None, g)
        if m >= n:
            return (_qr_tall_grad(Q, R, gQ, gR),)
        # A wide A = [X | Y] with X square: X = Q U and Y = Q V for R = [U | V], so Y's part
        # of the gradient is Q gV and X's is the square case with gQ + Y gV^T for Q.
        from .ops.joining import cat
        X_grad_Q, gU, gV = gQ, None, None
        if gR is not None:
            gU, gV = gR[..., :m], gR[..., m:]
            X_grad_Q = A[..., m:] @ gV.mT
        gX = _qr_tall_grad(Q, R[..., :m], X_grad_Q, gU)
        gY = Q @ gV if gV is not None else gX.new_zeros(A.shape[:-1] + (n - m,))
        return (cat([gX, gY], dim=-1),)


def _qr_tall_grad(Q, R, gQ, gR):
    """gA = (gQ + Q copyltu(M)) R^-T with M = R gR^T - gQ^T Q, for A = QR with m >= n; `gQ` or
    `gR` None stands for zero."""
    from ._linalg_factor import solve_triangular
    M = R @ gR.mT if gR is not None else None
    if gQ is not None:
        M = -(gQ.mT @ Q) if M is None else M - gQ.mT @ Q
    lower = M.tril()
    rhs = Q @ (lower + lower.tril(-1).mT)
    if gQ is not None:
        rhs = rhs + gQ
    # rhs @ R^-T, i.e. the solution X of X R^T = rhs (R^T is lower triangular).
    return solve_triangular(R.mT, rhs, upper=False, left=False)


class LinalgLuFactorExBackward0(Node):
    # The gradient of the packed LU (L strictly below the diagonal, U on and above it) of a
    # square A = P L U:  gA = P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T.
    __slots__ = ()

    def backward(self, g):
        from ._linalg_factor import lu_factor, lu_unpack, solve_triangular
        (A,) = self.unpack()
        m, n = A.shape[-2:]
        if m != n:
            raise RuntimeError(f"linalg.lu_factor: the gradient is implemented for square "
                               f"matrices (got {m}x{n})")
        P, L, U = lu_unpack(*lu_factor(A))
        phi = (L.mT @ g.tril(-1)).tril(-1) + (g.triu() @ U.mT).triu()
        # L^-T phi: solve L^T X = phi (upper, unit diagonal); then X U^-T: solve Y U^T = X.
        X = solve_triangular(L.mT, phi, upper=True, unitriangular=True)
        return (P @ solve_triangular(U.mT, X, upper=False, left=False),)
