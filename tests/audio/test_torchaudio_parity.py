"""emberaudio against torchaudio itself (the `parity_audio` nox session: torch 2.9.1 and
torchaudio 2.9): every transform and functional op on the same inputs within 1e-4, and the
models loading torchaudio's state_dicts strictly (through torch.save and ember.load)."""
import math

import numpy as np
import pytest

import ember
import emberaudio.functional as F
import emberaudio.transforms as T
from emberaudio import models

pytestmark = pytest.mark.parity_audio
torch = pytest.importorskip("torch")
torchaudio = pytest.importorskip("torchaudio")
TF, TT = torchaudio.functional, torchaudio.transforms

TOL = 1e-4


def _wave(*shape, seed=0, scale=0.5):
    return (scale * np.random.default_rng(seed).standard_normal(shape)).astype(np.float32)


def _speechy(n=16000, sr=16000, channels=2):
    """Harmonics with a vibrato and a little noise: a signal with pitch and formant-ish
    structure."""
    t = np.arange(n) / sr
    f0 = 150 + 20 * np.sin(2 * np.pi * 3 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    x = sum(np.sin(k * phase) / k for k in range(1, 6)) * 0.3
    x = np.stack([x, np.roll(x, 777)])[:channels]
    return (x + _wave(channels, n, scale=0.01)).astype(np.float32)


def _check(ours, theirs, tol=TOL):
    a = ours.detach().numpy() if isinstance(ours, ember.Tensor) else np.asarray(ours)
    b = theirs.detach().numpy()
    assert tuple(a.shape) == tuple(b.shape), (a.shape, b.shape)
    scale = max(1.0, float(np.abs(b).max()) if b.size else 1.0)
    err = float(np.abs(a - b).max()) if a.size else 0.0
    assert err <= tol * scale, f"max abs error {err} (scale {scale})"


def _both(x):
    return ember.tensor(x), torch.tensor(x)


# ---------------------------------------------------------------- spectral transforms

@pytest.mark.parametrize("kwargs", [
    {}, {"n_fft": 256, "hop_length": 64, "power": 1.0}, {"n_fft": 128, "power": None},
    {"n_fft": 200, "win_length": 160, "pad": 7, "normalized": True},
    {"n_fft": 128, "normalized": "frame_length", "center": False},
    {"n_fft": 128, "pad_mode": "constant", "onesided": False},
])
def test_spectrogram(kwargs):
    e, t = _both(_speechy(4000))
    ours, theirs = T.Spectrogram(**kwargs)(e), TT.Spectrogram(**kwargs)(t)
    if kwargs.get("power", 2.0) is None:
        ours, theirs = ember.view_as_real(ours), torch.view_as_real(theirs)
    _check(ours, theirs)


@pytest.mark.parametrize("normalized", [False, True])
def test_inverse_spectrogram(normalized):
    e, t = _both(_speechy(4000))
    spec_e = T.Spectrogram(n_fft=256, power=None, normalized=normalized)(e)
    spec_t = TT.Spectrogram(n_fft=256, power=None, normalized=normalized)(t)
    inv_e = T.InverseSpectrogram(n_fft=256, normalized=normalized)
    inv_t = TT.InverseSpectrogram(n_fft=256, normalized=normalized)
    _check(inv_e(spec_e, 4000), inv_t(spec_t, 4000))
    _check(inv_e(spec_e), inv_t(spec_t))


def test_spectrogram_functional_forms():
    e, t = _both(_speechy(3000))
    we, wt = ember.hann_window(200), torch.hann_window(200)
    _check(F.spectrogram(e, 3, we, 256, 100, 200, 2.0, False),
           TF.spectrogram(t, 3, wt, 256, 100, 200, 2.0, False))
    se = F.spectrogram(e, 0, we, 256, 100, 200, None, True)
    st = TF.spectrogram(t, 0, wt, 256, 100, 200, None, True)
    _check(F.inverse_spectrogram(se, 3000, 0, we, 256, 100, 200, True),
           TF.inverse_spectrogram(st, 3000, 0, wt, 256, 100, 200, True))


@pytest.mark.parametrize("momentum", [0.0, 0.99])
def test_griffinlim_fixed_init(momentum):
    e, t = _both(_speechy(4000, channels=1))
    spec = TT.Spectrogram(n_fft=256)(t)
    kwargs = dict(n_fft=256, n_iter=8, momentum=momentum, length=4000, rand_init=False)
    _check(T.GriffinLim(**kwargs)(ember.tensor(spec.numpy())), TT.GriffinLim(**kwargs)(spec))


@pytest.mark.parametrize("norm", [None, "slaney"])
@pytest.mark.parametrize("mel_scale", ["htk", "slaney"])
def test_melscale_fbanks_and_melscale(norm, mel_scale):
    _check(F.melscale_fbanks(201, 20.0, 7600.0, 40, 16000, norm, mel_scale),
           TF.melscale_fbanks(201, 20.0, 7600.0, 40, 16000, norm, mel_scale))
    spec = np.abs(_wave(2, 201, 30))
    e, t = _both(spec)
    _check(T.MelScale(40, 16000, 0.0, None, 201, norm, mel_scale)(e),
           TT.MelScale(40, 16000, 0.0, None, 201, norm, mel_scale)(t))


def test_linear_fbanks_and_create_dct():
    _check(F.linear_fbanks(129, 100.0, 3500.0, 20, 8000),
           TF.linear_fbanks(129, 100.0, 3500.0, 20, 8000))
    for norm in (None, "ortho"):
        _check(F.create_dct(13, 40, norm), TF.create_dct(13, 40, norm))


def test_inverse_melscale():
    spec = np.abs(_wave(1, 65, 12, seed=3)).astype(np.float32)
    mel_t = TT.MelScale(16, 8000, n_stft=65)(torch.tensor(spec))
    ours = T.InverseMelScale(65, 16, 8000)(ember.tensor(mel_t.numpy()))
    theirs = TT.InverseMelScale(65, 16, 8000)(mel_t)
    # Both solve the same (underdetermined) least squares: compare what they reproduce.
    _check(T.MelScale(16, 8000, n_stft=65)(ours), TT.MelScale(16, 8000, n_stft=65)(theirs))
    assert tuple(ours.shape) == tuple(theirs.shape)


@pytest.mark.parametrize("kwargs", [
    {}, {"n_fft": 512, "hop_length": 128, "n_mels": 64, "f_min": 30.0, "f_max": 7000.0},
    {"n_mels": 40, "norm": "slaney", "mel_scale": "slaney", "power": 1.0},
])
def test_melspectrogram(kwargs):
    e, t = _both(_speechy(8000))
    _check(T.MelSpectrogram(16000, **kwargs)(e), TT.MelSpectrogram(16000, **kwargs)(t))


@pytest.mark.parametrize("kwargs", [
    {}, {"n_mfcc": 13, "log_mels": True, "melkwargs": {"n_fft": 400, "n_mels": 40}},
    {"norm": None, "melkwargs": {"n_mels": 64, "mel_scale": "slaney"}},
])
def test_mfcc(kwargs):
    e, t = _both(_speechy(8000))
    _check(T.MFCC(16000, **kwargs)(e), TT.MFCC(16000, **kwargs)(t))


@pytest.mark.parametrize("kwargs", [
    {}, {"n_filter": 64, "n_lfcc": 20, "log_lf": True, "speckwargs": {"n_fft": 256}},
])
def test_lfcc(kwargs):
    e, t = _both(_speechy(8000))
    _check(T.LFCC(16000, **kwargs)(e), TT.LFCC(16000, **kwargs)(t))


@pytest.mark.parametrize("stype,top_db", [("power", None), ("power", 80.0),
                                          ("magnitude", 40.0)])
def test_amplitude_to_db(stype, top_db):
    x = np.abs(_wave(2, 3, 20, 30)) ** 3
    e, t = _both(x)
    _check(T.AmplitudeToDB(stype, top_db)(e), TT.AmplitudeToDB(stype, top_db)(t))
    _check(F.DB_to_amplitude(e, 1.0, 0.5), TF.DB_to_amplitude(t, 1.0, 0.5))


# ---------------------------------------------------------------- resampling and effects

@pytest.mark.parametrize("method,beta", [("sinc_interp_hann", None),
                                         ("sinc_interp_kaiser", None),
                                         ("sinc_interp_kaiser", 8.0)])
@pytest.mark.parametrize("orig,new", [(16000, 8000), (8000, 16000), (44100, 16000),
                                      (16000, 22050), (3, 2)])
def test_resample(method, beta, orig, new):
    e, t = _both(_wave(2, 3000))
    _check(F.resample(e, orig, new, resampling_method=method, beta=beta),
           TF.resample(t, orig, new, resampling_method=method, beta=beta))
    _check(T.Resample(orig, new, method, lowpass_filter_width=4, rolloff=0.9, beta=beta)(e),
           TT.Resample(orig, new, method, lowpass_filter_width=4, rolloff=0.9, beta=beta)(t))


@pytest.mark.parametrize("gain,gain_type", [(0.5, "amplitude"), (2.0, "power"), (-6.0, "db"),
                                            (10.0, "db")])
def test_vol(gain, gain_type):
    e, t = _both(_wave(2, 500))
    _check(T.Vol(gain, gain_type)(e), TT.Vol(gain, gain_type)(t))


@pytest.mark.parametrize("shape", ["linear", "exponential", "logarithmic", "quarter_sine",
                                   "half_sine"])
def test_fade(shape):
    e, t = _both(_wave(2, 1000))
    _check(T.Fade(300, 200, shape)(e), TT.Fade(300, 200, shape)(t))
    _check(T.Fade(0, 1000, shape)(e), TT.Fade(0, 1000, shape)(t))


@pytest.mark.parametrize("rate", [0.8, 1.3])
def test_time_stretch_and_phase_vocoder(rate):
    t = torch.stft(torch.tensor(_speechy(4000)), 256, 64, window=torch.hann_window(256),
                   return_complex=True)
    e = ember.view_as_complex(ember.tensor(torch.view_as_real(t).numpy()))
    ours = T.TimeStretch(64, 129, rate)(e)
    theirs = TT.TimeStretch(64, 129, rate)(t)
    _check(ember.view_as_real(ours), torch.view_as_real(theirs))
    adv = torch.linspace(0, math.pi * 64, 129)[..., None]
    _check(ember.view_as_real(F.phase_vocoder(e, rate, ember.tensor(adv.numpy()))),
           torch.view_as_real(TF.phase_vocoder(t, rate, adv)))


@pytest.mark.parametrize("n_steps", [4, -3])
def test_pitch_shift(n_steps):
    # 1 kHz keeps the resampling kernel small (its size grows with the reduced rate pair).
    sr = 1000
    e, t = _both(_speechy(2000, sr))
    # The vocoder's accumulated phase reaches thousands of radians, where a float32 ulp is
    # ~5e-4 rad: the two libraries' roundings differ by up to ~1.7e-4 (1e-6 in float64, where
    # torchaudio still builds its window and phase advance in float32).
    _check(F.pitch_shift(e, sr, n_steps), TF.pitch_shift(t, sr, n_steps), tol=3e-4)
    _check(T.PitchShift(sr, n_steps, n_fft=256)(e), TT.PitchShift(sr, n_steps, n_fft=256)(t),
           tol=3e-4)
    e64, t64 = _both(_speechy(2000, sr).astype(np.float64))
    _check(F.pitch_shift(e64, sr, n_steps), TF.pitch_shift(t64, sr, n_steps), tol=1e-5)


@pytest.mark.parametrize("win_length,mode", [(5, "replicate"), (7, "constant")])
def test_compute_deltas(win_length, mode):
    e, t = _both(_wave(2, 10, 40))
    _check(T.ComputeDeltas(win_length, mode)(e), TT.ComputeDeltas(win_length, mode)(t))


@pytest.mark.parametrize("channels", [256, 16])
def test_mu_law(channels):
    e, t = _both(np.clip(_wave(3, 400), -1, 1))
    codes_e, codes_t = T.MuLawEncoding(channels)(e), TT.MuLawEncoding(channels)(t)
    assert (codes_e.numpy() == codes_t.numpy()).all() and codes_e.dtype == ember.int64
    _check(T.MuLawDecoding(channels)(codes_e), TT.MuLawDecoding(channels)(codes_t))


# ---------------------------------------------------------------- filters

def test_lfilter_values_and_gradients():
    x = _wave(2, 3, 300, scale=0.3).astype(np.float64)
    a = np.array([[1.0, -0.5, 0.2], [2.0, 0.3, 0.1], [1.5, 0.1, -0.2]])
    b = _wave(3, 3, seed=1).astype(np.float64)
    ins_e = [ember.tensor(v, requires_grad=True) for v in (x, a, b)]
    ins_t = [torch.tensor(v, requires_grad=True) for v in (x, a, b)]
    ye, yt = F.lfilter(*ins_e, clamp=False), TF.lfilter(*ins_t, clamp=False)
    _check(ye, yt)
    weights = _wave(*yt.shape, seed=5).astype(np.float64)
    (ye * ember.tensor(weights)).sum().backward()
    (yt * torch.tensor(weights)).sum().backward()
    for ge, gt in zip(ins_e, ins_t):
        _check(ge.grad, gt.grad)
    _check(F.lfilter(ember.tensor(x[0]), ember.tensor(a), ember.tensor(b), batching=False),
           TF.lfilter(torch.tensor(x[0]), torch.tensor(a), torch.tensor(b), batching=False))


@pytest.mark.parametrize("name,args", [
    ("lowpass_biquad", (16000, 1500.0)), ("highpass_biquad", (16000, 1500.0, 0.5)),
    ("bandpass_biquad", (16000, 1000.0, 2.0)), ("bandpass_biquad", (16000, 1000.0, 2.0, True)),
    ("bandreject_biquad", (16000, 1000.0)), ("allpass_biquad", (16000, 700.0)),
    ("equalizer_biquad", (16000, 1000.0, 6.0, 1.5)),
])
def test_biquads(name, args):
    e, t = _both(_speechy(3000))
    _check(getattr(F, name)(e, *args), getattr(TF, name)(t, *args))


def test_biquad_coefficients():
    e, t = _both(_speechy(2000))
    coeffs = (0.2, 0.1, 0.05, 1.0, -0.3, 0.1)
    _check(F.biquad(e, *coeffs), TF.biquad(t, *coeffs))


# ---------------------------------------------------------------- detectors

@pytest.mark.parametrize("lead", [0.0, 0.7])
def test_vad(lead):
    sr = 16000
    x = _speechy(2 * sr, sr)
    x[:, :int(1.2 * sr)] *= 0.01  # quiet lead-in to trim
    x = x.astype(np.float32)
    kwargs = {"pre_trigger_time": lead}
    for sample in (x, x[0]):
        e, t = _both(sample)
        _check(F.vad(e, sr, **kwargs), TF.vad(t, sr, **kwargs))
        _check(T.Vad(sr, **kwargs)(e), TT.Vad(sr, **kwargs)(t))


def test_detect_pitch_frequency():
    e, t = _both(_speechy(16000))
    _check(F.detect_pitch_frequency(e, 16000), TF.detect_pitch_frequency(t, 16000))
    _check(F.detect_pitch_frequency(e, 16000, 0.02, 10, 60, 1000),
           TF.detect_pitch_frequency(t, 16000, 0.02, 10, 60, 1000))


# ---------------------------------------------------------------- models

def _load_strict(ember_model, torch_model, tmp_path):
    path = tmp_path / "state.pt"
    torch.save(torch_model.state_dict(), path)
    ember_model.load_state_dict(ember.load(str(path)), strict=True)
    return ember_model.eval(), torch_model.eval()


def _tiny_wav2vec2(module, aux_num_out):
    return module.wav2vec2_model(
        extractor_mode="group_norm", extractor_conv_layer_config=[(32, 10, 5), (32, 3, 2),
                                                                  (32, 2, 2)],
        extractor_conv_bias=False, encoder_embed_dim=48, encoder_projection_dropout=0.1,
        encoder_pos_conv_kernel=16, encoder_pos_conv_groups=4, encoder_num_layers=2,
        encoder_num_heads=4, encoder_attention_dropout=0.1, encoder_ff_interm_features=96,
        encoder_ff_interm_dropout=0.1, encoder_dropout=0.1, encoder_layer_norm_first=False,
        encoder_layer_drop=0.1, aux_num_out=aux_num_out)


@pytest.mark.parametrize("aux_num_out", [None, 29])
def test_wav2vec2_tiny(tmp_path, aux_num_out):
    torch.manual_seed(0)
    theirs = _tiny_wav2vec2(torchaudio.models, aux_num_out)
    ours, theirs = _load_strict(_tiny_wav2vec2(models, aux_num_out), theirs, tmp_path)
    e, t = _both(_speechy(16000))
    with torch.no_grad():
        out_t, len_t = theirs(t, torch.tensor([16000, 12000]))
    out_e, len_e = ours(e, ember.tensor([16000, 12000]))
    _check(out_e, out_t)
    assert (len_e.numpy() == len_t.numpy()).all()
    with torch.no_grad():
        feats_t, _ = theirs.extract_features(t)
    feats_e, _ = ours.extract_features(e)
    for fe, ft in zip(feats_e, feats_t):
        _check(fe, ft)


def test_wav2vec2_base(tmp_path):
    torch.manual_seed(0)
    ours, theirs = _load_strict(models.wav2vec2_base(aux_num_out=32),
                                torchaudio.models.wav2vec2_base(aux_num_out=32), tmp_path)
    e, t = _both(_speechy(16000, channels=1))
    with torch.no_grad():
        out_t, _ = theirs(t)
    _check(ours(e)[0], out_t)


def test_conv_tasnet(tmp_path):
    torch.manual_seed(0)
    kwargs = dict(num_sources=2, enc_kernel_size=16, enc_num_feats=64, msk_kernel_size=3,
                  msk_num_feats=32, msk_num_hidden_feats=64, msk_num_layers=3, msk_num_stacks=2)
    for activate in ("sigmoid", "relu"):
        ours, theirs = _load_strict(models.ConvTasNet(**kwargs, msk_activate=activate),
                                    torchaudio.models.ConvTasNet(**kwargs, msk_activate=activate),
                                    tmp_path)
        e, t = _both(_speechy(4000)[:, None])
        with torch.no_grad():
            out_t = theirs(t)
        _check(ours(e), out_t)


def test_conv_tasnet_base(tmp_path):
    torch.manual_seed(0)
    ours, theirs = _load_strict(models.conv_tasnet_base(), torchaudio.models.conv_tasnet_base(),
                                tmp_path)
    e, t = _both(_speechy(4000, channels=1)[:, None])
    with torch.no_grad():
        out_t = theirs(t)
    _check(ours(e), out_t)
