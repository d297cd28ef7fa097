"""The base of the pretrained models: `from_pretrained` / `save_pretrained` in the Hugging Face
layout, output objects, and the small pieces (activations, attention masks) the models share.

Checkpoints load unchanged: keys are matched with or without the base-model prefix (`bert.`,
`transformer.`...), tied weights (an LM head sharing the word embeddings) may be absent from the
file, and old names (`LayerNorm.gamma`) are renamed as `transformers` does.
"""
import dataclasses
import json
import math
import os
import re
import warnings

import numpy as np

import ember
from ember import nn
from ember.nn import functional as F

from .._hub import cached_file

__all__ = ["PreTrainedModel", "ModelOutput", "BaseModelOutput", "MaskedLMOutput",
           "SequenceClassifierOutput", "TokenClassifierOutput", "CausalLMOutput",
           "Conv1D", "SAFE_WEIGHTS_NAME", "WEIGHTS_NAME"]

SAFE_WEIGHTS_NAME = "model.safetensors"
SAFE_INDEX_NAME = "model.safetensors.index.json"
WEIGHTS_NAME = "pytorch_model.bin"
WEIGHTS_INDEX_NAME = "pytorch_model.bin.index.json"


# ------------------------------------------------------------------------------ outputs
class ModelOutput:
    """A dataclass read by attribute, by name (`out["logits"]`) or by position over the fields
    that are set (`out[0]`), like transformers' ModelOutput."""

    def keys(self):
        return [f.name for f in dataclasses.fields(self) if getattr(self, f.name) is not None]

    def to_tuple(self):
        return tuple(getattr(self, k) for k in self.keys())

    def __getitem__(self, key):
        if isinstance(key, str):
            if key not in self.keys():
                raise KeyError(key)
            return getattr(self, key)
        return self.to_tuple()[key]

    def __contains__(self, key):
        return key in self.keys()

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())


@dataclasses.dataclass
class BaseModelOutput(ModelOutput):
    last_hidden_state: object = None
    pooler_output: object = None
    past_key_values: object = None
    hidden_states: object = None
    attentions: object = None


@dataclasses.dataclass
class MaskedLMOutput(ModelOutput):
    loss: object = None
    logits: object = None
    hidden_states: object = None
    attentions: object = None


@dataclasses.dataclass
class SequenceClassifierOutput(MaskedLMOutput):
    pass


@dataclasses.dataclass
class TokenClassifierOutput(MaskedLMOutput):
    pass


@dataclasses.dataclass
class CausalLMOutput(ModelOutput):
    loss: object = None
    logits: object = None
    past_key_values: object = None
    hidden_states: object = None
    attentions: object = None


# ------------------------------------------------------------------------------ shared pieces
def activation(name):
    """transformers' ACT2FN for the names its BERT/GPT-2 configs use."""
    table = {"gelu": F.gelu, "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
             "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
             "gelu_fast": lambda x: F.gelu(x, approximate="tanh"), "relu": F.relu,
             "silu": F.silu, "swish": F.silu, "tanh": ember.tanh}
    if name not in table:
        raise ValueError(f"activation function {name!r} is not supported; choose one of "
                         f"{sorted(table)}")
    return table[name]


def additive_mask(keep, dtype):
    """A bool mask (True = attend) as the additive bias transformers uses: 0 or dtype's min
    (finite, so a fully masked row gives uniform weights instead of NaN)."""
    low = float(np.finfo(dtype.np).min)
    return ember.where(keep, ember.zeros((), dtype=dtype, device=keep.device),
                       ember.full((), low, dtype=dtype, device=keep.device))


def padding_bias(attention_mask, dtype):
    """(N, S) 0/1 attention mask -> (N, 1, 1, S) additive bias, or None."""
    if attention_mask is None:
        return None
    return additive_mask(attention_mask[:, None, None, :] != 0, dtype)


def split_heads(x, heads):
    n, length, width = x.shape
    return x.reshape(n, length, heads, width // heads).transpose(1, 2)


def merge_heads(x):
    n, heads, length, d = x.shape
    return x.transpose(1, 2).reshape(n, length, heads * d)


def attend(q, k, v, bias, dropout, scale=None):
    """softmax(q k^T * scale + bias) v over (N, heads, L, d) tensors; returns (context, weights)."""
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = (q @ k.transpose(-1, -2)) * scale
    if bias is not None:
        scores = scores + bias
    weights = F.softmax(scores, -1)
    return dropout(weights) @ v, weights


def classification_loss(logits, labels, num_labels, problem_type=None):
    """transformers' sequence-classification loss: MSE for one label (regression), BCE for
    multi-label, else cross-entropy."""
    if problem_type == "regression" or (problem_type is None and num_labels == 1):
        return F.mse_loss(logits.squeeze(-1), labels.to(logits.dtype))
    if problem_type == "multi_label_classification":
        return F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
    return F.cross_entropy(logits.reshape(-1, num_labels), labels.reshape(-1))


# ------------------------------------------------------------------------------ loading
_LEGACY_NAMES = [(re.compile(r"LayerNorm\.gamma$"), "LayerNorm.weight"),
                 (re.compile(r"LayerNorm\.beta$"), "LayerNorm.bias")]


def _read_weights(path_or_repo_id, revision):
    """The checkpoint's state dict: safetensors preferred, then pytorch_model.bin, either one
    file or shards listed by an index."""
    from ember import safetensors

    def read(name):
        if name.endswith(".safetensors"):
            return safetensors.load_file(cached_file(path_or_repo_id, name, revision))
        return ember.load(cached_file(path_or_repo_id, name, revision), map_location="cpu",
                          weights_only=True)

    for single, index in ((SAFE_WEIGHTS_NAME, SAFE_INDEX_NAME), (WEIGHTS_NAME, WEIGHTS_INDEX_NAME)):
        if cached_file(path_or_repo_id, single, revision, required=False):
            return read(single)
        index_path = cached_file(path_or_repo_id, index, revision, required=False)
        if index_path:
            with open(index_path, encoding="utf-8") as f:
                shards = sorted(set(json.load(f)["weight_map"].values()))
            state = {}
            for shard in shards:
                state.update(read(shard))
            return state
    raise OSError(f"{path_or_repo_id} has no {SAFE_WEIGHTS_NAME} or {WEIGHTS_NAME} (nor a "
                  "sharded index of either)")


class PreTrainedModel(nn.Module):
    config_class = None
    base_model_prefix = ""
    # Checkpoint keys that are no error when the model has no such parameter (regexes).
    _keys_to_ignore_on_load_unexpected = [r"(^|\.)position_ids$", r"(^|\.)token_type_ids$"]
    # Base-model parameters a checkpoint may lack (newly initialised with a warning, as
    # transformers does: e.g. BERT's pooler, absent from masked-LM checkpoints).
    _keys_to_ignore_on_load_missing = []

    def __init__(self, config):
        super().__init__()
        self.config = config

    # -- weights ---------------------------------------------------------------------------
    def _tied_weights(self):
        """{target key: source key} of parameters that are the same tensor (saved once)."""
        return {}

    def _get_parameter(self, key):
        module_path, _, name = key.rpartition(".")
        return getattr(self.get_submodule(module_path) if module_path else self, name)

    def tie_weights(self):
        for target, source in self._tied_weights().items():
            module_path, _, name = target.rpartition(".")
            setattr(self.get_submodule(module_path), name, self._get_parameter(source))

    def _init_weights(self, module):
        std = self.config.initializer_range
        if isinstance(module, (nn.Linear, Conv1D)):
            nn.init.normal_(module.weight, 0.0, std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, 0.0, std)
            if module.padding_idx is not None:
                with ember.no_grad():
                    module.weight[module.padding_idx] = 0.0
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)

    def post_init(self):
        """transformers' initialisation (normal(0, initializer_range)), then the ties."""
        self.apply(self._init_weights)
        self.tie_weights()

    def get_input_embeddings(self):
        base = getattr(self, self.base_model_prefix, self)
        return base.get_input_embeddings()

    # -- from_pretrained -------------------------------------------------------------------
    def _adapt_keys(self, state):
        """Rename checkpoint keys to this model's; returns (state, keys outside the base model).

        A head model (BertForMaskedLM) reads a base-model checkpoint by adding the prefix; a
        base model (BertModel) reads a head checkpoint by dropping it (the head keys are left
        over, as transformers leaves them)."""
        for pattern, new in _LEGACY_NAMES:
            state = {pattern.sub(new, k): v for k, v in state.items()}
        prefix = self.base_model_prefix + "."
        has_base = self.base_model_prefix in self._modules
        ckpt_has_prefix = any(k.startswith(prefix) for k in state)
        own = set(self.state_dict())
        if has_base and not ckpt_has_prefix:
            state = {prefix + k if prefix + k in own else k: v for k, v in state.items()}
        elif not has_base and ckpt_has_prefix:
            state = {k[len(prefix):] if k.startswith(prefix) else "\0" + k: v
                     for k, v in state.items()}  # "\0": marks the head keys until reported
        outside = {k for k in state if k.startswith("\0")
                   or (has_base and not k.startswith(prefix))}
        return state, outside

    def load_pretrained_state(self, state, strict=True):
        """Load a checkpoint's state dict; returns {"missing_keys", "unexpected_keys"}.

        strict: base-model parameters the checkpoint lacks, and base-model keys this model does
        not know, are errors. A head the checkpoint lacks is newly initialised and a head this
        model lacks is skipped, each with a warning, as transformers does."""
        state, outside = self._adapt_keys(dict(state))
        own = set(self.state_dict())
        tied = self._tied_weights()
        ignore = [re.compile(p) for p in self._keys_to_ignore_on_load_unexpected]
        missing = sorted(k for k in own - set(state) if k not in tied)
        unexpected = sorted(k.lstrip("\0") for k in set(state) - own
                            if not any(p.search(k) for p in ignore))
        has_base = self.base_model_prefix in self._modules
        prefix = self.base_model_prefix + "."
        allowed = [re.compile(p) for p in self._keys_to_ignore_on_load_missing]
        base_missing = [k for k in missing if (not has_base or k.startswith(prefix))
                        and not any(p.search(k) for p in allowed)]
        base_unexpected = [k for k in unexpected
                           if k not in outside and "\0" + k not in outside]
        if strict and (base_missing or base_unexpected):
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}: "
                               f"missing keys {base_missing}, unexpected keys "
                               f"{base_unexpected}")
        self.load_state_dict({k: v for k, v in state.items() if k in own}, strict=False)
        if missing:
            warnings.warn(f"Some weights of {type(self).__name__} were not in the checkpoint "
                          f"and are newly initialized: {missing}", stacklevel=3)
        if unexpected:
            warnings.warn(f"Some weights of the checkpoint were not used by "
                          f"{type(self).__name__}: {unexpected}", stacklevel=3)
        return {"missing_keys": missing, "unexpected_keys": unexpected}

    @classmethod
    def from_pretrained(cls, path_or_repo_id, revision="main", config=None, strict=True,
                        output_loading_info=False, **config_overrides):
        """A model from a directory or a Hub repository id holding config.json and
        model.safetensors (preferred) or pytorch_model.bin; in eval mode."""
        if config is None:
            config = cls.config_class.from_pretrained(path_or_repo_id, revision,
                                                      **config_overrides)
        model = cls(config)
        info = model.load_pretrained_state(_read_weights(path_or_repo_id, revision), strict)
        model.eval()
        return (model, info) if output_loading_info else model

    def save_pretrained(self, directory, safe_serialization=True):
        """Write config.json and model.safetensors (or pytorch_model.bin); tied copies are
        saved once, as transformers saves them."""
        os.makedirs(directory, exist_ok=True)
        self.config.architectures = [type(self).__name__]
        self.config.save_pretrained(directory)
        tied = self._tied_weights()
        state = {k: v.detach().contiguous() for k, v in self.state_dict().items()
                 if k not in tied}
        if safe_serialization:
            from ember import safetensors
            safetensors.save_file(state, os.path.join(directory, SAFE_WEIGHTS_NAME),
                                  metadata={"format": "pt"})
        else:
            ember.save(state, os.path.join(directory, WEIGHTS_NAME))


class Conv1D(nn.Module):
    """GPT-2's linear layer with the weight stored (in, out), as in the checkpoints."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(ember.empty(nx, nf))
        self.bias = nn.Parameter(ember.zeros(nf))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x):
        return x @ self.weight + self.bias

    def extra_repr(self):
        return f"nf={self.nf}, nx={self.weight.shape[0]}"

