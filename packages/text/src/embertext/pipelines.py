"""Ready-made inference on text: sentence embeddings, classification, mask filling and generation.

Each pipeline pairs a model with its tokenizer; `from_pretrained(dir_or_repo)` builds both from a
Hugging Face style directory (the model class is chosen from config.json's `model_type`).
"""
import inspect
import json

import ember
from ember.nn import functional as F

from . import models
from ._hub import cached_file
from .collate import pad_batch
from .tokenizers import Tokenizer

__all__ = ["Pipeline", "SentenceEmbedding", "TextClassification", "FillMask", "TextGeneration"]

_CONFIGS = {"bert": models.BertConfig, "roberta": models.RobertaConfig,
            "distilbert": models.DistilBertConfig, "gpt2": models.GPT2Config}


def _batches(items, size):
    for i in range(0, len(items), size):
        yield items[i:i + size]


class Pipeline:
    task = None  # the key of `_MODELS` whose classes this pipeline loads

    def __init__(self, model, tokenizer, max_length=None):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_length = max_length
        self._accepts = set(inspect.signature(model.forward).parameters)

    @classmethod
    def from_pretrained(cls, path_or_repo_id, revision="main", **kwargs):
        with open(cached_file(path_or_repo_id, "config.json", revision), encoding="utf-8") as f:
            model_type = json.load(f).get("model_type")
        choices = _MODELS[cls.task]
        if model_type not in choices:
            raise ValueError(f"{cls.__name__}: no {cls.task} model for model_type "
                             f"{model_type!r}; supported: {sorted(choices)}")
        model = choices[model_type].from_pretrained(path_or_repo_id, revision=revision)
        return cls(model, Tokenizer.from_pretrained(path_or_repo_id, revision=revision),
                   **kwargs)

    def _encode(self, texts):
        """Tokenized model inputs (padded batch, as ember tensors) the model's forward takes."""
        enc = self.tokenizer(list(texts), padding=True, truncation=True,
                             max_length=self.max_length, return_tensors="ember")
        return {k: v for k, v in enc.items() if k in self._accepts}


class SentenceEmbedding(Pipeline):
    """One vector per text: the mean of the token states under the attention mask, L2-normalised
    (`normalize=True`), as sentence-transformers computes it."""
    task = "base"

    def __init__(self, model, tokenizer, normalize=True, batch_size=32, max_length=None):
        super().__init__(model, tokenizer, max_length)
        self.normalize, self.batch_size = normalize, batch_size

    def __call__(self, texts):
        single = isinstance(texts, str)
        texts = [texts] if single else list(texts)
        parts = []
        with ember.no_grad():
            for batch in _batches(texts, self.batch_size):
                inputs = self._encode(batch)
                hidden = self.model(**inputs).last_hidden_state
                weights = inputs["attention_mask"].to(hidden.dtype)[..., None]
                pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
                parts.append(F.normalize(pooled, p=2, dim=1) if self.normalize else pooled)
        out = ember.cat(parts, dim=0)
        return out[0] if single else out

    encode = __call__


class TextClassification(Pipeline):
    """[{"label", "score"}] per text (the `top_k` best labels; softmax scores, or sigmoid for a
    multi-label or single-output model)."""
    task = "sequence-classification"

    def __call__(self, texts, top_k=1):
        single = isinstance(texts, str)
        texts = [texts] if single else list(texts)
        with ember.no_grad():
            logits = self.model(**self._encode(texts)).logits.float()
        config = self.model.config
        sigmoid = config.problem_type == "multi_label_classification" or logits.shape[-1] == 1
        scores = ember.sigmoid(logits) if sigmoid else F.softmax(logits, -1)
        results = []
        for row in scores.tolist():
            ranked = sorted(range(len(row)), key=lambda i: -row[i])[:top_k]
            results.append([{"label": config.id2label[i], "score": row[i]} for i in ranked])
        if top_k == 1:
            results = [r[0] for r in results]
        return results


class FillMask(Pipeline):
    """The `top_k` fillings of the mask token: [{"score", "token", "token_str", "sequence"}]
    (one such list per mask when the text holds several)."""
    task = "fill-mask"

    def __call__(self, text, top_k=5):
        mask_id = self.tokenizer.mask_token_id
        if mask_id is None:
            raise ValueError("FillMask: the tokenizer has no mask token")
        inputs = self._encode([text])
        ids = inputs["input_ids"][0]
        where = [i for i, t in enumerate(ids.tolist()) if t == mask_id]
        if not where:
            raise ValueError(f"FillMask: no {self.tokenizer.mask_token} in {text!r}")
        with ember.no_grad():
            probs = F.softmax(self.model(**inputs).logits[0].float(), -1)
        results = []
        for position in where:
            top = ember.topk(probs[position], top_k)
            options = []
            for score, token in zip(top.values.tolist(), top.indices.tolist()):
                filled = ids.tolist()
                filled[position] = token
                options.append({"score": score, "token": token,
                                "token_str": self.tokenizer.decode([token]).strip(),
                                "sequence": self.tokenizer.decode(filled,
                                                                  skip_special_tokens=True)})
            results.append(options)
        return results[0] if len(results) == 1 else results


class TextGeneration(Pipeline):
    """[{"generated_text": prompt + continuation}] per prompt; keyword arguments go to
    `model.generate` (max_new_tokens, do_sample, temperature, top_k, top_p, ...).

    Prompts are run `batch_size` at a time, left-padded (a causal model continues from the last
    position) with the pad token, or with the eos token when there is none (GPT-2), as
    transformers does; the attention mask keeps the pads out."""
    task = "text-generation"

    def __init__(self, model, tokenizer, batch_size=8, max_length=None):
        super().__init__(model, tokenizer, max_length)
        self.batch_size = batch_size

    def __call__(self, prompts, return_full_text=True, **generate_kwargs):
        single = isinstance(prompts, str)
        prompts = [prompts] if single else list(prompts)
        pad = self.tokenizer.pad_token_id
        pad = self.tokenizer.eos_token_id if pad is None else pad
        if pad is None and len(prompts) > 1 and self.batch_size > 1:
            raise ValueError("TextGeneration: batching prompts needs a pad or eos token; "
                             "set tokenizer.pad_token or pass batch_size=1")
        generate_kwargs.setdefault("pad_token_id", pad)
        results = []
        for batch in _batches(prompts, self.batch_size):
            encoded = self.tokenizer(batch)["input_ids"]
            ids, _, mask = pad_batch(encoded, padding_value=0 if pad is None else pad,
                                     padding_side="left")
            out = self.model.generate(ids, attention_mask=mask, **generate_kwargs).tolist()
            for prompt, row in zip(batch, out):
                new = self.tokenizer.decode(row[ids.shape[1]:], skip_special_tokens=True)
                results.append([{"generated_text": prompt + new if return_full_text else new}])
        return results[0] if single else results


_MODELS = {
    "base": {"bert": models.BertModel, "roberta": models.RobertaModel,
             "distilbert": models.DistilBertModel, "gpt2": models.GPT2Model},
    "sequence-classification": {"bert": models.BertForSequenceClassification,
                                "roberta": models.RobertaForSequenceClassification,
                                "distilbert": models.DistilBertForSequenceClassification},
    "fill-mask": {"bert": models.BertForMaskedLM, "roberta": models.RobertaForMaskedLM,
                  "distilbert": models.DistilBertForMaskedLM},
    "text-generation": {"gpt2": models.GPT2LMHeadModel},
}
