"""`Tokenizer.pad`: pad already-encoded inputs (e.g. in a DataLoader's collate_fn)."""
from .batch_encoding import BatchEncoding, to_tensors

__all__ = ["pad_encoded"]

# The value each known key is padded with ("input_ids" takes the tokenizer's pad id).
_PAD_VALUES = {"attention_mask": 0, "token_type_ids": 0, "special_tokens_mask": 1}


def _rows(value):
    return value.tolist() if hasattr(value, "tolist") else value


def pad_encoded(tokenizer, encoded_inputs, padding, max_length, pad_to_multiple_of,
                padding_side, return_attention_mask, return_tensors):
    if isinstance(encoded_inputs, (list, tuple)):  # a list of per-example dicts
        if not encoded_inputs:
            raise ValueError("tokenizer.pad: received an empty list")
        encoded_inputs = {k: [_rows(e[k]) for e in encoded_inputs] for k in encoded_inputs[0]}
    data = {k: _rows(v) for k, v in encoded_inputs.items()}
    if "input_ids" not in data:
        raise ValueError(f"tokenizer.pad: the inputs need an 'input_ids' key, got {list(data)}")
    single = bool(data["input_ids"]) and not isinstance(data["input_ids"][0], (list, tuple))
    if single:
        data = {k: [v] for k, v in data.items()}
    padding = {True: "longest", False: None, "do_not_pad": None}.get(padding, padding)
    if padding not in (None, "longest", "max_length"):
        raise ValueError(f"tokenizer.pad: padding must be True, False, 'longest' or "
                         f"'max_length', got {padding!r}")
    if padding == "max_length" and max_length is None:
        raise ValueError("tokenizer.pad: padding='max_length' needs max_length")
    if padding and tokenizer.pad_token_id is None:
        raise ValueError("tokenizer.pad: the tokenizer has no padding token; set one, e.g. "
                         "tokenizer.pad_token = tokenizer.eos_token")
    lengths = [len(r) for r in data["input_ids"]]
    want_mask = return_attention_mask if return_attention_mask is not None \
        else "attention_mask" in tokenizer.model_input_names
    if want_mask and "attention_mask" not in data:
        data["attention_mask"] = [[1] * n for n in lengths]
    target = max(lengths, default=0) if padding == "longest" else max_length
    if padding and pad_to_multiple_of and target % pad_to_multiple_of:
        target += pad_to_multiple_of - target % pad_to_multiple_of
    left = (padding_side or tokenizer.padding_side) == "left"
    values = {**_PAD_VALUES, "input_ids": tokenizer.pad_token_id}
    out = {}
    for key, rows in data.items():
        if not padding or key not in values:
            out[key] = rows
            continue
        fill = values[key]
        out[key] = [[fill] * (target - len(r)) + list(r) if left else
                    list(r) + [fill] * (target - len(r)) for r in rows]
    if single and return_tensors is None:
        out = {k: v[0] for k, v in out.items()}
    return BatchEncoding(to_tensors(out, return_tensors))
