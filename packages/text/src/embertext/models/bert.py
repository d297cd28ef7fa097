"""BERT (Devlin et al. 2019) with transformers' module names, so its checkpoints load unchanged.

RoBERTa (roberta.py) reuses the encoder, changing only the embeddings and the heads.
"""
import ember
from ember import nn
from ember.nn import functional as F

from .configuration import BertConfig
from .modeling_utils import (BaseModelOutput, MaskedLMOutput, PreTrainedModel,
                             SequenceClassifierOutput, TokenClassifierOutput, activation, attend,
                             classification_loss, merge_heads, padding_bias, split_heads)

__all__ = ["BertModel", "BertForMaskedLM", "BertForSequenceClassification",
           "BertForTokenClassification", "BertPreTrainedModel"]


class BertEmbeddings(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size,
                                            padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings,
                                                config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def default_position_ids(self, input_ids, length, device):
        return ember.arange(length, device=device)[None, :]

    def forward(self, input_ids=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None):
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)
        n, length = inputs_embeds.shape[:2]
        if position_ids is None:
            position_ids = self.default_position_ids(input_ids, length, inputs_embeds.device)
        if token_type_ids is None:
            token_type_ids = ember.zeros((n, length), dtype=ember.int64,
                                         device=inputs_embeds.device)
        x = (inputs_embeds + self.token_type_embeddings(token_type_ids)
             + self.position_embeddings(position_ids))
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        if config.hidden_size % config.num_attention_heads:
            raise ValueError(f"hidden_size {config.hidden_size} is not a multiple of "
                             f"num_attention_heads {config.num_attention_heads}")
        self.num_attention_heads = config.num_attention_heads
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def forward(self, hidden, bias):
        h = self.num_attention_heads
        q, k, v = (split_heads(m(hidden), h) for m in (self.query, self.key, self.value))
        context, weights = attend(q, k, v, bias, self.dropout)
        return merge_heads(context), weights


class BertSelfOutput(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden, residual):
        return self.LayerNorm(self.dropout(self.dense(hidden)) + residual)


class BertAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertSelfOutput(config)

    def forward(self, hidden, bias):
        context, weights = self.self(hidden, bias)
        return self.output(context, hidden), weights


class BertIntermediate(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = activation(config.hidden_act)

    def forward(self, hidden):
        return self.intermediate_act_fn(self.dense(hidden))


class BertOutput(BertSelfOutput):
    def __init__(self, config):
        super().__init__(config)
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)


class BertLayer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config)

    def forward(self, hidden, bias):
        attended, weights = self.attention(hidden, bias)
        return self.output(self.intermediate(attended), attended), weights


class BertEncoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(config) for _ in range(config.num_hidden_layers)])

    def forward(self, hidden, bias, output_hidden_states=False, output_attentions=False):
        states, attentions = [hidden], []
        for layer in self.layer:
            hidden, weights = layer(hidden, bias)
            states.append(hidden)
            attentions.append(weights)
        return BaseModelOutput(last_hidden_state=hidden,
                               hidden_states=tuple(states) if output_hidden_states else None,
                               attentions=tuple(attentions) if output_attentions else None)


class BertPooler(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = nn.Tanh()

    def forward(self, hidden):
        return self.activation(self.dense(hidden[:, 0]))


class BertPreTrainedModel(PreTrainedModel):
    config_class = BertConfig
    base_model_prefix = "bert"
    _keys_to_ignore_on_load_missing = [r"(^|\.)pooler\."]
    # checkpoints of heads without a pooler may still carry one (bert-base-uncased does)
    _keys_to_ignore_on_load_unexpected = (PreTrainedModel._keys_to_ignore_on_load_unexpected
                                          + [r"(^|\.)pooler\."])


class BertModel(BertPreTrainedModel):
    """Token embeddings -> encoder -> (optionally) the pooled [CLS] vector."""
    embeddings_class = BertEmbeddings

    def __init__(self, config, add_pooling_layer=True):
        super().__init__(config)
        self.embeddings = self.embeddings_class(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None
        self.post_init()

    def get_input_embeddings(self):
        return self.embeddings.word_embeddings

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None,
                position_ids=None, inputs_embeds=None, output_hidden_states=None,
                output_attentions=None):
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError(f"{type(self).__name__}: give exactly one of input_ids and "
                             "inputs_embeds")
        hidden = self.embeddings(input_ids, token_type_ids, position_ids, inputs_embeds)
        out = self.encoder(hidden, padding_bias(attention_mask, hidden.dtype),
                           _flag(output_hidden_states, self.config.output_hidden_states),
                           _flag(output_attentions, self.config.output_attentions))
        if self.pooler is not None:
            out.pooler_output = self.pooler(out.last_hidden_state)
        return out


def _flag(given, default):
    return default if given is None else given


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.transform_act_fn = activation(config.hidden_act)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, hidden):
        return self.LayerNorm(self.transform_act_fn(self.dense(hidden)))


class BertLMPredictionHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.transform = BertPredictionHeadTransform(config)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        self.bias = nn.Parameter(ember.zeros(config.vocab_size))

    def forward(self, hidden):
        return self.decoder(self.transform(hidden))


class BertOnlyMLMHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.predictions = BertLMPredictionHead(config)

    def forward(self, hidden):
        return self.predictions(hidden)


def masked_lm_loss(logits, labels):
    """Cross-entropy over the positions whose label is not -100."""
    if labels is None:
        return None
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                           ignore_index=-100)


class BertForMaskedLM(BertPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(config)
        self.post_init()

    def _tied_weights(self):
        tied = {"cls.predictions.decoder.bias": "cls.predictions.bias"}
        if self.config.tie_word_embeddings:
            tied["cls.predictions.decoder.weight"] = "bert.embeddings.word_embeddings.weight"
        return tied

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None,
                position_ids=None, inputs_embeds=None, labels=None, output_hidden_states=None,
                output_attentions=None):
        out = self.bert(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                        output_hidden_states, output_attentions)
        logits = self.cls(out.last_hidden_state)
        return MaskedLMOutput(masked_lm_loss(logits, labels), logits, out.hidden_states,
                              out.attentions)


class BertForSequenceClassification(BertPreTrainedModel):
    """A linear layer on the pooled [CLS] vector."""

    def __init__(self, config):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config)
        dropout = config.classifier_dropout
        self.dropout = nn.Dropout(config.hidden_dropout_prob if dropout is None else dropout)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None,
                position_ids=None, inputs_embeds=None, labels=None, output_hidden_states=None,
                output_attentions=None):
        out = self.bert(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                        output_hidden_states, output_attentions)
        logits = self.classifier(self.dropout(out.pooler_output))
        loss = None if labels is None else classification_loss(
            logits, labels, self.num_labels, self.config.problem_type)
        return SequenceClassifierOutput(loss, logits, out.hidden_states, out.attentions)


class BertForTokenClassification(BertPreTrainedModel):
    """A linear layer on every token's hidden state (NER-style tagging)."""

    def __init__(self, config):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config, add_pooling_layer=False)
        dropout = config.classifier_dropout
        self.dropout = nn.Dropout(config.hidden_dropout_prob if dropout is None else dropout)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None,
                position_ids=None, inputs_embeds=None, labels=None, output_hidden_states=None,
                output_attentions=None):
        out = self.bert(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                        output_hidden_states, output_attentions)
        logits = self.classifier(self.dropout(out.last_hidden_state))
        return TokenClassifierOutput(masked_lm_loss(logits, labels), logits, out.hidden_states,
                                     out.attentions)
