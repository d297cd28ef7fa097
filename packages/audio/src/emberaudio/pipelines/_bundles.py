"""The published Wav2Vec2 checkpoints (torchaudio's URLs) and their architectures, as data."""
from ._wav2vec2 import Wav2Vec2ASRBundle, Wav2Vec2Bundle

__all__ = ["WAV2VEC2_ASR_BASE_100H", "WAV2VEC2_ASR_BASE_10M", "WAV2VEC2_ASR_BASE_960H",
           "WAV2VEC2_ASR_LARGE_100H", "WAV2VEC2_ASR_LARGE_10M", "WAV2VEC2_ASR_LARGE_960H",
           "WAV2VEC2_ASR_LARGE_LV60K_100H", "WAV2VEC2_ASR_LARGE_LV60K_10M",
           "WAV2VEC2_ASR_LARGE_LV60K_960H", "WAV2VEC2_BASE", "WAV2VEC2_LARGE",
           "WAV2VEC2_LARGE_LV60K"]


def _params(size, aux_num_out):
    """fairseq's hyper-parameters; dropouts only matter when fine-tuning further."""
    lv60k = size == "large_lv60k"
    return {
        "extractor_mode": "layer_norm" if lv60k else "group_norm",
        "extractor_conv_layer_config": [(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2,
        "extractor_conv_bias": lv60k,
        "encoder_embed_dim": 768 if size == "base" else 1024,
        "encoder_projection_dropout": 0.1,
        "encoder_pos_conv_kernel": 128,
        "encoder_pos_conv_groups": 16,
        "encoder_num_layers": 12 if size == "base" else 24,
        "encoder_num_heads": 12 if size == "base" else 16,
        "encoder_attention_dropout": 0.0 if lv60k else 0.1,
        "encoder_ff_interm_features": 3072 if size == "base" else 4096,
        "encoder_ff_interm_dropout": 0.1 if lv60k else 0.0,
        "encoder_dropout": 0.1 if size == "base" else 0.0,
        "encoder_layer_norm_first": lv60k,
        "encoder_layer_drop": 0.05 if size == "base" else 0.2 if size == "large" else 0.0,
        "aux_num_out": aux_num_out,
    }


def _pretrained(path, size):
    return Wav2Vec2Bundle(path, _params(size, None), _normalize_waveform=size == "large_lv60k")


def _asr(path, size):
    return Wav2Vec2ASRBundle(path, _params(size, 29), _normalize_waveform=size == "large_lv60k")


WAV2VEC2_BASE = _pretrained("wav2vec2_fairseq_base_ls960.pth", "base")
WAV2VEC2_ASR_BASE_10M = _asr("wav2vec2_fairseq_base_ls960_asr_ll10m.pth", "base")
WAV2VEC2_ASR_BASE_100H = _asr("wav2vec2_fairseq_base_ls960_asr_ls100.pth", "base")
WAV2VEC2_ASR_BASE_960H = _asr("wav2vec2_fairseq_base_ls960_asr_ls960.pth", "base")
WAV2VEC2_LARGE = _pretrained("wav2vec2_fairseq_large_ls960.pth", "large")
WAV2VEC2_ASR_LARGE_10M = _asr("wav2vec2_fairseq_large_ls960_asr_ll10m.pth", "large")
WAV2VEC2_ASR_LARGE_100H = _asr("wav2vec2_fairseq_large_ls960_asr_ls100.pth", "large")
WAV2VEC2_ASR_LARGE_960H = _asr("wav2vec2_fairseq_large_ls960_asr_ls960.pth", "large")
WAV2VEC2_LARGE_LV60K = _pretrained("wav2vec2_fairseq_large_lv60k.pth", "large_lv60k")
WAV2VEC2_ASR_LARGE_LV60K_10M = _asr("wav2vec2_fairseq_large_lv60k_asr_ll10m.pth", "large_lv60k")
WAV2VEC2_ASR_LARGE_LV60K_100H = _asr("wav2vec2_fairseq_large_lv60k_asr_ls100.pth",
                                     "large_lv60k")
WAV2VEC2_ASR_LARGE_LV60K_960H = _asr("wav2vec2_fairseq_large_lv60k_asr_ls960.pth",
                                     "large_lv60k")
