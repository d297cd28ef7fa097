"""GPU workloads (issue 9): listed only when both ember and PyTorch see a CUDA device. Each
timed step ends with a device synchronize so the wall time covers the GPU work. No first-step
loss check: weights are drawn by each framework's own generator on the device.

Targets on an H100: ResNet-50 training step <= 2.0x PyTorch eager, GPT-2-small-sized
transformer step <= 1.5x, Adam step over 100M parameters <= 1.2x.
"""
import numpy as np

from ..harness import Setup, Workload, require
from ._resnet import REQUIRED, resnet

# "tiny" only proves the code path runs (the smoke test never sees these rows without CUDA).
RESNET = {"full": (64, 224), "tiny": (2, 32)}  # (batch, image side)
GPT = {"full": (8, 512, 768, 12, 12), "tiny": (2, 16, 64, 2, 2)}  # batch, seq, d, heads, layers
ADAM = {"full": (10, 10_000_000), "tiny": (2, 1000)}  # tensors x elements each


def available():
    """True when both frameworks can run on a CUDA device."""
    import ember
    try:
        import torch
    except ImportError:
        return False
    return ember.cuda.is_available() and torch.cuda.is_available()


def _sync(fw):
    fw.cuda.synchronize()


def _on_gpu(fw, array):
    return fw.from_numpy(np.ascontiguousarray(array).copy()).to("cuda")


def _train_step(fw, model, optimizer, loss_fn, x, target):
    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), target)
        loss.backward()
        optimizer.step()
        _sync(fw)
        return loss
    return Setup(step=step, model=model)


def resnet50_setup(fw, size):
    require(fw, *REQUIRED, "nn.functional.cross_entropy", "optim.SGD")
    fw.manual_seed(0)
    model = resnet(fw, 50, num_classes=1000, cifar_stem=False).to("cuda")
    batch, side = RESNET[size]
    rng = np.random.default_rng(0)
    x = _on_gpu(fw, rng.standard_normal((batch, 3, side, side), dtype=np.float32))
    y = _on_gpu(fw, rng.integers(0, 1000, batch))
    opt = fw.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    return _train_step(fw, model, opt, fw.nn.functional.cross_entropy, x, y)


def gpt_setup(fw, size):
    require(fw, "nn.TransformerEncoderLayer", "nn.Sequential", "nn.Linear", "optim.AdamW",
            "nn.functional.cross_entropy")
    fw.manual_seed(0)
    batch, seq, d, heads, layers = GPT[size]
    vocab = 50257 if size == "full" else 100
    nn = fw.nn
    # A GPT-2-small-sized stack: pre-norm blocks with GELU, d 768, 12 heads, 12 layers, LM head.
    blocks = [nn.TransformerEncoderLayer(d, heads, dim_feedforward=4 * d, dropout=0.1,
                                         activation="gelu", batch_first=True, norm_first=True)
              for _ in range(layers)]
    model = nn.Sequential(*blocks, nn.LayerNorm(d), nn.Linear(d, vocab, bias=False)).to("cuda")
    rng = np.random.default_rng(0)
    x = _on_gpu(fw, rng.standard_normal((batch, seq, d), dtype=np.float32))
    y = _on_gpu(fw, rng.integers(0, vocab, batch * seq))
    opt = fw.optim.AdamW(model.parameters(), lr=1e-4)

    def loss_fn(logits, target):
        return fw.nn.functional.cross_entropy(logits.reshape(-1, vocab), target)
    return _train_step(fw, model, opt, loss_fn, x, y)


def adam_setup(fw, size):
    require(fw, "optim.Adam")
    count, numel = ADAM[size]
    rng = np.random.default_rng(0)
    params = []
    for _ in range(count):
        p = _on_gpu(fw, rng.standard_normal(numel, dtype=np.float32)).requires_grad_()
        p.grad = _on_gpu(fw, rng.standard_normal(numel, dtype=np.float32))
        params.append(p)
    opt = fw.optim.Adam(params, lr=1e-3)

    def step():
        opt.step()
        _sync(fw)
    return Setup(step=step)


WORKLOADS = [
    Workload(name="gpu_resnet50_train", title="GPU ResNet-50 train b64 224px SGD", target=2.0,
             unit="ms", setup=resnet50_setup),
    Workload(name="gpu_transformer", title="GPU GPT-2-small-size step seq512 b8 AdamW",
             target=1.5, unit="ms", setup=gpt_setup),
    Workload(name="gpu_adam_100m", title="GPU Adam step 100M params", target=1.2, unit="ms",
             setup=adam_setup),
]
