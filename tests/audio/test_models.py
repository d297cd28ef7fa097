"""emberaudio.models: torchaudio's structure (keys, parameter counts from first principles),
shapes, lengths and masking, weight-norm checkpoints."""
import numpy as np
import pytest

import ember
from emberaudio.models import (M5, ConvTasNet, conv_tasnet_base, wav2vec2_base, wav2vec2_model)

TINY = dict(extractor_mode="group_norm", extractor_conv_layer_config=[(8, 10, 5), (8, 3, 2)],
            extractor_conv_bias=False, encoder_embed_dim=16, encoder_projection_dropout=0.0,
            encoder_pos_conv_kernel=4, encoder_pos_conv_groups=2, encoder_num_layers=2,
            encoder_num_heads=2, encoder_attention_dropout=0.0, encoder_ff_interm_features=32,
            encoder_ff_interm_dropout=0.0, encoder_dropout=0.0, encoder_layer_norm_first=False,
            encoder_layer_drop=0.0, aux_num_out=5)


def _count(model):
    return sum(p.numel() for p in model.parameters())


def _wav2vec2_params(cfg):
    """Parameter count of torchaudio's wav2vec2_model(**cfg), from its layer shapes."""
    shapes, bias = cfg["extractor_conv_layer_config"], cfg["extractor_conv_bias"]
    n, c_in = 0, 1
    for i, (c, k, _) in enumerate(shapes):
        n += c * c_in * k + (c if bias else 0)
        if cfg["extractor_mode"] == "layer_norm" or i == 0:
            n += 2 * c  # GroupNorm or LayerNorm affine
        c_in = c
    d, ff, k, g = (cfg["encoder_embed_dim"], cfg["encoder_ff_interm_features"],
                   cfg["encoder_pos_conv_kernel"], cfg["encoder_pos_conv_groups"])
    n += 2 * c_in + c_in * d + d                     # feature_projection
    n += d * (d // g) * k + k + d                    # pos_conv: weight_v, weight_g, bias
    n += 2 * d                                       # transformer.layer_norm
    n += cfg["encoder_num_layers"] * (4 * (d * d + d) + 4 * d + 2 * d * ff + ff + d)
    if cfg["aux_num_out"] is not None:
        n += d * cfg["aux_num_out"] + cfg["aux_num_out"]
    return n


@pytest.mark.parametrize("mode,bias,first", [("group_norm", False, False),
                                             ("layer_norm", True, True)])
def test_wav2vec2_parameter_count_formula(mode, bias, first):
    cfg = dict(TINY, extractor_mode=mode, extractor_conv_bias=bias, encoder_layer_norm_first=first)
    assert _count(wav2vec2_model(**cfg)) == _wav2vec2_params(cfg)


def test_wav2vec2_base_parameter_count():
    # torchaudio's wav2vec2_base has 94,370,944 parameters (HF adds a 768-d masked_spec_embed);
    # the 29-label CTC head adds 768 * 29 + 29.
    model = wav2vec2_base(aux_num_out=29)
    assert _count(model) == 94_370_944 + 22_301
    assert len(model.encoder.transformer.layers) == 12


def test_wav2vec2_large_parameter_counts_from_formula():
    base = dict(TINY, extractor_conv_layer_config=[(512, 10, 5)] + [(512, 3, 2)] * 4
                + [(512, 2, 2)] * 2, encoder_embed_dim=1024, encoder_pos_conv_kernel=128,
                encoder_pos_conv_groups=16, encoder_num_layers=24,
                encoder_ff_interm_features=4096, aux_num_out=None)
    # The formula matches the built base model above; large is too slow to build in a test.
    assert _wav2vec2_params(base) == 315_427_968
    lv60k = dict(base, extractor_mode="layer_norm", extractor_conv_bias=True)
    assert _wav2vec2_params(lv60k) == 315_427_968 + 6 * 2 * 512 + 7 * 512


def test_wav2vec2_state_dict_keys_tiny():
    keys = list(wav2vec2_model(**TINY).state_dict())
    layer = [f"encoder.transformer.layers.{{i}}.{k}" for k in (
        "attention.k_proj.weight", "attention.k_proj.bias", "attention.v_proj.weight",
        "attention.v_proj.bias", "attention.q_proj.weight", "attention.q_proj.bias",
        "attention.out_proj.weight", "attention.out_proj.bias", "layer_norm.weight",
        "layer_norm.bias", "feed_forward.intermediate_dense.weight",
        "feed_forward.intermediate_dense.bias", "feed_forward.output_dense.weight",
        "feed_forward.output_dense.bias", "final_layer_norm.weight", "final_layer_norm.bias")]
    expected = [
        "feature_extractor.conv_layers.0.layer_norm.weight",
        "feature_extractor.conv_layers.0.layer_norm.bias",
        "feature_extractor.conv_layers.0.conv.weight",
        "feature_extractor.conv_layers.1.conv.weight",
        "encoder.feature_projection.layer_norm.weight",
        "encoder.feature_projection.layer_norm.bias",
        "encoder.feature_projection.projection.weight",
        "encoder.feature_projection.projection.bias",
        "encoder.transformer.pos_conv_embed.conv.bias",
        "encoder.transformer.pos_conv_embed.conv.weight_g",
        "encoder.transformer.pos_conv_embed.conv.weight_v",
        "encoder.transformer.layer_norm.weight", "encoder.transformer.layer_norm.bias",
        *[k.format(i=i) for i in range(2) for k in layer],
        "aux.weight", "aux.bias"]
    assert keys == expected


def test_wav2vec2_forward_shapes_and_lengths():
    ember.manual_seed(0)
    model = wav2vec2_model(**TINY).eval()
    emissions, lengths = model(ember.randn(2, 400), ember.tensor([400, 20]))
    # frames: (400 - 10) // 5 + 1 = 79, then (79 - 3) // 2 + 1 = 39; 20 samples give 3 → 1.
    assert tuple(emissions.shape) == (2, 39, 5)
    assert lengths.tolist() == [39, 1]
    assert model(ember.randn(1, 400))[1] is None
    _, short = model(ember.randn(1, 400), ember.tensor([5]))
    assert short.tolist() == [0]  # shorter than the first kernel: no frame, not negative
    features, _ = model.extract_features(ember.randn(2, 400), num_layers=1)
    assert len(features) == 1 and tuple(features[0].shape) == (2, 39, 16)
    with pytest.raises(ValueError, match="2-D"):
        model(ember.randn(400))
    with pytest.raises(ValueError, match="num_layers"):
        model.extract_features(ember.randn(1, 400), num_layers=3)


def test_wav2vec2_padding_does_not_change_valid_frames():
    # Layer-norm mode normalises per frame, so a padded sample must give the same valid frames.
    ember.manual_seed(0)
    cfg = dict(TINY, extractor_mode="layer_norm", encoder_layer_norm_first=True)
    model = wav2vec2_model(**cfg).eval()
    short = ember.randn(1, 200)
    alone, n = model(short)
    padded = ember.cat([short, ember.zeros(1, 200)], 1)
    batch = ember.cat([padded, ember.randn(1, 400)], 0)
    together, lengths = model(batch, ember.tensor([200, 400]))
    valid = lengths[0].item()
    assert valid == alone.shape[1]
    np.testing.assert_allclose(together[0, :valid].detach().numpy(),
                               alone[0].detach().numpy(), atol=1e-4)


def test_wav2vec2_weight_norm_and_parametrization_keys():
    ember.manual_seed(0)
    model = wav2vec2_model(**TINY)
    conv = model.encoder.transformer.pos_conv_embed.conv
    g, v = conv.weight_g.detach().numpy().copy(), conv.weight_v.detach().numpy().copy()
    assert g.shape == (1, 1, 4)
    expected = g * v / np.sqrt((v * v).sum(axis=(0, 1), keepdims=True))
    np.testing.assert_allclose(conv.weight.detach().numpy(), expected, rtol=1e-6)
    # torch.nn.utils.parametrizations.weight_norm names them original0 (g) and original1 (v).
    state = model.state_dict()
    prefix = "encoder.transformer.pos_conv_embed.conv."
    renamed = {k.replace("conv.weight_g", "conv.parametrizations.weight.original0")
                .replace("conv.weight_v", "conv.parametrizations.weight.original1"):
               v * 2 if k.startswith(prefix + "weight_") else v for k, v in state.items()}
    other = wav2vec2_model(**TINY)
    other.load_state_dict(renamed, strict=True)
    np.testing.assert_allclose(other.encoder.transformer.pos_conv_embed.conv.weight_v.detach().numpy(),
                               2 * v)


def test_wav2vec2_backward_reaches_every_parameter():
    model = wav2vec2_model(**TINY)
    emissions, _ = model(ember.randn(2, 200))
    emissions.log_softmax(-1).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_conv_tasnet_structure_and_shapes():
    model = conv_tasnet_base()
    # encoder/decoder 2 * 512 * 16; 23 blocks with and 1 without the residual conv;
    # mask generator's input norm/conv and output PReLU/conv.
    block = 128 * 512 + 512 + 1 + 1024 + 512 * 3 + 512 + 1 + 1024 + 2 * (512 * 128 + 128)
    last = block - (512 * 128 + 128)
    assert _count(model) == 2 * 512 * 16 + 23 * block + last + 1024 + (512 * 128 + 128) + 1 \
        + (128 * 1024 + 1024) == 4_984_881
    keys = model.state_dict()
    assert "mask_generator.conv_layers.0.conv_layers.3.weight" in keys
    assert "mask_generator.conv_layers.23.res_out.weight" not in keys
    assert {"encoder.weight", "decoder.weight", "mask_generator.output_conv.weight"} <= set(keys)
    assert model.mask_generator.receptive_field == 3 + 2 * (2 ** 8 - 1) * 3 - 2


@pytest.mark.parametrize("frames", [64, 67, 101])
def test_conv_tasnet_output_length_matches_input(frames):
    ember.manual_seed(0)
    model = ConvTasNet(num_sources=3, enc_kernel_size=8, enc_num_feats=16, msk_num_feats=8,
                       msk_num_hidden_feats=16, msk_num_layers=2, msk_num_stacks=1)
    out = model(ember.randn(2, 1, frames))
    assert tuple(out.shape) == (2, 3, frames)
    out.sum().backward()
    assert model.encoder.weight.grad is not None
    with pytest.raises(ValueError, match="ConvTasNet"):
        model(ember.randn(2, frames))


def test_m5_shapes_and_keys():
    model = M5(n_input=1, n_output=35)
    out = model(ember.randn(2, 1, 8000))
    assert tuple(out.shape) == (2, 1, 35)
    np.testing.assert_allclose(out.exp().sum(-1).detach().numpy(), 1.0, rtol=1e-5)
    keys = set(model.state_dict())
    assert {"conv1.weight", "bn1.running_mean", "bn4.num_batches_tracked", "fc1.weight"} <= keys
    assert tuple(model.conv1.weight.shape) == (32, 1, 80) and model.conv1.stride == (16,)
    assert _count(model) == 26_915  # the tutorial's "Number of parameters: 26915"
