"""emberaudio.pipelines: bundles load checkpoints through ember.hub (served from 127.0.0.1 or
the offline cache, never the internet); greedy CTC decoding."""
import dataclasses
import io

import numpy as np
import pytest
from local_http_server import serve

import ember
from emberaudio.models import wav2vec2_model
from emberaudio.pipelines import (WAV2VEC2_ASR_BASE_960H, WAV2VEC2_ASR_LARGE_960H,
                                  WAV2VEC2_ASR_LARGE_LV60K_960H, WAV2VEC2_BASE,
                                  GreedyCTCDecoder, Wav2Vec2ASRBundle, Wav2Vec2Bundle)

TINY = dict(extractor_mode="group_norm", extractor_conv_layer_config=[(8, 10, 5), (8, 3, 2)],
            extractor_conv_bias=False, encoder_embed_dim=16, encoder_projection_dropout=0.1,
            encoder_pos_conv_kernel=4, encoder_pos_conv_groups=2, encoder_num_layers=2,
            encoder_num_heads=2, encoder_attention_dropout=0.1, encoder_ff_interm_features=32,
            encoder_ff_interm_dropout=0.1, encoder_dropout=0.1, encoder_layer_norm_first=False,
            encoder_layer_drop=0.1, aux_num_out=29)


def _fairseq_checkpoint(model, weight_norm_keys="weight_g"):
    """`model`'s state dict as torchaudio publishes it: a 32-row CTC head (fairseq's specials at
    rows 1-3), pos_conv weight norm as weight_g/weight_v or as parametrizations."""
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    for key in ("aux.weight", "aux.bias"):
        mat = state[key]
        specials = ember.full((3, *mat.shape[1:]), 99.0)
        state[key] = ember.cat([mat[:1], specials, mat[1:]], 0)
    if weight_norm_keys == "parametrizations":
        state = {k.replace("conv.weight_g", "conv.parametrizations.weight.original0")
                  .replace("conv.weight_v", "conv.parametrizations.weight.original1"): v
                 for k, v in state.items()}
    buf = io.BytesIO()
    ember.save(state, buf)
    return buf.getvalue()


@pytest.mark.parametrize("form", ["weight_g", "parametrizations"])
def test_asr_bundle_downloads_and_loads_strictly(tmp_path, form):
    ember.manual_seed(0)
    reference = wav2vec2_model(**TINY).eval()
    with serve() as server:
        server.files["/models/tiny_asr.pth"] = _fairseq_checkpoint(reference, form)
        bundle = Wav2Vec2ASRBundle(server.url("/models/tiny_asr.pth"), TINY)
        model = bundle.get_model(dl_kwargs={"model_dir": str(tmp_path), "progress": False})
        assert server.requests == ["/models/tiny_asr.pth"]
        bundle.get_model(dl_kwargs={"model_dir": str(tmp_path)})  # from the cache
        assert len(server.requests) == 1
    assert not model.training
    for key, value in reference.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key].numpy(), value.numpy(), key)
    waveform = ember.randn(1, 400)
    with ember.no_grad():
        np.testing.assert_allclose(model(waveform)[0].numpy(), reference(waveform)[0].numpy(),
                                   rtol=1e-5, atol=1e-6)


def test_published_bundle_reads_the_offline_cache(tmp_path, monkeypatch):
    # The real bundle's URL and file name, a tiny architecture, and no network at all.
    bundle = dataclasses.replace(WAV2VEC2_ASR_BASE_960H, _params=TINY)
    assert bundle.url == ("https://download.pytorch.org/torchaudio/models/"
                          "wav2vec2_fairseq_base_ls960_asr_ls960.pth")
    (tmp_path / "wav2vec2_fairseq_base_ls960_asr_ls960.pth").write_bytes(
        _fairseq_checkpoint(wav2vec2_model(**TINY)))
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    model = bundle.get_model(dl_kwargs={"model_dir": str(tmp_path)})
    assert model.aux.out_features == 29
    assert model.aux.weight.abs().max().item() < 99  # the fairseq special rows are gone
    with pytest.raises(RuntimeError, match="offline"):
        WAV2VEC2_ASR_LARGE_960H.get_model(dl_kwargs={"model_dir": str(tmp_path / "empty")})


def test_lv60k_bundle_normalizes_the_waveform(tmp_path):
    cfg = dict(TINY, extractor_mode="layer_norm", extractor_conv_bias=True,
               encoder_layer_norm_first=True)
    bundle = dataclasses.replace(WAV2VEC2_ASR_LARGE_LV60K_960H, _params=cfg)
    path = tmp_path / "wav2vec2_fairseq_large_lv60k_asr_ls960.pth"
    path.write_bytes(_fairseq_checkpoint(wav2vec2_model(**cfg)))
    model = bundle.get_model(dl_kwargs={"model_dir": str(tmp_path)})
    x = ember.randn(1, 400)
    with ember.no_grad():
        # Scale and offset of the input no longer matter.
        np.testing.assert_allclose(model(x)[0].numpy(), model(3 * x + 1)[0].numpy(), atol=1e-4)
        assert len(model.extract_features(x)[0]) == 2


def test_bundle_metadata():
    labels = WAV2VEC2_ASR_BASE_960H.get_labels()
    assert len(labels) == 29 and labels[:3] == ("-", "|", "E") and labels[-1] == "Z"
    assert WAV2VEC2_ASR_BASE_960H.get_labels(blank="<b>")[0] == "<b>"
    assert WAV2VEC2_ASR_BASE_960H.sample_rate == 16000
    assert isinstance(WAV2VEC2_BASE, Wav2Vec2Bundle)
    assert not isinstance(WAV2VEC2_BASE, Wav2Vec2ASRBundle)
    assert WAV2VEC2_BASE._params["aux_num_out"] is None
    assert WAV2VEC2_ASR_LARGE_960H._params["encoder_num_layers"] == 24
    assert WAV2VEC2_ASR_LARGE_LV60K_960H._params["extractor_mode"] == "layer_norm"


def _one_hot(indices, n=5):
    return ember.eye(n)[ember.tensor(indices)]


def test_greedy_ctc_decoder():
    decoder = GreedyCTCDecoder(("-", "|", "A", "B", "C"))
    # Repeats merge, blanks go, and a blank between repeats keeps both.
    assert decoder(_one_hot([0, 2, 2, 0, 2, 1, 3, 3, 4, 0])) == "AA|BC"
    assert decoder(_one_hot([0, 0, 0])) == ""
    batch = ember.stack([_one_hot([2, 3]), _one_hot([4, 4])])
    assert decoder(batch) == ["AB", "C"]
    assert GreedyCTCDecoder(("A", "B", "-"), blank=2)(_one_hot([0, 2, 0, 1], n=3)) == "AAB"
    with pytest.raises(ValueError, match="GreedyCTCDecoder"):
        decoder(ember.zeros(5))
