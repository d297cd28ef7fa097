"""Pretrained transformer models in the Hugging Face layout, and small classifiers."""
from .bert import (BertForMaskedLM, BertForSequenceClassification, BertForTokenClassification,
                   BertModel)
from .classifiers import LSTMClassifier, TransformerClassifier
from .configuration import (BertConfig, DistilBertConfig, GPT2Config, PretrainedConfig,
                            RobertaConfig)
from .distilbert import (DistilBertForMaskedLM, DistilBertForSequenceClassification,
                         DistilBertForTokenClassification, DistilBertModel)
from .gpt2 import GPT2LMHeadModel, GPT2Model
from .modeling_utils import ModelOutput, PreTrainedModel
from .roberta import (RobertaForMaskedLM, RobertaForSequenceClassification,
                      RobertaForTokenClassification, RobertaModel)

__all__ = ["BertConfig", "BertForMaskedLM", "BertForSequenceClassification",
           "BertForTokenClassification", "BertModel", "DistilBertConfig",
           "DistilBertForMaskedLM", "DistilBertForSequenceClassification",
           "DistilBertForTokenClassification", "DistilBertModel", "GPT2Config",
           "GPT2LMHeadModel", "GPT2Model", "LSTMClassifier", "ModelOutput", "PreTrainedModel",
           "PretrainedConfig", "RobertaConfig", "RobertaForMaskedLM",
           "RobertaForSequenceClassification", "RobertaForTokenClassification", "RobertaModel",
           "TransformerClassifier"]
