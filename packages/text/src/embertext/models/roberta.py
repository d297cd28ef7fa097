"""RoBERTa (Liu et al. 2019): BERT's encoder with positions counted from padding_idx + 1 (pads
keep position padding_idx), and its own heads, named as in transformers."""
import ember
from ember import nn
from ember.nn import functional as F

from .bert import BertEmbeddings, BertModel, BertPreTrainedModel, masked_lm_loss
from .configuration import RobertaConfig
from .modeling_utils import MaskedLMOutput, SequenceClassifierOutput, TokenClassifierOutput, \
    classification_loss

__all__ = ["RobertaModel", "RobertaForMaskedLM", "RobertaForSequenceClassification",
           "RobertaForTokenClassification"]


class RobertaEmbeddings(BertEmbeddings):
    def __init__(self, config):
        super().__init__(config)
        self.padding_idx = config.pad_token_id
        self.position_embeddings = nn.Embedding(config.max_position_embeddings,
                                                config.hidden_size, padding_idx=self.padding_idx)

    def default_position_ids(self, input_ids, length, device):
        if input_ids is None:  # from inputs_embeds: no way to tell the pads
            return ember.arange(self.padding_idx + 1, self.padding_idx + 1 + length,
                                device=device)[None, :]
        keep = (input_ids != self.padding_idx).long()
        return ember.cumsum(keep, dim=1) * keep + self.padding_idx


class RobertaPreTrainedModel(BertPreTrainedModel):
    config_class = RobertaConfig
    base_model_prefix = "roberta"


class RobertaModel(RobertaPreTrainedModel, BertModel):
    embeddings_class = RobertaEmbeddings


class RobertaLMHead(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        self.bias = nn.Parameter(ember.zeros(config.vocab_size))

    def forward(self, hidden):
        return self.decoder(self.layer_norm(F.gelu(self.dense(hidden))))


class RobertaForMaskedLM(RobertaPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.roberta = RobertaModel(config, add_pooling_layer=False)
        self.lm_head = RobertaLMHead(config)
        self.post_init()

    def _tied_weights(self):
        tied = {"lm_head.decoder.bias": "lm_head.bias"}
        if self.config.tie_word_embeddings:
            tied["lm_head.decoder.weight"] = "roberta.embeddings.word_embeddings.weight"
        return tied

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None,
                position_ids=None, inputs_embeds=None, labels=None, output_hidden_states=None,
                output_attentions=None):
        out = self.roberta(input_ids, attention_mask, token_type_ids, position_ids,
                           inputs_embeds, output_hidden_states, output_attentions)
        logits = self.lm_head(out.last_hidden_state)
        return MaskedLMOutput(masked_lm_loss(logits, labels), logits, out.hidden_states,
                              out.attentions)


class RobertaClassificationHead(nn.Module):
    """dense + tanh on the <s> token, then the output projection."""

    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        dropout = config.classifier_dropout
        self.dropout = nn.Dropout(config.hidden_dropout_prob if dropout is None else dropout)
        self.out_proj = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, hidden):
        x = ember.tanh(self.dense(self.dropout(hidden[:, 0])))
        return self.out_proj(self.dropout(x))


class RobertaForSequenceClassification(RobertaPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.roberta = RobertaModel(config, add_pooling_layer=False)
        self.classifier = RobertaClassificationHead(config)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None,
                position_ids=None, inputs_embeds=None, labels=None, output_hidden_states=None,
                output_attentions=None):
        out = self.roberta(input_ids, attention_mask, token_type_ids, position_ids,
                           inputs_embeds, output_hidden_states, output_attentions)
        logits = self.classifier(out.last_hidden_state)
        loss = None if labels is None else classification_loss(
            logits, labels, self.num_labels, self.config.problem_type)
        return SequenceClassifierOutput(loss, logits, out.hidden_states, out.attentions)


class RobertaForTokenClassification(RobertaPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.roberta = RobertaModel(config, add_pooling_layer=False)
        dropout = config.classifier_dropout
        self.dropout = nn.Dropout(config.hidden_dropout_prob if dropout is None else dropout)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None,
                position_ids=None, inputs_embeds=None, labels=None, output_hidden_states=None,
                output_attentions=None):
        out = self.roberta(input_ids, attention_mask, token_type_ids, position_ids,
                           inputs_embeds, output_hidden_states, output_attentions)
        logits = self.classifier(self.dropout(out.last_hidden_state))
        return TokenClassifierOutput(masked_lm_loss(logits, labels), logits, out.hidden_states,
                                     out.attentions)
