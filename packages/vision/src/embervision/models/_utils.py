"""Small helpers shared by the builders (torchvision's `models/_utils.py`)."""

__all__ = ["_IMAGENET_NUM_CLASSES", "_make_divisible", "_ovewrite_named_param"]

# The ImageNet-1K checkpoints all classify into 1000 classes (their names, `meta["categories"]`,
# are read lazily by `_imagenet_categories.py`).
_IMAGENET_NUM_CLASSES = 1000


def _make_divisible(v, divisor, min_value=None):
    """`v` rounded to the nearest multiple of `divisor` (at least `min_value`), never more than
    10% below `v`: the channel rounding of the original MobileNet/EfficientNet code."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _ovewrite_named_param(kwargs, param, new_value):
    """Set `kwargs[param]` to what the pretrained weights require, refusing a conflicting value
    the caller passed (the spelling follows torchvision's helper of the same purpose)."""
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got "
                             f"{kwargs[param]} instead.")
    else:
        kwargs[param] = new_value


def _load_weights(model, weights, progress):
    """Download (once) and load `weights` into `model`, verifying the file's SHA-256 prefix."""
    model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
