"""Every op family on CuPy gives the CPU's results, forward and backward.

Skipped without a GPU (CI has none); run on a lent GPU to check the CUDA device end to end.
"""
import numpy as np
import pytest

import ember
import ember.nn.functional as F

pytestmark = pytest.mark.skipif(not ember.cuda.is_available(), reason="needs a CUDA device")

rng = np.random.default_rng(0)


def _arr(*shape, positive=False):
    a = rng.uniform(0.5 if positive else -2, 2, size=shape)
    return a.astype(np.float32)


CASES = {
    "exp": (lambda x: x.exp(), [(3, 4)]),
    "log": (lambda x: x.log(), [("pos", 3, 4)]),
    "tanh_sigmoid": (lambda x: x.tanh() + x.sigmoid(), [(5,)]),
    "erf": (lambda x: ember.erf(x), [(6,)]),
    "pow_div": (lambda x, y: x ** 2 / (y + 3), [(2, 3), (3,)]),
    "where_max": (lambda x, y: ember.where(x > 0, x, y) + ember.maximum(x, y), [(4,), (4,)]),
    "clamp": (lambda x: x.clamp(-0.5, 0.5), [(7,)]),
    "sum_mean_var": (lambda x: x.sum(1) + x.mean(0).sum() + x.var(1), [(3, 4)]),
    "max_logsumexp": (lambda x: x.max(dim=1).values + x.logsumexp(1), [(3, 4)]),
    "cumsum_sort": (lambda x: x.cumsum(1) + x.sort(1).values, [(3, 4)]),
    "norm_prod": (lambda x: x.norm() + x.prod(), [(2, 2)]),
    "shape": (lambda x: x.permute(1, 0).reshape(2, 6).flip(0).unsqueeze(0).squeeze(0), [(3, 4)]),
    "cat_stack_split": (lambda x, y: ember.cat([x, y]).split(2)[1] + ember.stack([x, y]).sum(0)[:2],
                        [(3, 4), (3, 4)]),
    "indexing": (lambda x: x[1:, [0, 2]] * 2 + x[x > 0].sum(), [(3, 4)]),
    "gather_scatter": (lambda x: x.gather(1, ember.tensor([[0, 1], [2, 3], [1, 1]]).to(x.device))
                       .sum() + ember.zeros(3, 4, device=x.device).scatter_add(
                           0, ember.tensor([[0, 1, 2, 0]]).to(x.device), x[:1]), [(3, 4)]),
    "matmul_einsum": (lambda x, y: x @ y + ember.einsum("ij,jk->ik", x, y), [(3, 4), (4, 5)]),
    "bmm": (lambda x, y: ember.bmm(x, y), [(2, 3, 4), (2, 4, 2)]),
    "linear": (lambda x, w, b: F.linear(x, w, b), [(4, 3), (5, 3), (5,)]),
    "softmax_ce": (lambda x: F.cross_entropy(x, ember.tensor([0, 2, 1]).to(x.device))
                   + F.log_softmax(x, 1).sum(), [(3, 4)]),
    "conv2d": (lambda x, w: F.conv2d(x, w, padding=1, stride=2), [(2, 3, 8, 8), (4, 3, 3, 3)]),
    "conv_transpose": (lambda x, w: F.conv_transpose2d(x, w, stride=2),
                       [(1, 2, 4, 4), (2, 3, 3, 3)]),
    "pooling": (lambda x: F.max_pool2d(x, 2).sum() + F.avg_pool2d(x, 2).sum()
                + F.adaptive_avg_pool2d(x, 1).sum(), [(2, 3, 8, 8)]),
    "batch_norm": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                   [(4, 3, 5, 5), (3,), (3,)]),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (6,), w, b), [(4, 6), (6,), (6,)]),
    "interpolate": (lambda x: F.interpolate(x, scale_factor=2, mode="bilinear",
                                            align_corners=False), [(1, 2, 4, 4)]),
    "gelu_silu": (lambda x: F.gelu(x) + F.silu(x), [(8,)]),
    "sdpa": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
             [(2, 2, 5, 4), (2, 2, 5, 4), (2, 2, 5, 4)]),
    "embedding": (lambda w: F.embedding(ember.tensor([[0, 2], [1, 1]]).to(w.device), w), [(3, 4)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_matches_cpu(name):
    fn, shapes = CASES[name]
    arrays = [_arr(*s[1:], positive=True) if s and s[0] == "pos" else _arr(*s) for s in shapes]
    results = {}
    for dev in ("cpu", "cuda"):
        ins = [ember.tensor(a, device=dev, requires_grad=True) for a in arrays]
        try:
            out = fn(*ins)
        except AttributeError as e:
            pytest.skip(f"op not available: {e}")
        out.backward(ember.ones_like(out))
        results[dev] = (out.detach().cpu().numpy(), [t.grad.cpu().numpy() for t in ins])
    (out_c, grads_c), (out_g, grads_g) = results["cpu"], results["cuda"]
    np.testing.assert_allclose(out_g, out_c, rtol=1e-4, atol=1e-5)
    for gc, gg in zip(grads_c, grads_g):
        np.testing.assert_allclose(gg, gc, rtol=1e-4, atol=1e-5)


def test_small_cnn_trains_on_gpu_like_on_cpu():
    nn = ember.nn
    images = _arr(8, 1, 8, 8)  # drawn once: both devices must see the same batch

    def run(device):
        ember.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(4 * 4 * 4, 3)).to(device)
        opt = ember.optim.Adam(model.parameters(), lr=0.01)
        x = ember.tensor(images, device=device)
        y = ember.tensor([0, 1, 2, 0, 1, 2, 0, 1], device=device)
        for _ in range(5):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
        return loss.item(), [p.detach().cpu().numpy() for p in model.parameters()]

    loss_c, params_c = run("cpu")
    loss_g, params_g = run("cuda")
    assert abs(loss_c - loss_g) < 1e-4
    for pc, pg in zip(params_c, params_g):
        np.testing.assert_allclose(pg, pc, rtol=1e-3, atol=1e-5)


def test_save_and_load_cuda_tensors(tmp_path):
    t = ember.arange(6.0, device="cuda").reshape(2, 3)
    ember.save({"t": t}, tmp_path / "x.pt")
    back = ember.load(tmp_path / "x.pt", map_location="cuda")
    assert back["t"].is_cuda and back["t"].cpu().tolist() == t.cpu().tolist()
    assert ember.load(tmp_path / "x.pt", map_location="cpu")["t"].is_cpu
