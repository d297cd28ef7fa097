"""Model configurations read from and written to a Hugging Face `config.json`.

Field names and defaults are those of `transformers`, so a published `config.json` describes the
same model here; fields a class does not know are kept (and written back) unchanged.
"""
import copy
import json
import os

from .._hub import cached_file

__all__ = ["PretrainedConfig", "BertConfig", "DistilBertConfig", "RobertaConfig", "GPT2Config",
           "CONFIG_NAME"]

CONFIG_NAME = "config.json"

# Fields every model type has (transformers' PretrainedConfig), with its defaults.
_COMMON = dict(architectures=None, pad_token_id=None, bos_token_id=None, eos_token_id=None,
               tie_word_embeddings=True, output_hidden_states=False, output_attentions=False,
               problem_type=None)


class PretrainedConfig:
    model_type = ""
    defaults = {}
    # transformers' `attribute_map`: generic names (hidden_size) for model-specific ones (n_embd)
    attribute_map = {}

    def __init__(self, **kwargs):
        id2label = kwargs.pop("id2label", None)
        num_labels = kwargs.pop("num_labels", None)
        kwargs.pop("label2id", None)  # derived from id2label
        kwargs.pop("model_type", None)
        for name, value in {**_COMMON, **self.defaults}.items():
            setattr(self, name, copy.deepcopy(kwargs.pop(name, value)))
        for name, value in kwargs.items():
            setattr(self, self.attribute_map.get(name, name), value)
        if id2label is None:
            id2label = {i: f"LABEL_{i}" for i in range(2 if num_labels is None else num_labels)}
        self.id2label = {int(k): v for k, v in id2label.items()}  # JSON keys are strings

    def __getattr__(self, name):  # only called when normal lookup fails
        mapped = type(self).attribute_map.get(name)
        if mapped is None:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
        return getattr(self, mapped)

    @property
    def num_labels(self):
        return len(self.id2label)

    @property
    def label2id(self):
        return {v: k for k, v in self.id2label.items()}

    def to_dict(self):
        out = {k: copy.deepcopy(v) for k, v in vars(self).items() if k != "id2label"}
        out["id2label"] = {str(k): v for k, v in self.id2label.items()}
        out["label2id"] = self.label2id
        out["model_type"] = self.model_type
        return dict(sorted(out.items()))

    @classmethod
    def from_dict(cls, data, **overrides):
        return cls(**{**data, **overrides})

    @classmethod
    def from_json_file(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls.from_dict(json.load(f))

    @classmethod
    def from_pretrained(cls, path_or_repo_id, revision="main", **overrides):
        with open(cached_file(path_or_repo_id, CONFIG_NAME, revision), encoding="utf-8") as f:
            data = json.load(f)
        kind = data.get("model_type")
        if cls.model_type and kind and kind != cls.model_type:
            raise ValueError(f"{path_or_repo_id} holds a {kind!r} model's config, not a "
                             f"{cls.model_type!r} one ({cls.__name__})")
        return cls.from_dict(data, **overrides)

    def save_pretrained(self, directory):
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, CONFIG_NAME), "w", encoding="utf-8") as f:
            json.dump(self.to_dict(), f, indent=2)
            f.write("\n")

    def __eq__(self, other):
        return type(self) is type(other) and self.to_dict() == other.to_dict()

    def __repr__(self):
        return f"{type(self).__name__} {json.dumps(self.to_dict(), indent=2)}"


class BertConfig(PretrainedConfig):
    model_type = "bert"
    defaults = dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12,
                    num_attention_heads=12, intermediate_size=3072, hidden_act="gelu",
                    hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
                    max_position_embeddings=512, type_vocab_size=2, initializer_range=0.02,
                    layer_norm_eps=1e-12, pad_token_id=0, classifier_dropout=None)


class RobertaConfig(BertConfig):
    model_type = "roberta"
    defaults = dict(BertConfig.defaults, pad_token_id=1, bos_token_id=0, eos_token_id=2)


class DistilBertConfig(PretrainedConfig):
    model_type = "distilbert"
    defaults = dict(vocab_size=30522, max_position_embeddings=512, sinusoidal_pos_embds=False,
                    n_layers=6, n_heads=12, dim=768, hidden_dim=3072, dropout=0.1,
                    attention_dropout=0.1, activation="gelu", initializer_range=0.02,
                    qa_dropout=0.1, seq_classif_dropout=0.2, pad_token_id=0)
    attribute_map = {"hidden_size": "dim", "num_attention_heads": "n_heads",
                     "num_hidden_layers": "n_layers"}


class GPT2Config(PretrainedConfig):
    model_type = "gpt2"
    defaults = dict(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12,
                    n_inner=None, activation_function="gelu_new", resid_pdrop=0.1,
                    embd_pdrop=0.1, attn_pdrop=0.1, layer_norm_epsilon=1e-5,
                    initializer_range=0.02, scale_attn_weights=True, use_cache=True,
                    bos_token_id=50256, eos_token_id=50256,
                    scale_attn_by_inverse_layer_idx=False, reorder_and_upcast_attn=False)
    attribute_map = {"hidden_size": "n_embd", "max_position_embeddings": "n_positions",
                     "num_attention_heads": "n_head", "num_hidden_layers": "n_layer"}
