"""IntermediateLayerGetter (torchvision's `models/_utils.py`): a backbone truncated after the
last layer whose output is wanted, returning those outputs by name. Keys stay the backbone's
own (`backbone.layer1.0.conv1.weight`), so whole-model checkpoints load unchanged."""
from collections import OrderedDict

from ember import nn

__all__ = ["IntermediateLayerGetter"]


class IntermediateLayerGetter(nn.ModuleDict):
    """Runs the model's direct children in order and returns an OrderedDict
    {return_layers[name]: output} for the children named in `return_layers`."""

    def __init__(self, model, return_layers):
        if not set(return_layers).issubset(name for name, _ in model.named_children()):
            raise ValueError("return_layers are not present in model")
        orig_return_layers = return_layers
        return_layers = {str(k): str(v) for k, v in return_layers.items()}
        layers = OrderedDict()
        for name, module in model.named_children():
            layers[name] = module
            if name in return_layers:
                del return_layers[name]
            if not return_layers:
                break
        super().__init__(layers)
        self.return_layers = orig_return_layers

    def forward(self, x):
        out = OrderedDict()
        for name, module in self.items():
            x = module(x)
            if name in self.return_layers:
                out[self.return_layers[name]] = x
        return out
