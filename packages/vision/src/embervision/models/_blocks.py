"""Parameter-free and MLP blocks of the newer architectures (torchvision's
`ops/stochastic_depth.py` and `ops/misc.py`): StochasticDepth, MLP and Permute. Submodule order is
torchvision's, so state_dict keys match."""
import ember
from ember import nn

__all__ = ["MLP", "Permute", "StochasticDepth", "stochastic_depth"]


def stochastic_depth(input, p, mode, training=True):
    """Drop whole residual branches (Huang et al., 2016): in training, zero each sample's
    (`mode="row"`) or the whole batch's (`mode="batch"`) branch with probability `p` and scale
    the survivors by 1 / (1 - p); identity in eval."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
    if mode not in ("batch", "row"):
        raise ValueError(f"mode has to be either 'batch' or 'row', but got {mode}")
    if not training or p == 0.0:
        return input
    survival_rate = 1.0 - p
    size = [input.shape[0]] + [1] * (input.ndim - 1) if mode == "row" else [1] * input.ndim
    noise = ember.empty(size, dtype=input.dtype, device=input.device).bernoulli_(survival_rate)
    if survival_rate > 0.0:
        noise.div_(survival_rate)
    return input * noise


class StochasticDepth(nn.Module):
    def __init__(self, p, mode):
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, input):
        return stochastic_depth(input, self.p, self.mode, self.training)

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p}, mode={self.mode})"


class MLP(nn.Sequential):
    """Linear layers with `activation_layer` and dropout between them (the last one has no
    activation): items Linear, [norm], activation, Dropout, ..., Linear, Dropout."""

    def __init__(self, in_channels, hidden_channels, norm_layer=None, activation_layer=nn.ReLU,
                 inplace=None, bias=True, dropout=0.0):
        params = {} if inplace is None else {"inplace": inplace}
        layers = []
        in_dim = in_channels
        for hidden_dim in hidden_channels[:-1]:
            layers.append(nn.Linear(in_dim, hidden_dim, bias=bias))
            if norm_layer is not None:
                layers.append(norm_layer(hidden_dim))
            layers.append(activation_layer(**params))
            layers.append(nn.Dropout(dropout, **params))
            in_dim = hidden_dim
        layers.append(nn.Linear(in_dim, hidden_channels[-1], bias=bias))
        layers.append(nn.Dropout(dropout, **params))
        super().__init__(*layers)


class Permute(nn.Module):
    """`x.permute(*dims)` as a module, for use inside a Sequential."""

    def __init__(self, dims):
        super().__init__()
        self.dims = list(dims)

    def forward(self, x):
        return ember.permute(x, self.dims)
