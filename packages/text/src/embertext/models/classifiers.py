"""Small text classifiers trained from scratch: a Transformer encoder and an LSTM over token
ids, each pooling the non-padding positions into one vector for a linear classifier."""
import math

import ember
from ember import nn
from ember.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

__all__ = ["TransformerClassifier", "LSTMClassifier"]


def _keep_mask(input_ids, attention_mask, padding_idx):
    if attention_mask is not None:
        return attention_mask != 0
    if padding_idx is None:
        return ember.ones(input_ids.shape, dtype=ember.bool, device=input_ids.device)
    return input_ids != padding_idx


def _masked_mean(x, keep):
    """Mean of x (N, L, E) over the positions where keep (N, L) is True."""
    weights = keep.to(x.dtype)[..., None]
    return (x * weights).sum(1) / weights.sum(1).clamp(min=1.0)


class TransformerClassifier(nn.Module):
    """Token + learned position embeddings -> TransformerEncoder -> masked mean -> Linear.

    forward(input_ids (N, L), attention_mask=None) -> logits (N, num_classes); without a mask
    the positions holding `padding_idx` are left out."""

    def __init__(self, vocab_size, num_classes, d_model=64, nhead=4, num_layers=2,
                 dim_feedforward=128, dropout=0.1, max_len=512, padding_idx=0):
        super().__init__()
        self.padding_idx = padding_idx
        self.max_len = max_len
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=padding_idx)
        self.position = nn.Embedding(max_len, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(d_model, num_classes)
        self.scale = math.sqrt(d_model)

    def forward(self, input_ids, attention_mask=None):
        length = input_ids.shape[1]
        if length > self.max_len:
            raise ValueError(f"TransformerClassifier: sequence length {length} exceeds max_len "
                             f"{self.max_len}")
        keep = _keep_mask(input_ids, attention_mask, self.padding_idx)
        positions = ember.arange(length, device=input_ids.device)[None, :]
        x = self.embedding(input_ids) * self.scale + self.position(positions)
        x = self.encoder(self.dropout(x), src_key_padding_mask=~keep)
        return self.classifier(self.dropout(_masked_mean(self.norm(x), keep)))


class LSTMClassifier(nn.Module):
    """Embedding -> (bi)LSTM over the packed sequences -> masked mean of the outputs -> Linear.

    Packing keeps the padding out of the recurrence (the backward direction would otherwise start
    from the pads). Padding is expected at the end of each row."""

    def __init__(self, vocab_size, num_classes, embed_dim=64, hidden_size=64, num_layers=1,
                 bidirectional=True, dropout=0.0, padding_idx=0):
        super().__init__()
        self.padding_idx = padding_idx
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers, batch_first=True,
                            bidirectional=bidirectional,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

    def forward(self, input_ids, attention_mask=None):
        keep = _keep_mask(input_ids, attention_mask, self.padding_idx)
        lengths = keep.long().sum(1).clamp(min=1).tolist()
        packed = pack_padded_sequence(self.dropout(self.embedding(input_ids)), lengths,
                                      batch_first=True, enforce_sorted=False)
        out, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True,
                                     total_length=input_ids.shape[1])
        return self.classifier(self.dropout(_masked_mean(out, keep)))
