"""Matrix products: matmul (and the mm/bmm/mv/dot family built on it), einsum, tensordot, kron,
cross, trace, cdist. Two primitives carry the gradients: `_mm`, a (batched) product with
optional transposed operands, so backward never materialises a transpose, and `einsum`, whose
gradient is again an einsum. Everything else is composed from them and other ember ops."""
import numpy as np

from .. import _dtypes
from .._device import array_module_of
from .._onednn.gemm import matmul as _gemm
from .._tensor import Tensor, _dim
from ..amp.autocast_mode import cast_inputs, state as _amp
from ..autograd.graph import Node
from .inplace import make_inplace
from ._common import attach, check_same_device, grad_for, requires_grad

# NumPy has no fast half-precision GEMM: these are multiplied in float32 and cast back.
_HALF = (np.dtype(np.float16), _dtypes.bfloat16.np)


def _compute_dtype(a, b, op):
    if a.dtype != b.dtype:
        raise RuntimeError(f"{op}: expected m1 and m2 to have the same dtype, but got: "
                           f"{_dtypes.from_numpy_dtype(a.dtype).name} != "
                           f"{_dtypes.from_numpy_dtype(b.dtype).name}")
    return np.float32 if a.dtype in _HALF else None


def _swap(arr, flag):
    return arr.swapaxes(-1, -2) if flag else arr


class MmBackward0(Node):
    __slots__ = ("ta", "tb")

    def backward(self, g):
        a, b = self.unpack()
        ta, tb = self.ta, self.tb
        ga = gb = None
        if self.inputs[0] is not None:
            ga = grad_for(_mm(b, g, tb, True) if ta else _mm(g, b, False, not tb), a)
        if self.inputs[1] is not None:
            gb = grad_for(_mm(g, a, True, ta) if tb else _mm(a, g, not ta, False), b)
        return ga, gb


class BmmBackward0(MmBackward0):
    __slots__ = ()


def _mm(a, b, ta=False, tb=False, op="matmul"):
    """`op(a) @ op(b)` for tensors of 2+ dims (batch dims broadcast), op = transpose if flag."""
    check_same_device(a, b, op)
    x, y = _swap(a._data, ta), _swap(b._data, tb)
    if x.shape[-1] != y.shape[-2]:
        raise RuntimeError(f"ember.{op}: shapes {tuple(x.shape)} and {tuple(y.shape)} cannot be "
                           f"multiplied ({x.shape[-1]} != {y.shape[-2]})")
    work = _compute_dtype(x, y, op)
    try:
        out = x.astype(work) @ y.astype(work) if work else _gemm(x, y)
    except ValueError:
        raise RuntimeError(f"ember.{op}: batch dimensions of {tuple(x.shape)} and "
                           f"{tuple(y.shape)} cannot be broadcast") from None
    if work:
        out = out.astype(x.dtype)
    node = None
    if requires_grad(a, b):
        node = (MmBackward0 if x.ndim == 2 and y.ndim == 2 else BmmBackward0)(None)
        node.ta, node.tb = ta, tb
        node.save(a, b)
    return attach(out, node, (a, b))


def matmul(input, other):
    """Matrix product with NumPy/PyTorch rules: 1-D x 1-D is a dot product, a 1-D operand is
    promoted to a matrix and the added dim removed, batch dims broadcast."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"matmul: expected Tensors, got {type(input).__name__} and "
                        f"{type(other).__name__}")
    if _amp.on:
        input, other = cast_inputs("matmul", input, other)
    da, db = input.ndim, other.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"matmul: both arguments to matmul need to be at least 1D, but they "
                           f"are {da}D and {db}D")
    if (da >= 3 and db == 2 or da == 2 and db >= 3) and input.shape[-1] != other.shape[-2]:
        raise RuntimeError(f"ember.matmul: shapes {tuple(input.shape)} and {tuple(other.shape)} "
                           f"cannot be multiplied ({input.shape[-1]} != {other.shape[-2]})")
    if da >= 3 and db == 2:
        return _folded(input, other)
    if da == 2 and db >= 3:
        # (m, k) @ (..., k, n) is the transpose of (..., n, k) @ (k, m): folded the same way.
        return _folded(other.transpose(-1, -2), input.t()).transpose(-1, -2)
    if da >= 2 and db >= 2:
        return _mm(input, other)
    a = input.reshape(1, -1) if da == 1 else input
    b = other.reshape(-1, 1) if db == 1 else other
    if da == 1 and db == 1 and input.shape[0] != other.shape[0]:
        raise RuntimeError(f"ember.matmul: shapes {tuple(input.shape)} and {tuple(other.shape)} "
                           f"cannot be multiplied ({input.shape[0]} != {other.shape[0]})")
    out = _mm(a, b)
    shape = out.shape
    if da == 1:
        shape = shape[:-2] + shape[-1:]
    if db == 1:
        shape = shape[:-1]
    return out.reshape(shape)


def _folded(a, b):
    """(..., m, k) @ (k, n) as one 2-D GEMM over all rows: NumPy would run one small GEMM per
    leading index (2-4x slower). The reshape copies only when the leading dims cannot be merged
    in place, and that copy is far cheaper than the product."""
    lead, k = tuple(a.shape[:-1]), a.shape[-1]
    rows = 1
    for n in lead:
        rows *= n
    return _mm(a.reshape(rows, k), b).reshape(lead + (b.shape[1],))


def _check_dims(op, **tensors):
    for name, (t, nd) in tensors.items():
        if t.ndim != nd:
            raise RuntimeError(f"{op}: {name} must be a {nd}D tensor, got {t.ndim}D with shape "
                               f"{tuple(t.shape)}")


def mm(input, mat2):
    _check_dims("mm", self=(input, 2), mat2=(mat2, 2))
    if _amp.on:
        input, mat2 = cast_inputs("mm", input, mat2)
    return _mm(input, mat2, op="mm")


def bmm(input, mat2):
    _check_dims("bmm", batch1=(input, 3), batch2=(mat2, 3))
    if _amp.on:
        input, mat2 = cast_inputs("bmm", input, mat2)
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"bmm: batch1 and batch2 must have the same batch size, got "
                           f"{tuple(input.shape)} and {tuple(mat2.shape)}")
    return _mm(input, mat2, op="bmm")


def mv(input, vec):
    _check_dims("mv", self=(input, 2), vec=(vec, 1))
    return matmul(input, vec)


def dot(input, other):
    _check_dims("dot", self=(input, 1), other=(other, 1))
    if input.dtype is not other.dtype:
        raise RuntimeError(f"dot: expected both vectors to have same dtype, but found "
                           f"{input.dtype.name} and {other.dtype.name}")
    return matmul(input, other)


def vdot(input, other):
    """`sum(conj(input) * other)` for 1-D tensors."""
    return dot(input.conj() if input.is_complex() else input, other)


def inner(input, other):
    """Sum over the last dims: shape `input.shape[:-1] + other.shape[:-1]`."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    return tensordot(input, other, dims=([-1], [-1]))


def outer(input, vec2):
    _check_dims("outer", self=(input, 1), vec2=(vec2, 1))
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


def _scaled_sum(input, product, beta, alpha):
    """`beta * input + alpha * product`; beta=0 ignores `input` (NaNs included), as in PyTorch."""
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product
    return product + (input if beta == 1 else input * beta)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    if _amp.on:
        input, mat1, mat2 = cast_inputs("addmm", input, mat1, mat2)
    return _scaled_sum(input, mm(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    return _scaled_sum(input, mv(mat, vec), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    if _amp.on:
        input, batch1, batch2 = cast_inputs("baddbmm", input, batch1, batch2)
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """`beta * input + alpha * sum_b batch1[b] @ batch2[b]`."""
    _check_dims("addbmm", batch1=(batch1, 3), batch2=(batch2, 3))
    if _amp.on:
        input, batch1, batch2 = cast_inputs("addbmm", input, batch1, batch2)
    return _scaled_sum(input, einsum("bij,bjk->ik", batch1, batch2), beta, alpha)


# ------------------------------------------------------------------------------- einsum
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PATHS = {}


class EinsumBackward0(Node):
    __slots__ = ("subs", "out_sub")

    def backward(self, g):
        ops = self.unpack()
        grads = []
        for k, t in enumerate(ops):
            if self.inputs[k] is None:
                grads.append(None)
                continue
            grads.append(grad_for(_einsum_grad(g, ops, self.subs, self.out_sub, k), t))
        return tuple(grads)


def _einsum_grad(g, ops, subs, out_sub, k):
    """d(einsum)/d(operand k), itself an einsum of the output gradient and the other operands."""
    sub = subs[k]
    unique = "".join(dict.fromkeys(sub))
    sizes = dict(zip(sub, ops[k].shape))
    terms = [(g, out_sub)] + [(o, s) for j, (o, s) in enumerate(zip(ops, subs)) if j != k]
    seen = set("".join(s for _, s in terms))
    missing = "".join(c for c in unique if c not in seen)
    xp = array_module_of(g._data)
    if missing:
        # Letters summed inside operand k alone: its gradient is broadcast along them.
        terms.append((Tensor._make(xp.ones([sizes[c] for c in missing], g._data.dtype)),
                      missing))
    target = unique
    if len(unique) != len(sub):
        # Repeated letters (a diagonal): rename repeats and multiply by identity matrices.
        free = iter(c for c in _LETTERS if c not in seen and c not in sub)
        renamed, used = [], set()
        for c in sub:
            if c in used:
                new = next(free)
                terms.append((Tensor._make(xp.eye(sizes[c], dtype=g._data.dtype)), c + new))
                c = new
            used.add(c)
            renamed.append(c)
        target = "".join(renamed)
    eq = ",".join(s for _, s in terms) + "->" + target
    return einsum(eq, *[t for t, _ in terms])


def _parse_einsum(args):
    """(equation, operands) from `einsum("ij,jk", a, b)`, `einsum(eq, [a, b])` or the sublist
    form `einsum(a, [0, 1], b, [1, 2], [0, 2])`."""
    if isinstance(args[0], str):
        eq = args[0].replace(" ", "")
        ops = list(args[1]) if len(args) == 2 and isinstance(args[1], (list, tuple)) \
            else list(args[1:])
        return eq, ops
    out = args[-1] if len(args) % 2 else None
    pairs = args[:-1] if len(args) % 2 else args
    ops, subs = list(pairs[0::2]), list(pairs[1::2])

    def letters(sl):
        return "".join("..." if s is Ellipsis else _LETTERS[s] for s in sl)
    eq = ",".join(letters(s) for s in subs)
    return (eq + "->" + letters(out)) if out is not None else eq, ops


def _explicit(eq, ops):
    """Rewrite `eq` with explicit output and no ellipsis; squeeze ellipsis dims of size 1 that
    broadcast, since explicit letters do not broadcast."""
    lhs, arrow, rhs = eq.partition("->")
    subs = lhs.split(",")
    if len(subs) != len(ops):
        raise RuntimeError(f"einsum(): {len(subs)} operands in the equation {eq!r} but "
                           f"{len(ops)} were given")
    if not arrow:
        counts = {}
        for c in lhs.replace("...", "").replace(",", ""):
            counts[c] = counts.get(c, 0) + 1
        rhs = ("..." if "..." in lhs else "") + "".join(sorted(c for c, n in counts.items()
                                                                if n == 1))
    free = [c for c in _LETTERS if c not in eq]
    n_ell = max((o.ndim - len(s.replace("...", "")) for s, o in zip(subs, ops) if "..." in s),
                default=0)
    ell = "".join(free[:n_ell])
    ell_sizes = [1] * n_ell
    for s, o in zip(subs, ops):
        if "..." in s:
            k = o.ndim - len(s.replace("...", ""))
            start = s.index("...")
            for i in range(k):
                size = o.shape[start + i]
                pos = n_ell - k + i
                if size != 1:
                    if ell_sizes[pos] not in (1, size):
                        raise RuntimeError(f"einsum(): operands do not broadcast with "
                                           f"remapped shapes {[tuple(x.shape) for x in ops]}")
                    ell_sizes[pos] = size
    new_subs, new_ops = [], []
    for s, o in zip(subs, ops):
        if not isinstance(o, Tensor):
            raise TypeError(f"einsum(): expected Tensor operands, got {type(o).__name__}")
        if "..." in s:
            k = o.ndim - len(s.replace("...", ""))
            start = s.index("...")
            own = ell[n_ell - k:]
            keep = [i for i in range(k) if not (o.shape[start + i] == 1 and
                                                 ell_sizes[n_ell - k + i] != 1)]
            if len(keep) != k:
                shape = list(o.shape[:start]) + [o.shape[start + i] for i in keep] + list(
                    o.shape[start + k:])
                o = o.reshape(shape)
            s = s.replace("...", "".join(own[i] for i in keep))
        if len(s) != o.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(s)}) "
                               f"does not match the number of dimensions ({o.ndim}) for an "
                               f"operand of shape {tuple(o.shape)}")
        new_subs.append(s)
        new_ops.append(o)
    return new_subs, rhs.replace("...", ell), new_ops


def _path(eq, arrays):
    key = (eq,) + tuple(a.shape for a in arrays)
    path = _PATHS.get(key)
    if path is None:
        # Shape-only stand-ins: the path depends on sizes, not values.
        dummies = [np.broadcast_to(np.empty((), np.float32), a.shape) for a in arrays]
        path = np.einsum_path(eq, *dummies, optimize="greedy")[0]
        if len(_PATHS) > 4096:
            _PATHS.clear()
        _PATHS[key] = path
    return path


def einsum(*args):
    """Einstein summation, e.g. `einsum("bij,bjk->bik", a, b)`; differentiable in each operand."""
    eq, ops = _parse_einsum(args)
    if _amp.on:
        ops = cast_inputs("einsum", *ops)
    subs, out_sub, ops = _explicit(eq, ops)
    for o in ops[1:]:
        check_same_device(ops[0], o, "einsum")
    dts = {o._data.dtype for o in ops}
    if len(dts) > 1:
        dt = _dtypes.result_type(*ops).np
        arrays = [o._data.astype(dt) for o in ops]
    else:
        arrays = [o._data for o in ops]
    full = ",".join(subs) + "->" + out_sub
    out_dtype = arrays[0].dtype
    if out_dtype in _HALF:
        arrays = [a.astype(np.float32) for a in arrays]
    sizes = {}
    for s, a in zip(subs, arrays):
        for c, n in zip(s, a.shape):
            if sizes.setdefault(c, n) != n:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} which does not "
                                   f"broadcast with previously seen size {sizes[c]}")
    xp = array_module_of(arrays[0])
    out = xp.einsum(full, *arrays, optimize=_path(full, arrays) if len(arrays) > 2 else False)
    out = xp.asarray(out).astype(out_dtype, copy=False)
    node = None
    if requires_grad(*ops):
        node = EinsumBackward0(None)
        node.subs, node.out_sub = subs, out_sub
        node.save(*ops)
    return attach(out, node, ops)


def tensordot(a, b, dims=2):
    """Contract the last `dims` dims of `a` with the first of `b`, or the listed dim pairs."""
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot: expects dims >= 0, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
        if isinstance(da, Tensor) or isinstance(db, Tensor):
            da, db = [int(d) for d in da], [int(d) for d in db]
    if len(da) != len(db):
        raise RuntimeError(f"tensordot: both dimension lists should have same length, got "
                           f"{len(da)} and {len(db)}")
    da = [_dim(d, a.ndim, "tensordot") for d in da]
    db = [_dim(d, b.ndim, "tensordot") for d in db]
    sa = list(_LETTERS[:a.ndim])
    sb = list(_LETTERS[a.ndim:a.ndim + b.ndim])
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"tensordot: contracted dimensions need to match, but first has "
                               f"size {a.shape[i]} in dim {i} and second has size {b.shape[j]} "
                               f"in dim {j}")
        sb[j] = sa[i]
    out = "".join(c for i, c in enumerate(sa) if i not in da) + "".join(
        c for j, c in enumerate(sb) if j not in db)
    return einsum(f"{''.join(sa)},{''.join(sb)}->{out}", a, b)


def kron(input, other):
    """Kronecker product: blocks `input[i] * other`, shape `input.shape * other.shape`."""
    n = max(input.ndim, other.ndim)
    sa = (1,) * (n - input.ndim) + tuple(input.shape)
    sb = (1,) * (n - other.ndim) + tuple(other.shape)
    a = input.reshape([d for s in sa for d in (s, 1)])
    b = other.reshape([d for s in sb for d in (1, s)])
    return (a * b).reshape([x * y for x, y in zip(sa, sb)])


def cross(input, other, dim=None):
    """Cross product of 3-vectors along `dim` (default: the first dim of size 3), broadcasting."""
    shape = tuple(np.broadcast_shapes(tuple(input.shape), tuple(other.shape)))
    if dim is None:
        dim = next((i for i, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise RuntimeError(f"cross: no dimension of size 3 in input of shape {shape}")
    dim = _dim(dim, len(shape), "cross")
    if shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3, got "
                           f"shapes {tuple(input.shape)} and {tuple(other.shape)}")
    a, b = input.expand(shape), other.expand(shape)
    xp = array_module_of(input._data)
    eps = np.zeros((3, 3, 3))
    eps[0, 1, 2] = eps[1, 2, 0] = eps[2, 0, 1] = 1
    eps[0, 2, 1] = eps[2, 1, 0] = eps[1, 0, 2] = -1
    levi = Tensor._make(xp.asarray(eps.astype(_dtypes.result_type(input, other).np)))
    letters = _LETTERS[3:3 + len(shape)]

    def at(c):
        return letters[:dim] + c + letters[dim + 1:]
    return einsum(f"abc,{at('b')},{at('c')}->{at('a')}", levi, a, b)


def trace(input):
    """Sum of the main diagonal of a 2-D tensor (integers sum in int64)."""
    _check_dims("trace", self=(input, 2))
    if input.dtype.category <= 1:
        input = input.to(_dtypes.int64)
    rows, cols = input.shape
    if rows == cols:
        return einsum("ii->", input)
    # A rectangular diagonal: mask with a rectangular identity.
    eye = array_module_of(input._data).eye(rows, cols, dtype=input._data.dtype)
    return einsum("ij,ij->", input, Tensor._make(eye))


def _indices(fn, row, col, offset, dtype, device, op):
    from .creation import tensor
    if row < 0 or col < 0:
        raise RuntimeError(f"{op}: row and col must be non-negative, got {row}, {col}")
    return tensor(np.stack(fn(row, offset, col)).reshape(2, -1), dtype=dtype or _dtypes.int64,
                  device=device)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    return _indices(np.tril_indices, row, col, offset, dtype, device, "tril_indices")


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    return _indices(np.triu_indices, row, col, offset, dtype, device, "triu_indices")


def cdist(x1, x2, p=2.0, compute_mode=None):
    """Pairwise p-norm distances between the rows of `x1` (.., P, M) and `x2` (.., R, M)."""
    from ..linalg import vector_norm
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D, X2 "
                           f"got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"cdist: X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    diff = x1.reshape(*x1.shape[:-1], 1, x1.shape[-1]) - x2.reshape(
        *x2.shape[:-2], 1, *x2.shape[-2:])
    return vector_norm(diff, p, dim=-1)


def _rmatmul(self, other):
    return matmul(other, self)


ger = outer

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm",
           "addmv", "baddbmm", "addbmm", "einsum", "tensordot", "kron", "cross", "trace",
           "tril_indices", "triu_indices", "cdist"]
METHODS = {"__matmul__": matmul, "__rmatmul__": _rmatmul, "matmul": matmul, "mm": mm,
           "bmm": bmm, "mv": mv, "dot": dot, "vdot": vdot, "inner": inner, "outer": outer,
           "ger": ger, "addmm": addmm, "addmv": addmv, "baddbmm": baddbmm, "addbmm": addbmm,
           "kron": kron, "cross": cross, "trace": trace}
for _name, _fn in [("addmm", addmm), ("addmv", addmv), ("baddbmm", baddbmm),
                   ("addbmm", addbmm)]:
    METHODS[f"{_name}_"] = make_inplace(_fn, f"{_name}_")
