"""DistilBERT (Sanh et al. 2019): a 6-layer BERT without token types or pooler, with
transformers' module names (q_lin, sa_layer_norm, ffn.lin1, ...)."""
import numpy as np

import ember
from ember import nn

from .bert import masked_lm_loss
from .configuration import DistilBertConfig
from .modeling_utils import (BaseModelOutput, MaskedLMOutput, PreTrainedModel,
                             SequenceClassifierOutput, TokenClassifierOutput, activation, attend,
                             classification_loss, merge_heads, padding_bias, split_heads)

__all__ = ["DistilBertModel", "DistilBertForMaskedLM", "DistilBertForSequenceClassification",
           "DistilBertForTokenClassification"]


def _sinusoidal(n_pos, dim):
    """The fixed sin/cos position table of `sinusoidal_pos_embds=True`."""
    pos = np.arange(n_pos)[:, None] / np.power(10000, 2 * (np.arange(dim) // 2) / dim)
    table = np.zeros((n_pos, dim), dtype=np.float32)
    table[:, 0::2] = np.sin(pos[:, 0::2])
    table[:, 1::2] = np.cos(pos[:, 1::2])
    return table


class Embeddings(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.dim,
                                            padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.dim)
        self.LayerNorm = nn.LayerNorm(config.dim, eps=1e-12)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, input_ids=None, inputs_embeds=None):
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)
        positions = ember.arange(inputs_embeds.shape[1], device=inputs_embeds.device)[None, :]
        return self.dropout(self.LayerNorm(inputs_embeds + self.position_embeddings(positions)))


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        if config.dim % config.n_heads:
            raise ValueError(f"dim {config.dim} is not a multiple of n_heads {config.n_heads}")
        self.n_heads = config.n_heads
        self.q_lin = nn.Linear(config.dim, config.dim)
        self.k_lin = nn.Linear(config.dim, config.dim)
        self.v_lin = nn.Linear(config.dim, config.dim)
        self.out_lin = nn.Linear(config.dim, config.dim)
        self.dropout = nn.Dropout(config.attention_dropout)

    def forward(self, x, bias):
        q, k, v = (split_heads(m(x), self.n_heads) for m in (self.q_lin, self.k_lin, self.v_lin))
        context, weights = attend(q, k, v, bias, self.dropout)
        return self.out_lin(merge_heads(context)), weights


class FFN(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.lin1 = nn.Linear(config.dim, config.hidden_dim)
        self.lin2 = nn.Linear(config.hidden_dim, config.dim)
        self.activation = activation(config.activation)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.lin2(self.activation(self.lin1(x))))


class TransformerBlock(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attention = MultiHeadSelfAttention(config)
        self.sa_layer_norm = nn.LayerNorm(config.dim, eps=1e-12)
        self.ffn = FFN(config)
        self.output_layer_norm = nn.LayerNorm(config.dim, eps=1e-12)

    def forward(self, x, bias):
        attended, weights = self.attention(x, bias)
        attended = self.sa_layer_norm(attended + x)
        return self.output_layer_norm(self.ffn(attended) + attended), weights


class Transformer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.layer = nn.ModuleList([TransformerBlock(config) for _ in range(config.n_layers)])


class DistilBertPreTrainedModel(PreTrainedModel):
    config_class = DistilBertConfig
    base_model_prefix = "distilbert"

    def post_init(self):
        super().post_init()
        if self.config.sinusoidal_pos_embds:
            for module in self.modules():
                if isinstance(module, Embeddings):
                    with ember.no_grad():
                        module.position_embeddings.weight.copy_(ember.tensor(_sinusoidal(
                            self.config.max_position_embeddings, self.config.dim)))
                    module.position_embeddings.weight.requires_grad_(False)


class DistilBertModel(DistilBertPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.embeddings = Embeddings(config)
        self.transformer = Transformer(config)
        self.post_init()

    def get_input_embeddings(self):
        return self.embeddings.word_embeddings

    def forward(self, input_ids=None, attention_mask=None, inputs_embeds=None,
                output_hidden_states=None, output_attentions=None):
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("DistilBertModel: give exactly one of input_ids and inputs_embeds")
        hidden = self.embeddings(input_ids, inputs_embeds)
        bias = padding_bias(attention_mask, hidden.dtype)
        states, attentions = [hidden], []
        for layer in self.transformer.layer:
            hidden, weights = layer(hidden, bias)
            states.append(hidden)
            attentions.append(weights)
        want_states = self.config.output_hidden_states if output_hidden_states is None \
            else output_hidden_states
        want_attn = self.config.output_attentions if output_attentions is None \
            else output_attentions
        return BaseModelOutput(last_hidden_state=hidden,
                               hidden_states=tuple(states) if want_states else None,
                               attentions=tuple(attentions) if want_attn else None)


class DistilBertForMaskedLM(DistilBertPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.distilbert = DistilBertModel(config)
        self.activation = activation(config.activation)
        self.vocab_transform = nn.Linear(config.dim, config.dim)
        self.vocab_layer_norm = nn.LayerNorm(config.dim, eps=1e-12)
        self.vocab_projector = nn.Linear(config.dim, config.vocab_size)
        self.post_init()

    def _tied_weights(self):
        if not self.config.tie_word_embeddings:
            return {}
        return {"vocab_projector.weight": "distilbert.embeddings.word_embeddings.weight"}

    def forward(self, input_ids=None, attention_mask=None, inputs_embeds=None, labels=None,
                output_hidden_states=None, output_attentions=None):
        out = self.distilbert(input_ids, attention_mask, inputs_embeds, output_hidden_states,
                              output_attentions)
        x = self.vocab_layer_norm(self.activation(self.vocab_transform(out.last_hidden_state)))
        logits = self.vocab_projector(x)
        return MaskedLMOutput(masked_lm_loss(logits, labels), logits, out.hidden_states,
                              out.attentions)


class DistilBertForSequenceClassification(DistilBertPreTrainedModel):
    """pre_classifier + ReLU on the first token, then the classifier."""

    def __init__(self, config):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.distilbert = DistilBertModel(config)
        self.pre_classifier = nn.Linear(config.dim, config.dim)
        self.classifier = nn.Linear(config.dim, config.num_labels)
        self.dropout = nn.Dropout(config.seq_classif_dropout)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, inputs_embeds=None, labels=None,
                output_hidden_states=None, output_attentions=None):
        out = self.distilbert(input_ids, attention_mask, inputs_embeds, output_hidden_states,
                              output_attentions)
        pooled = ember.relu(self.pre_classifier(out.last_hidden_state[:, 0]))
        logits = self.classifier(self.dropout(pooled))
        loss = None if labels is None else classification_loss(
            logits, labels, self.num_labels, self.config.problem_type)
        return SequenceClassifierOutput(loss, logits, out.hidden_states, out.attentions)


class DistilBertForTokenClassification(DistilBertPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.distilbert = DistilBertModel(config)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.dim, config.num_labels)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, inputs_embeds=None, labels=None,
                output_hidden_states=None, output_attentions=None):
        out = self.distilbert(input_ids, attention_mask, inputs_embeds, output_hidden_states,
                              output_attentions)
        logits = self.classifier(self.dropout(out.last_hidden_state))
        return TokenClassifierOutput(masked_lm_loss(logits, labels), logits, out.hidden_states,
                                     out.attentions)
