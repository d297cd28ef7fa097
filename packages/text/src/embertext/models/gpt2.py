"""GPT-2 (Radford et al. 2019) with transformers' names (Conv1D weights stored (in, out)), a
causal mask, a key/value cache and `generate` (greedy or sampled)."""
import ember
from ember import nn
from ember.nn import functional as F

from .configuration import GPT2Config
from .modeling_utils import (BaseModelOutput, CausalLMOutput, Conv1D, PreTrainedModel,
                             activation, additive_mask, attend, merge_heads, split_heads)

__all__ = ["GPT2Model", "GPT2LMHeadModel"]


class GPT2Attention(nn.Module):
    def __init__(self, config, layer_idx):
        super().__init__()
        width = config.n_embd
        if width % config.n_head:
            raise ValueError(f"n_embd {width} is not a multiple of n_head {config.n_head}")
        self.n_head = config.n_head
        self.scale = (width // config.n_head) ** -0.5 if config.scale_attn_weights else 1.0
        if config.scale_attn_by_inverse_layer_idx:
            self.scale /= layer_idx + 1
        self.c_attn = Conv1D(3 * width, width)
        self.c_proj = Conv1D(width, width)
        self.attn_dropout = nn.Dropout(config.attn_pdrop)
        self.resid_dropout = nn.Dropout(config.resid_pdrop)

    def forward(self, x, bias, past=None):
        q, k, v = (split_heads(t, self.n_head) for t in self.c_attn(x).chunk(3, dim=-1))
        if past is not None:
            k = ember.cat([past[0], k], dim=-2)
            v = ember.cat([past[1], v], dim=-2)
        context, weights = attend(q, k, v, bias, self.attn_dropout, self.scale)
        return self.resid_dropout(self.c_proj(merge_heads(context))), (k, v), weights


class GPT2MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        inner = config.n_inner or 4 * config.n_embd
        self.c_fc = Conv1D(inner, config.n_embd)
        self.c_proj = Conv1D(config.n_embd, inner)
        self.act = activation(config.activation_function)
        self.dropout = nn.Dropout(config.resid_pdrop)

    def forward(self, x):
        return self.dropout(self.c_proj(self.act(self.c_fc(x))))


class GPT2Block(nn.Module):
    def __init__(self, config, layer_idx):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.attn = GPT2Attention(config, layer_idx)
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.mlp = GPT2MLP(config)

    def forward(self, x, bias, past=None):
        attended, present, weights = self.attn(self.ln_1(x), bias, past)
        x = x + attended
        return x + self.mlp(self.ln_2(x)), present, weights


class GPT2PreTrainedModel(PreTrainedModel):
    config_class = GPT2Config
    base_model_prefix = "transformer"
    # the original checkpoints carry the causal-mask buffers as `attn.bias` / `attn.masked_bias`
    _keys_to_ignore_on_load_unexpected = (PreTrainedModel._keys_to_ignore_on_load_unexpected
                                          + [r"\.attn\.(masked_)?bias$"])


def _causal_bias(attention_mask, length, past_length, dtype, device):
    """(N or 1, 1, L, past + L) additive bias: query i sees keys up to past + i, minus pads."""
    total = past_length + length
    rows = ember.arange(past_length, total, device=device)[:, None]
    keep = (ember.arange(total, device=device)[None, :] <= rows)[None, None]
    if attention_mask is not None:
        keep = keep & (attention_mask[:, None, None, :] != 0)
    return additive_mask(keep, dtype)


class GPT2Model(GPT2PreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.n_positions, config.n_embd)
        self.drop = nn.Dropout(config.embd_pdrop)
        self.h = nn.ModuleList([GPT2Block(config, i) for i in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.post_init()

    def get_input_embeddings(self):
        return self.wte

    def forward(self, input_ids=None, past_key_values=None, attention_mask=None,
                position_ids=None, inputs_embeds=None, use_cache=None,
                output_hidden_states=None, output_attentions=None):
        """`attention_mask` (N, past + L) covers the cached positions too; `past_key_values`
        is the tuple of per-layer (key, value) this returns when `use_cache`."""
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("GPT2Model: give exactly one of input_ids and inputs_embeds")
        if inputs_embeds is None:
            inputs_embeds = self.wte(input_ids)
        length = inputs_embeds.shape[1]
        past_length = 0 if past_key_values is None else past_key_values[0][0].shape[-2]
        if past_length + length > self.config.n_positions:
            raise ValueError(f"GPT2Model: {past_length + length} positions exceed n_positions "
                             f"{self.config.n_positions}")
        if position_ids is None:
            position_ids = ember.arange(past_length, past_length + length,
                                        device=inputs_embeds.device)[None, :]
        hidden = self.drop(inputs_embeds + self.wpe(position_ids))
        bias = _causal_bias(attention_mask, length, past_length, hidden.dtype, hidden.device)
        use_cache = self.config.use_cache if use_cache is None else use_cache
        want_states = self.config.output_hidden_states if output_hidden_states is None \
            else output_hidden_states
        want_attn = self.config.output_attentions if output_attentions is None \
            else output_attentions
        presents, states, attentions = [], [], []
        for i, block in enumerate(self.h):
            states.append(hidden)
            hidden, present, weights = block(
                hidden, bias, None if past_key_values is None else past_key_values[i])
            presents.append(present)
            attentions.append(weights)
        hidden = self.ln_f(hidden)
        states.append(hidden)
        return BaseModelOutput(last_hidden_state=hidden,
                               past_key_values=tuple(presents) if use_cache else None,
                               hidden_states=tuple(states) if want_states else None,
                               attentions=tuple(attentions) if want_attn else None)


def _filter_logits(logits, top_k, top_p):
    """Set to -inf the logits outside the top k and outside the smallest set of tokens whose
    probability reaches top_p (the most likely token always stays)."""
    low = float("-inf")
    if top_k is not None and top_k > 0:
        kth = ember.topk(logits, min(top_k, logits.shape[-1]), dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, low)
    if top_p is not None and top_p < 1.0:
        ordered, order = ember.sort(logits, dim=-1, descending=True)
        cumulative = ember.cumsum(F.softmax(ordered, -1), dim=-1)
        # drop a token when the ones before it already reach top_p
        drop_sorted = (cumulative - F.softmax(ordered, -1)) >= top_p
        drop = ember.zeros(logits.shape, dtype=ember.bool, device=logits.device)
        drop = drop.scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, low)
    return logits


class GPT2LMHeadModel(GPT2PreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.transformer = GPT2Model(config)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.post_init()

    def _tied_weights(self):
        return {"lm_head.weight": "transformer.wte.weight"} if self.config.tie_word_embeddings \
            else {}

    def forward(self, input_ids=None, past_key_values=None, attention_mask=None,
                position_ids=None, inputs_embeds=None, labels=None, use_cache=None,
                output_hidden_states=None, output_attentions=None):
        """`labels` are the input ids themselves (shifted here); -100 is ignored."""
        out = self.transformer(input_ids, past_key_values, attention_mask, position_ids,
                               inputs_embeds, use_cache, output_hidden_states, output_attentions)
        logits = self.lm_head(out.last_hidden_state)
        loss = None
        if labels is not None:
            shifted = logits[:, :-1]
            loss = F.cross_entropy(shifted.reshape(-1, shifted.shape[-1]),
                                   labels[:, 1:].reshape(-1), ignore_index=-100)
        return CausalLMOutput(loss, logits, out.past_key_values, out.hidden_states,
                              out.attentions)

    def generate(self, input_ids, max_new_tokens=20, do_sample=False, temperature=1.0,
                 top_k=None, top_p=None, eos_token_id=None, pad_token_id=None,
                 attention_mask=None, use_cache=True, generator=None):
        """Extend (N, L) `input_ids` by up to `max_new_tokens` tokens: the most likely one
        (greedy) or one sampled (temperature, top_k, top_p; ember's RNG or `generator`).
        A row that produced `eos_token_id` continues with `pad_token_id`; generation stops
        when every row has. Left padding is handled through `attention_mask`."""
        if do_sample and temperature <= 0:
            raise ValueError(f"generate: temperature must be positive, got {temperature}")
        eos = self.config.eos_token_id if eos_token_id is None else eos_token_id
        pad = pad_token_id if pad_token_id is not None else (
            self.config.pad_token_id if self.config.pad_token_id is not None else eos)
        ids = input_ids
        mask = ember.ones(ids.shape, dtype=ember.int64, device=ids.device) \
            if attention_mask is None else attention_mask.long()
        done = ember.zeros(ids.shape[0], dtype=ember.bool, device=ids.device)
        past = None
        with ember.no_grad():
            for _ in range(max_new_tokens):
                step = ids if past is None else ids[:, -1:]
                positions = (ember.cumsum(mask, dim=-1) - 1).clamp(min=0)[:, -step.shape[1]:]
                out = self(step, past_key_values=past, attention_mask=mask,
                           position_ids=positions, use_cache=use_cache)
                past = out.past_key_values if use_cache else None
                logits = out.logits[:, -1].float()
                if do_sample:
                    logits = _filter_logits(logits / temperature, top_k, top_p)
                    token = ember.multinomial(F.softmax(logits, -1), 1,
                                              generator=generator)[:, 0]
                else:
                    token = logits.argmax(-1)
                if eos is not None:
                    token = ember.where(done, ember.full_like(token, pad), token)
                    done = done | (token == eos)
                ids = ember.cat([ids, token[:, None]], dim=1)
                mask = ember.cat([mask, ember.ones_like(token)[:, None]], dim=1)
                if eos is not None and bool(done.all()):
                    break
        return ids
