"""`Optimizer`: parameter groups, per-parameter state, state_dict in PyTorch's layout, step hooks.

Subclasses update raw arrays in place (`p._data`, `p.grad._data`) with `xp` ufuncs and `out=`,
so a step records no graph and allocates little; each bumps the parameter's version counter as
PyTorch's in-place update does.
"""
import functools
import warnings
from collections import defaultdict
from itertools import chain

import numpy as np

from .. import _dtypes
from .._device import array_module_of, device_of, move_array
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ..autograd.graph import _RemovableHandle


class _RequiredParameter:
    """Marks a default (such as SGD's lr in old PyTorch) that each group must give."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_global_step_pre_hooks = []
_global_step_post_hooks = []


def register_optimizer_step_pre_hook(hook):
    """`hook(optimizer, args, kwargs)` before every optimizer's step; may return new args."""
    _global_step_pre_hooks.append(hook)
    return _RemovableHandle(_global_step_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """`hook(optimizer, args, kwargs)` after every optimizer's step."""
    _global_step_post_hooks.append(hook)
    return _RemovableHandle(_global_step_post_hooks, hook)


def _with_step_hooks(step):
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        self._opt_called = True  # read by lr schedulers to warn about a wrong call order
        pre = self._step_pre_hooks
        post = self._step_post_hooks
        if not (pre or post or _global_step_pre_hooks or _global_step_post_hooks):
            return step(self, *args, **kwargs)
        for hook in chain(_global_step_pre_hooks, pre):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{hook} must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {result}.")
                args, kwargs = result
        out = step(self, *args, **kwargs)
        for hook in chain(post, _global_step_post_hooks):
            hook(self, args, kwargs)
        return out
    wrapper._hooked = True
    return wrapper


def _typename(obj):
    return f"ember.{type(obj).__name__}" if isinstance(obj, Tensor) else type(obj).__name__


class Optimizer:
    """Base class: `Optimizer(params, defaults)` with params an iterable of tensors or of dicts
    (parameter groups that override entries of `defaults`)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_hooked", False):
            cls.step = _with_step_hooks(step)

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._step_pre_hooks = []
        self._step_post_hooks = []
        self._state_dict_pre_hooks = []
        self._state_dict_post_hooks = []
        self._load_state_dict_pre_hooks = []
        self._load_state_dict_post_hooks = []
        self._scratch_buffers = {}
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {_typename(params)}")
        self.state = defaultdict(dict)
        self.param_groups = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_step_pre_hooks", "_step_post_hooks", "_state_dict_pre_hooks",
                     "_state_dict_post_hooks", "_load_state_dict_pre_hooks",
                     "_load_state_dict_post_hooks"):
            self.__dict__.setdefault(name, [])
        self.__dict__.setdefault("_scratch_buffers", {})

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"

    # ----------------------------------------------------------------------------- groups
    def add_param_group(self, param_group):
        """Add a group of parameters (with its own options) to optimize from now on."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        tensors, names = [], []
        for p in params:
            if isinstance(p, tuple):  # named parameters: (name, tensor)
                names.append(p[0])
                p = p[1]
            tensors.append(p)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(p))
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if len({id(p) for p in tensors}) != len(tensors):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if any(id(p) in seen for p in tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Drop the gradients (`set_to_none=True`) or fill them with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g.requires_grad = False
                g._data.fill(0)
                g._vc[0] += 1

    def step(self, closure=None):
        raise NotImplementedError(f"{type(self).__name__}.step is not implemented")

    @staticmethod
    def _run_closure(closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ----------------------------------------------------------------------------- scratch
    def _scratch(self, like, slot):
        """A reusable uninitialised array shaped like `like`: the step's temporaries live here
        rather than being allocated per parameter per step. `slot` tells apart the temporaries
        one update needs at the same time."""
        key = (slot, like.dtype, device_of(like))
        buf = self._scratch_buffers.get(key)
        n = like.size
        if buf is None or buf.size < n:
            buf = array_module_of(like).empty(n, dtype=like.dtype)
            self._scratch_buffers[key] = buf
        return buf[:n].reshape(like.shape)

    def _scaled(self, arr, factor, slot):
        """`arr * factor` in scratch slot `slot`."""
        out = self._scratch(arr, slot)
        array_module_of(arr).multiply(arr, factor, out=out)
        return out

    def _effective_grad(self, param, grad, maximize, weight_decay):
        """The gradient an update uses, leaving `p.grad` untouched: negated when maximizing,
        plus `weight_decay * param` (L2 penalty). Lives in scratch slot 0."""
        if weight_decay == 0:
            if not maximize:
                return grad
            out = self._scratch(grad, 0)
            array_module_of(grad).negative(grad, out=out)
            return out
        out = self._scratch(grad, 0)
        xp = array_module_of(grad)
        xp.multiply(param, weight_decay, out=out)
        if maximize:
            xp.subtract(out, grad, out=out)
        else:
            out += grad
        return out

    # ----------------------------------------------------------------------------- hooks
    def register_step_pre_hook(self, hook):
        """`hook(optimizer, args, kwargs)` before `step`; returning `(args, kwargs)` replaces
        the step's arguments."""
        self._step_pre_hooks.append(hook)
        return _RemovableHandle(self._step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """`hook(optimizer, args, kwargs)` after `step`."""
        self._step_post_hooks.append(hook)
        return _RemovableHandle(self._step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return self._add_hook(self._state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return self._add_hook(self._state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return self._add_hook(self._load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return self._add_hook(self._load_state_dict_post_hooks, hook, prepend)

    @staticmethod
    def _add_hook(hooks, hook, prepend):
        hooks.insert(0, hook) if prepend else hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    # ----------------------------------------------------------------------------- state dict
    def state_dict(self):
        """`{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}`, with
        parameters numbered in group order, as PyTorch does. State tensors are shared, not
        copied."""
        for hook in self._state_dict_pre_hooks:
            hook(self)
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v
                 for k, v in self.state.items()}
        result = {"state": state, "param_groups": groups}
        for hook in self._state_dict_post_hooks:
            out = hook(self, result)
            if out is not None:
                result = out
        return result

    def load_state_dict(self, state_dict):
        """Restore groups and state saved by `state_dict` (ember's or PyTorch's, with tensors
        converted to ember tensors or NumPy arrays). State is copied onto each parameter's
        device and, for floating parameters, dtype; `step` keeps its own dtype."""
        import copy
        for hook in self._load_state_dict_pre_hooks:
            out = hook(self, state_dict)
            if out is not None:
                state_dict = out
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = {key: _cast(param, value, key) for key, value in v.items()}
            else:
                state[k] = v
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.__setstate__({"state": state, "param_groups": saved_groups})
        for hook in self._load_state_dict_post_hooks:
            hook(self)


def scalar_tensor(value=0.0):
    """PyTorch 2.x keeps `state['step']` (and NAdam's `mu_product`) as a 0-dim CPU tensor of
    the default scalar dtype, float32 unless the default dtype is float64."""
    dt = np.float64 if _dtypes.get_default_dtype() == _dtypes.float64 else np.float32
    return Tensor._make(np.asarray(value, dtype=dt))


def advance_step(state):
    """Add one to `state['step']` and return the new count as a Python float."""
    step = state["step"]
    if not isinstance(step, Tensor):  # state dicts from PyTorch < 1.12 kept a plain number
        step = state["step"] = scalar_tensor(step)
    step._data += 1
    return float(step._data)


def _cast(param, value, key=None):
    """A copy of a saved state value placed like `param` (tensors and arrays, recursively)."""
    if isinstance(value, np.ndarray) or (type(value).__module__.startswith("cupy")
                                         and hasattr(value, "shape")):
        value = Tensor._make(value)
    if isinstance(value, Tensor):
        arr = value._data
        if key == "step":  # the step count stays a CPU scalar of its own dtype
            arr = arr.get() if not isinstance(arr, np.ndarray) else arr
            return Tensor._make(arr.astype(arr.dtype, copy=True))
        arr = move_array(arr, device_of(param._data))
        if param._data.dtype.kind in "fc":
            arr = arr.astype(param._data.dtype, copy=True)
        else:
            arr = arr.copy()
        return Tensor._make(arr)
    if isinstance(value, dict):
        return {k: _cast(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(param, v) for v in value)
    return value


def check_nonnegative(**hyperparameters):
    """PyTorch's `Invalid ... value` ValueError for the first hyperparameter below 0, checked in
    the order given (PyTorch's order, which decides the message when several are invalid)."""
    for name, value in hyperparameters.items():
        if not 0.0 <= value:
            label = {"lr": "learning rate", "eps": "epsilon value"}.get(name, f"{name} value")
            raise ValueError(f"Invalid {label}: {value}")


def check_not_differentiable(optimizer, differentiable):
    """`differentiable=True` asks for autograd through the step, which raw-array updates
    cannot give; refuse it rather than silently detach."""
    if differentiable:
        raise RuntimeError(f"{optimizer}: differentiable=True is not supported (ember's steps "
                           "update raw arrays outside autograd)")
