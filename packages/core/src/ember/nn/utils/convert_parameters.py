"""Flatten parameters into one vector and back (e.g. for second-order or evolutionary methods)."""
from ..._tensor import Tensor


def _check_same_device(param, device):
    if device is not None and param.device != device:
        raise TypeError("Found two parameters on different devices, this is currently not "
                        "supported.")
    return param.device


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    from ... import cat
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    device = None
    vec = []
    for p in parameters:
        device = _check_same_device(p, device)
        vec.append(p.reshape(-1))
    return cat(vec)


def vector_to_parameters(vec, parameters):
    """Set each parameter's data to its slice of the 1-D `vec` (views, like `param.data =`)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected ember.Tensor, but got: {type(vec).__name__}")
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    device = None
    pointer = 0
    for p in parameters:
        device = _check_same_device(p, device)
        n = p.numel()
        if pointer + n > vec.numel():
            raise RuntimeError(f"vector_to_parameters: vec has {vec.numel()} elements, fewer "
                               "than the parameters need")
        p._data = vec._data.reshape(-1)[pointer:pointer + n].reshape(p._data.shape)
        pointer += n
