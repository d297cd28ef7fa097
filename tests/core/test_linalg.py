"""ember.linalg: gradients in float64, parity with torch.linalg, errors."""
import numpy as np
import pytest
from ember_testing import check_gradcheck, check_parity, rand

import ember


def spd(*batch, n=3, seed=0):
    """Symmetric positive-definite matrices."""
    a = rand(*batch, n, n, seed=seed)
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def symmetric_part(a):
    return (a + ember.einsum("...ij->...ji", a)) * 0.5


def sym(*batch, n=3, seed=0):
    a = rand(*batch, n, n, seed=seed)
    return a + np.swapaxes(a, -1, -2)


NORMS = {
    "norm": lambda m, a: m.linalg.norm(a),
    "norm_dim": lambda m, a: m.linalg.norm(a, 3, dim=1),
    "norm_fro": lambda m, a: m.linalg.norm(a.reshape(6, 4), "fro"),
    "vector_norm_2": lambda m, a: m.linalg.vector_norm(a, dim=(0, 2), keepdim=True),
    "vector_norm_1": lambda m, a: m.linalg.vector_norm(a, 1, dim=-1),
    "vector_norm_3": lambda m, a: m.linalg.vector_norm(a, 3),
    "vector_norm_inf": lambda m, a: m.linalg.vector_norm(a, float("inf"), dim=1),
    "vector_norm_-inf": lambda m, a: m.linalg.vector_norm(a, float("-inf")),
    "vector_norm_0": lambda m, a: m.linalg.vector_norm(a, 0, dim=0),
    "matrix_fro": lambda m, a: m.linalg.matrix_norm(a),
    "matrix_nuc": lambda m, a: m.linalg.matrix_norm(a, "nuc"),
    "matrix_2": lambda m, a: m.linalg.matrix_norm(a, 2),
    "matrix_-2": lambda m, a: m.linalg.matrix_norm(a, -2),
    "matrix_1": lambda m, a: m.linalg.matrix_norm(a, 1),
    "matrix_-1": lambda m, a: m.linalg.matrix_norm(a, -1),
    "matrix_inf": lambda m, a: m.linalg.matrix_norm(a, float("inf"), keepdim=True),
    "matrix_dims": lambda m, a: m.linalg.matrix_norm(a, "fro", dim=(0, 2)),
    "matrix_dims_nuc": lambda m, a: m.linalg.matrix_norm(a, "nuc", dim=(2, 0)),
}


@pytest.mark.parametrize("name", NORMS)
def test_norms_gradcheck(name):
    check_gradcheck(lambda a: NORMS[name](ember, a), rand(2, 3, 4))


@pytest.mark.parity
@pytest.mark.parametrize("name", NORMS)
def test_norms_parity(name):
    check_parity(NORMS[name], rand(2, 3, 4))


def test_vector_norm_zero_has_zero_gradient():
    x = ember.zeros(3, requires_grad=True)
    ember.linalg.vector_norm(x).backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


SQUARE = {
    "inv": (lambda m, a: m.linalg.inv(a), rand),
    "det": (lambda m, a: m.linalg.det(a), rand),
    "slogdet": (lambda m, a: m.linalg.slogdet(a), rand),
    "cholesky": (lambda m, a: m.linalg.cholesky(a), spd),
    "cholesky_upper": (lambda m, a: m.linalg.cholesky(a, upper=True), spd),
    "eigvalsh": (lambda m, a: m.linalg.eigvalsh(a), sym),
    "svdvals": (lambda m, a: m.linalg.svdvals(a), rand),
    "matrix_power_3": (lambda m, a: m.linalg.matrix_power(a, 3), rand),
    "matrix_power_-2": (lambda m, a: m.linalg.matrix_power(a, -2), spd),
}


def _square_input(make, batch):
    return make(*batch, 3, 3) if make is rand else make(*batch)


@pytest.mark.parametrize("batch", [(), (2,)])
@pytest.mark.parametrize("name", SQUARE)
def test_square_gradcheck(name, batch):
    fn, make = SQUARE[name]
    x = _square_input(make, batch)
    if name.startswith("cholesky") or name == "eigvalsh":
        # Gradients of functions of a symmetric input: differentiate through its symmetric part.
        check_gradcheck(lambda a: fn(ember, symmetric_part(a)), x)
    else:
        check_gradcheck(lambda a: fn(ember, a)[1] if name == "slogdet" else fn(ember, a), x)


@pytest.mark.parity
@pytest.mark.parametrize("batch", [(), (2,)])
@pytest.mark.parametrize("name", SQUARE)
def test_square_parity(name, batch):
    fn, make = SQUARE[name]
    grad = not (name.startswith("cholesky") or name == "eigvalsh")  # symmetric-input grads
    check_parity(fn, _square_input(make, batch), grad=grad, layouts=("contiguous",))


def test_eigh_gradcheck():
    def f(a):
        w, v = ember.linalg.eigh(symmetric_part(a))
        # Eigenvectors are defined up to sign: a sign-invariant function of them.
        return w, v * v
    check_gradcheck(f, sym(2))


@pytest.mark.parity
def test_eigh_parity():
    check_parity(lambda m, a: (lambda w, v: (w, v * v))(*m.linalg.eigh(a)), sym(2), grad=False)


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("bshape", [(3,), (3, 2), (2, 3), (2, 3, 4)])
def test_solve_gradcheck(bshape, left):
    if not left and len(bshape) == 1:
        pytest.skip("left=False needs a matrix B")
    b = rand(*(bshape if left else bshape[:-2] + bshape[-1:] + bshape[-2:-1]), seed=1)
    check_gradcheck(lambda a, b: ember.linalg.solve(a, b, left=left), spd(2), b)


@pytest.mark.parity
@pytest.mark.parametrize("bshape", [(3,), (3, 2), (2, 3), (2, 3, 4)])
def test_solve_parity(bshape):
    check_parity(lambda m, a, b: m.linalg.solve(a, b), spd(2), rand(*bshape, seed=1))


@pytest.mark.parity
@pytest.mark.parametrize("full", [True, False])
@pytest.mark.parametrize("shape", [(3, 5), (2, 5, 3)])
def test_svd_reconstructs(full, shape):
    a = ember.tensor(rand(*shape))
    U, S, Vh = ember.linalg.svd(a, full_matrices=full)
    k = S.shape[-1]
    rec = (U.numpy()[..., :k] * S.numpy()[..., None, :]) @ Vh.numpy()[..., :k, :]
    np.testing.assert_allclose(rec, a.numpy(), atol=1e-5)
    import torch
    tU, tS, tVh = torch.linalg.svd(torch.from_numpy(a.numpy()), full_matrices=full)
    assert U.shape == tuple(tU.shape) and Vh.shape == tuple(tVh.shape)
    np.testing.assert_allclose(S.numpy(), tS.numpy(), rtol=1e-5)


@pytest.mark.parity
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr_parity(mode):
    import torch
    a = rand(2, 5, 3)
    Q, R = ember.linalg.qr(ember.tensor(a), mode=mode)
    tQ, tR = torch.linalg.qr(torch.from_numpy(a), mode=mode)
    assert Q.shape == tuple(tQ.shape) and R.shape == tuple(tR.shape)
    # Signs of the factors may differ: compare |R| and the product.
    np.testing.assert_allclose(np.abs(R.numpy()), np.abs(tR.numpy()), atol=1e-10)
    if mode != "r":
        np.testing.assert_allclose(Q.numpy() @ R.numpy(), a[..., :, :] if mode == "reduced"
                                   else a, atol=1e-10)


# Functions of the SVD and QR factors that do not depend on their sign choices (LAPACK and
# torch may flip a singular vector pair or a Q column with its R row).
DECOMPOSITIONS = {
    "svd_S": lambda m, a: m.linalg.svd(a, full_matrices=False).S,
    "svd_UVh": lambda m, a: (lambda r: r.U @ r.Vh)(m.linalg.svd(a, full_matrices=False)),
    "svd_abs": lambda m, a: (lambda r: (r.U.abs(), r.Vh.abs()))(
        m.linalg.svd(a, full_matrices=False)),
    "svd_full_square": lambda m, a: (lambda r: (r.U @ r.Vh, r.S))(m.linalg.svd(a)),
    "qr_abs": lambda m, a: tuple(t.abs() for t in m.linalg.qr(a)),
    "qr_QR_products": lambda m, a: (lambda r: (r.Q @ r.R, r.R.square()))(m.linalg.qr(a)),
    "pinv": lambda m, a: m.linalg.pinv(a),
    "lu_factor": lambda m, a: m.linalg.lu_factor(a).LU,
    "lu": lambda m, a: tuple(m.linalg.lu(a)[1:]),
}
DECOMPOSITION_SHAPES = {"svd_full_square": [(3, 3), (2, 4, 4)], "lu_factor": [(3, 3), (2, 4, 4)],
                        "lu": [(3, 3), (2, 4, 4)]}


def _decomposition_cases():
    for name in DECOMPOSITIONS:
        for shape in DECOMPOSITION_SHAPES.get(name, [(4, 3), (2, 5, 3), (3, 5)]):
            yield name, shape


@pytest.mark.parametrize("name,shape", list(_decomposition_cases()))
def test_decomposition_gradcheck(name, shape):
    fn = DECOMPOSITIONS[name]
    check_gradcheck(lambda a: fn(ember, a), rand(*shape), gradgrad=len(shape) == 2)


@pytest.mark.parity
@pytest.mark.parametrize("name,shape", list(_decomposition_cases()))
def test_decomposition_gradient_parity(name, shape):
    check_parity(DECOMPOSITIONS[name], rand(*shape), layouts=("contiguous",))


def test_decomposition_gradient_errors():
    a = ember.tensor(rand(4, 3), requires_grad=True)
    with pytest.raises(RuntimeError, match="full_matrices=True"):
        ember.linalg.svd(a).U.sum().backward()
    with pytest.raises(RuntimeError, match="mode='complete'"):
        ember.linalg.qr(a, mode="complete").Q.sum().backward()
    with pytest.raises(RuntimeError, match="square"):
        ember.linalg.lu_factor(a).LU.sum().backward()


@pytest.mark.parity
def test_rank_lstsq_and_friends_parity():
    check_parity(lambda m, a: m.linalg.matrix_rank(a), rand(2, 4, 3), grad=False)
    low_rank = rand(4, 1) @ rand(1, 4, seed=1)
    check_parity(lambda m, a: m.linalg.matrix_rank(a), low_rank, grad=False)
    check_parity(lambda m, a, b: m.linalg.lstsq(a, b).solution, rand(5, 3), rand(5, 2, seed=1))
    check_parity(lambda m, a, b, c: m.linalg.multi_dot([a, b, c]), rand(3), rand(3, 4),
                 rand(4, 2))
    check_parity(lambda m, a: m.linalg.matrix_power(a, 0), rand(2, 3, 3), grad=False)
    check_parity(lambda m, a, b: m.linalg.vecdot(a, b), rand(2, 3), rand(3, seed=1))


ERRORS = [
    (lambda: ember.linalg.inv(ember.zeros(3, 3)), "linalg.inv"),
    (lambda: ember.linalg.inv(ember.zeros(2, 3)), "square"),
    (lambda: ember.linalg.det(ember.zeros(3)), "at least 2"),
    (lambda: ember.linalg.cholesky(-ember.eye(3)), "linalg.cholesky"),
    (lambda: ember.linalg.solve(ember.eye(3), ember.zeros(4, 2)), "linalg.solve"),
    (lambda: ember.linalg.vector_norm(ember.arange(3)), "floating point"),
    (lambda: ember.linalg.matrix_norm(ember.zeros(3, 3), 3), "Order 3 not supported"),
    (lambda: ember.linalg.qr(ember.zeros(3, 3), mode="x"), "unrecognized mode"),
    (lambda: ember.linalg.multi_dot([ember.zeros(2)]), "at least 2"),
]


@pytest.mark.parametrize("fn,msg", ERRORS)
def test_errors(fn, msg):
    with pytest.raises(RuntimeError, match=msg):
        fn()
