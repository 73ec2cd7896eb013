"""Real3D-Portrait audio driving: HuBERT against transformers' HubertModel (tiny configs, random init), the
hub's HubertForCTC file layout, the released clip-wise feature extraction, Praat f0 on known tones, the
blink schedule and eye closing, audio -> expression (frame count, determinism), and the adapter end to end."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from talkbench.errors import MissingWeightsError, WeightsMismatchError
from talkbench.io.audio import AudioSpan, write_wav
from talkbench.io.hashing import sha256_file
from talkbench.weights import store as weights
from talkbench.models.components.hubert import (
    Hubert, HubertConfig, hub_state_dict_to_ours, hubert_features, load_hubert, normalise_waveform)
from talkbench.models.real3d_portrait.audio2motion import Audio2MotionConfig, Audio2MotionVAE, pad_audio_features
from talkbench.models.real3d_portrait.audio_driving import (
    AudioDrivingOptions, audio_to_expression, blink_schedule, close_eyes, expression_pncc, reference_pncc)
from talkbench.models.real3d_portrait.checkpoint import save_release_container
from talkbench.models.real3d_portrait.pitch import extract_f0, fit_length, mel_frame_count

transformers = pytest.importorskip("transformers")
pytest.importorskip("parselmouth")

SR = 16000
# tiny networks with the released conv stack (receptive field 400, hop 320)
TINY = dict(hidden_size=32, num_layers=2, num_heads=4, intermediate_size=64, conv_dim=(16,) * 7,
            pos_conv_kernel=16, pos_conv_groups=4)
# hidden 1024 so that the released A2M layout (audio_in_dim 1024) can read it; one small layer
WIDE = dict(hidden_size=1024, num_layers=1, num_heads=16, intermediate_size=64, conv_dim=(16,) * 7,
            pos_conv_kernel=16, pos_conv_groups=16)


def _hf_config(c: dict):
    return transformers.HubertConfig(
        hidden_size=c["hidden_size"], num_hidden_layers=c["num_layers"], num_attention_heads=c["num_heads"],
        intermediate_size=c["intermediate_size"], conv_dim=list(c["conv_dim"]), num_conv_pos_embeddings=c["pos_conv_kernel"],
        num_conv_pos_embedding_groups=c["pos_conv_groups"], feat_extract_norm="layer", do_stable_layer_norm=True,
        conv_bias=True, feat_proj_layer_norm=True, mask_time_prob=0.05, vocab_size=12)


def _tone(freq: float, seconds: float = 1.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(SR * seconds)) / SR
    return (amp * np.sin(2 * np.pi * freq * t) * 32767).astype(np.int16)


@pytest.fixture(scope="module")
def hf_tiny():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    return transformers.HubertModel(_hf_config(TINY)).eval()


# -- HuBERT ----------------------------------------------------------------------------------------
def test_hubert_equals_transformers(hf_tiny):
    ours = Hubert(HubertConfig(**TINY)).eval()
    converted = hub_state_dict_to_ours(hf_tiny.state_dict())
    assert set(converted) == set(ours.state_dict())
    for k, v in ours.state_dict().items():
        assert converted[k].shape == v.shape, k
    assert ours.state_dict()["encoder.pos_conv_embed.conv.weight_g"].shape == (1, 1, 16)  # weight norm over dim 2
    ours.load_state_dict(converted, strict=True)
    x = torch.randn(2, 7000, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref = hf_tiny(x).last_hidden_state
        out = ours(x)
    assert out.shape == ref.shape == (2, (7000 - 400) // 320 + 1, 32)
    assert torch.allclose(out, ref, atol=1e-5, rtol=0)
    # the weight-norm reparametrisation is what transformers computes
    hf_w = hf_tiny.encoder.pos_conv_embed.conv.weight
    assert torch.allclose(ours.encoder.pos_conv_embed.conv.weight, hf_w, atol=1e-6)


def test_full_size_layout_equals_transformers():
    with torch.device("meta"):
        ours = Hubert()
        hf = transformers.HubertModel(_hf_config(dict(hidden_size=1024, num_layers=24, num_heads=16, intermediate_size=4096,
                                                      conv_dim=(512,) * 7, pos_conv_kernel=128, pos_conv_groups=16)))
    theirs = {k: tuple(v.shape) for k, v in hub_state_dict_to_ours(hf.state_dict()).items()}
    assert theirs == {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    # masked_spec_embed, conv stack, projection, pos conv (bias, g, v), final LN, 24 layers of 16 tensors
    assert len(theirs) == 1 + 7 * 4 + 4 + 3 + 2 + 24 * 16 == 422
    assert ours.config.receptive_field == 400 and ours.config.hop == 320


@pytest.mark.parametrize("fmt", ["bin", "safetensors"])
def test_ctc_layout_file_loads(tmp_path, fmt):
    torch.manual_seed(2)
    ctc = transformers.HubertForCTC(_hf_config(TINY)).eval()
    sd = ctc.state_dict()
    assert any(k.startswith("lm_head.") for k in sd) and all(k.startswith(("hubert.", "lm_head.")) for k in sd)
    folder = tmp_path / "snapshot"
    folder.mkdir()
    if fmt == "bin":
        path = folder / "pytorch_model.bin"
        torch.save(sd, path)
    else:
        from safetensors.torch import save_file

        path = folder / "model.safetensors"
        save_file({k: v.contiguous() for k, v in sd.items()}, str(path))
    cfg = HubertConfig(**TINY)
    x = torch.randn(1, 4000, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        ref = ctc.hubert(x).last_hidden_state
        for where in (folder, path):
            assert torch.allclose(load_hubert(where, config=cfg)(x), ref, atol=1e-5, rtol=0)
    assert torch.equal(load_hubert(path, sha256=sha256_file(path), config=cfg).masked_spec_embed, sd["hubert.masked_spec_embed"])
    with pytest.raises(WeightsMismatchError):
        load_hubert(path, sha256="0" * 64, config=cfg)


def test_missing_hubert_weights_name_the_import(tmp_path, monkeypatch):
    monkeypatch.setenv("TALKBENCH_HOME", str(tmp_path / "tb"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    spec = weights.get_weights_spec("hubert-large-ls960-ft")
    assert spec.urls[0] == "https://huggingface.co/facebook/hubert-large-ls960-ft/resolve/main/pytorch_model.bin"
    assert spec.manifest is None and len(spec.sha256) == 64
    with pytest.raises(MissingWeightsError, match="talkbench weights import PATH --id hubert-large-ls960-ft"):
        load_hubert("hubert-large-ls960-ft")
    with pytest.raises(MissingWeightsError, match="pytorch_model.bin"):
        load_hubert(tmp_path / "nowhere" / "pytorch_model.bin")


def test_normalisation_equals_wav2vec2_feature_extractor():
    fe = transformers.Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=SR, padding_value=0.0, do_normalize=True,
                                               return_attention_mask=False)
    samples = _tone(300.0, 0.3) + np.int16(1000)  # a DC offset to remove
    as_read = samples.astype(np.float64) / 32768.0  # what soundfile returns for PCM16
    ref = fe(as_read, sampling_rate=SR, return_tensors="np").input_values[0]
    assert np.allclose(normalise_waveform(samples), ref, atol=1e-6)
    assert np.allclose(normalise_waveform(as_read), ref, atol=1e-6)


def test_clipwise_features_follow_the_released_chunking():
    torch.manual_seed(4)
    model = Hubert(HubertConfig(**TINY)).eval()
    rng = np.random.default_rng(0)
    for n in (399, 400, 719, 720, 320 * 10 + 80, 320 * 10 + 80 + 399, 320 * 10 + 80 + 400, 320 * 23 + 5):
        samples = rng.integers(-3000, 3000, n).astype(np.int16)
        feats = hubert_features(model, samples, clip_frames=5)
        assert feats.shape == (max(0, (n - 80) // 320), 32), n
    samples = rng.integers(-3000, 3000, 320 * 12 + 200).astype(np.int16)
    feats = hubert_features(model, samples, clip_frames=5)
    wave = torch.as_tensor(normalise_waveform(samples))
    with torch.no_grad():  # clip i covers samples [1600 i, 1600 i + 1680): exactly 5 frames, no overlap
        assert torch.allclose(feats[:5], model(wave[None, :1680])[0], atol=1e-6)
        assert torch.allclose(feats[5:10], model(wave[None, 1600:3280])[0], atol=1e-6)
        assert torch.allclose(feats[10:], model(wave[None, 3200:])[0], atol=1e-6)
    assert not torch.allclose(feats, hubert_features(model, samples, clip_frames=1000))  # clips see less context


# -- pitch -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("freq", [110.0, 220.0, 400.0])
def test_f0_of_a_tone(freq):
    f0 = extract_f0(_tone(freq))
    assert len(f0) == mel_frame_count(SR) == 1 + (SR - 512) // 320
    voiced = f0[f0 > 0]
    assert len(voiced) >= 0.8 * len(f0)
    assert abs(np.median(voiced) / freq - 1) < 0.02


def test_f0_of_silence_and_length_fitting():
    assert not extract_f0(np.zeros(SR // 2, np.int16)).any()
    mixed = np.concatenate([np.zeros(SR // 2, np.int16), _tone(200.0, 0.5)])
    f0 = extract_f0(mixed)
    assert (f0[:15] == 0).all() and abs(np.median(f0[-15:]) - 200) < 4
    assert fit_length(np.array([1.0, 2, 3]), 5).tolist() == [1, 2, 3, 0, 0]
    assert fit_length(np.array([1.0, 2, 3]), 2).tolist() == [1, 2]
    assert mel_frame_count(511) == 0 and mel_frame_count(512) == 1 and mel_frame_count(832) == 2


# -- blinking --------------------------------------------------------------------------------------
def test_blink_schedule():
    a = blink_schedule(300, seed=3)
    assert np.array_equal(a, blink_schedule(300, seed=3), equal_nan=True)
    starts = [0, 125, 250]
    for s in starts:
        dur = int(np.sum(~np.isnan(a[s:s + 13])))
        assert 8 <= dur <= 12
        t = np.arange(dur)
        assert np.allclose(a[s:s + dur], 4 * t / dur - 4 * t ** 2 / dur ** 2)
    assert np.isnan(a[13:125]).all() and np.isnan(a[138:250]).all()
    short = blink_schedule(5, seed=0)
    assert np.isnan(short[-1]) and not np.isnan(short[:4]).any()  # the last frame is never edited
    assert np.nanmax(a) <= 1 and np.nanmin(a) == 0


def _face_with_eye_holes(size: int = 64) -> torch.Tensor:
    img = torch.empty(3, size, size)
    img[0], img[1], img[2] = -0.6, 0.2, 0.5  # a face colour everywhere
    img[:, 20:27, 20:27] = -1                 # left eye hole (inside rows 16..32, cols 16..32)
    img[:, 20:27, 38:45] = -1                 # right eye hole (cols 32..48)
    return img


def test_close_eyes_fills_the_holes_from_the_face():
    img = _face_with_eye_holes()
    hole = (img == -1).all(0)
    quantised = close_eyes(img, 0.0)
    assert torch.allclose(quantised, img, atol=1 / 127.5)
    shut = close_eyes(img, 1.0)
    assert not (shut == -1).all(0).any()  # fully closed: no hole pixel left
    assert torch.allclose(shut[:, hole], quantised[:, ~hole][:, :1].expand(-1, int(hole.sum())))
    # column 23: the eye (hole rows 20..26 + face within 5 px, clipped to the hole's box ± 4 -> rows 16..29)
    # has mean row 22.5; at 0.8 the lids move to 0.8·22.5 + 0.2·16 = 21.2 and 0.8·22.5 + 0.2·29 = 23.8
    mostly = close_eyes(img, 0.8)
    still_open = (mostly == -1).all(0)
    assert 0 < int(still_open.sum()) < int(hole.sum())
    assert still_open[:, 23].nonzero().flatten().tolist() == [22, 23]
    assert (close_eyes(img, 0.5) == -1).all(0)[:, 23].nonzero().flatten().tolist() == [20, 21, 22, 23, 24, 25]
    no_eyes = torch.zeros(3, 64, 64)
    assert torch.equal(close_eyes(no_eyes, 1.0), close_eyes(no_eyes, 0.0))


# -- audio -> expression -> PNCC -------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_models():
    torch.set_num_threads(1)
    torch.manual_seed(5)
    hubert = Hubert(HubertConfig(**TINY)).eval()
    a2m = Audio2MotionVAE(Audio2MotionConfig(audio_in_dim=32)).eval()
    with torch.no_grad():  # the flow's couplings start as identities: give them weights
        for flow in a2m.vae.prior_flow.flows[::2]:
            flow.post.weight.normal_(0, 0.05)
    return hubert, a2m


def test_audio_to_expression_frame_count_and_determinism(small_models):
    hubert, a2m = small_models
    speech = _tone(180.0, 1.0) + _tone(700.0, 1.0) // 3
    opt = AudioDrivingOptions(seed=1)
    exp = audio_to_expression(speech, hubert, a2m, None, opt)
    t50 = (SR - 80) // 320
    assert exp.shape == ((t50 + 1) // 2, 64)
    assert torch.equal(exp, audio_to_expression(speech, hubert, a2m, None, opt))
    assert exp.shape == (25, 64) and torch.isfinite(exp).all()
    assert torch.equal(audio_to_expression(speech, hubert, a2m, 7, opt), exp[:7])
    # longer than the audio: the A2M's own frames for the zero-padded tail (28 = 56 padded HuBERT frames / 2),
    # then the last one repeated
    longer = audio_to_expression(speech, hubert, a2m, 40, opt)
    assert torch.equal(longer[:25], exp) and torch.equal(longer[28:], longer[27:28].expand(12, -1))
    assert not torch.equal(longer[26], longer[27])
    other_audio = audio_to_expression(_tone(300.0, 1.0), hubert, a2m, None, opt)
    other_seed = audio_to_expression(speech, hubert, a2m, None, AudioDrivingOptions(seed=2))
    assert not torch.allclose(exp, other_audio, atol=1e-4) and not torch.allclose(exp, other_seed, atol=1e-4)
    quiet = audio_to_expression(speech, hubert, a2m, None, AudioDrivingOptions(seed=1, temperature=0.0))
    assert torch.equal(quiet, audio_to_expression(speech, hubert, a2m, None, AudioDrivingOptions(seed=9, temperature=0.0)))


def test_zero_padding_as_the_released_script():
    feats = torch.ones(1, 5, 3)
    padded, _, n = pad_audio_features(feats, None, 8, fill="zero")
    assert padded.shape == (1, 8, 3) and n == 3 and not padded[0, 5:].any()
    assert torch.equal(pad_audio_features(feats, None, 8)[0][0, 5:], torch.ones(3, 3))


def test_expression_pncc_and_references():
    from talkbench.models.components.morphable import synthetic_morphable_model
    from talkbench.models.components.pncc import render_pncc

    mm = synthetic_morphable_model()
    exp = torch.randn(4, 64, generator=torch.Generator().manual_seed(0)) * 3
    frames = list(expression_pncc(mm, exp, 48, options=AudioDrivingOptions(blink="none"), chunk=3))
    direct = render_pncc(mm, None, exp.double().numpy(), 48)
    assert len(frames) == 4 and all(torch.equal(f, d) for f, d in zip(frames, direct))
    assert not torch.equal(frames[0], frames[1])
    cano, src = reference_pncc(mm, exp, 48)
    assert torch.equal(cano, render_pncc(mm, None, None, 48)) and torch.equal(src[0], direct[0])


def test_audio_span_cuts_the_frames_audio(tmp_path):
    ramp = (np.arange(SR) % 30000).astype(np.int16)
    path = write_wav(tmp_path / "a.wav", ramp)
    cut = AudioSpan(path, first_frame=5, n_frames=10, fps=25.0).read()
    assert np.array_equal(cut, ramp[3200:9600])
    tail = AudioSpan(path, first_frame=20, n_frames=10, fps=25.0).read()
    assert len(tail) == 6400 and np.array_equal(tail[:3200], ramp[12800:]) and not tail[3200:].any()


# -- the adapter end to end ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def adapter_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("r3d_audio")
    torch.manual_seed(6)
    a2m = save_release_container(Audio2MotionVAE().state_dict(), root / "model_ckpt_steps_400000.ckpt", 400000)
    torch.manual_seed(7)
    hub = root / "pytorch_model.bin"
    torch.save({f"hubert.{k}": v for k, v in Hubert(HubertConfig(**WIDE)).state_dict().items()}, hub)
    wav = write_wav(root / "speech.wav", _tone(150.0, 0.8) + _tone(900.0, 0.8) // 4)
    return a2m, hub, wav


def _small_adapter(a2m, hub, **kw):
    from talkbench.models.real3d_portrait.adapter import Real3DPortrait
    from talkbench.models.real3d_portrait.config import Real3DPortraitConfig

    torch.set_num_threads(1)
    cfg = Real3DPortraitConfig(num_samples_coarse=4, num_samples_fine=4, neural_rendering_resolution=16)
    return Real3DPortrait(config=cfg, image_size=256, seed=3, real_inputs=False, a2m_checkpoint=str(a2m),
                          hubert_weights=str(hub), hubert_config=HubertConfig(**WIDE), output_size=64, **kw)


def test_adapter_audio_end_to_end(adapter_files):
    """One full frame through HuBERT, f0, A2M, PNCC, the motion adapter, the renderer and HTB-SR (~25 s on CPU)."""
    a2m, hub, wav = adapter_files
    model = _small_adapter(a2m, hub)
    src = (np.random.default_rng(0).random((96, 96, 3)) * 255).astype(np.uint8)
    frames = model.animate(model.prepare([src]), audio=AudioSpan(wav, first_frame=4, n_frames=1, fps=25.0))
    assert len(frames) == 1 and frames[0].shape == (64, 64, 3) and frames[0].dtype == np.uint8
    assert frames[0].std() > 0
    cfg = model.config_dict()
    assert cfg["audio"]["mouth_amp"] == 0.45 and cfg["audio"]["temperature"] == 0.2 and cfg["audio"]["blink"] == "period"
    assert "synthetic" in cfg["morphable_note"] and any("synthetic 3DMM" in n for n in model.comparability_notes())


def test_adapter_audio_frame_count_and_pncc_wiring(adapter_files, monkeypatch):
    """Exactly one frame per frame of the audio item, each rendered from (cano, src, target) PNCC of the
    audio's expressions; the heavy renderer is replaced by a recorder here (the test above runs it)."""
    a2m, hub, wav = adapter_files
    model = _small_adapter(a2m, hub, blink="none")
    src = (np.random.default_rng(0).random((96, 96, 3)) * 255).astype(np.uint8)
    state = model.prepare([src])
    seen = []
    monkeypatch.setattr(model.network, "motion_planes", lambda planes, pncc: seen.append(pncc) or planes)
    monkeypatch.setattr(model.network, "synthesize", lambda planes, *a, **k: {"image": torch.zeros(1, 3, 512, 512)})
    span = AudioSpan(wav, first_frame=3, n_frames=9, fps=25.0)
    frames = model.animate(state, audio=span)
    assert len(frames) == 9 == len(seen)
    exp = model.audio_driver.expressions(span)
    assert exp.shape == (9, 64)
    cano, first = reference_pncc(model.morphable, exp, 256)
    targets = list(expression_pncc(model.morphable, exp, 256, options=model.audio_driver.options))
    for pncc, tgt in zip(seen, targets):
        assert torch.equal(pncc[:, :3], cano) and torch.equal(pncc[:, 3:6], first) and torch.equal(pncc[0, 6:], tgt)
    # a whole file without a frame count: its own length in 25 fps frames (0.8 s -> 20)
    seen.clear()
    assert len(model.animate(state, audio=wav)) == 20 == len(seen)


def test_adapter_audio_without_weights_is_a_missing_weights_error(adapter_files, tmp_path):
    from talkbench.models.real3d_portrait.adapter import Real3DPortrait
    from talkbench.models.real3d_portrait.config import Real3DPortraitConfig

    _, hub, wav = adapter_files
    cfg = Real3DPortraitConfig(num_samples_coarse=2, num_samples_fine=2, neural_rendering_resolution=16)
    model = Real3DPortrait(config=cfg, image_size=256, real_inputs=False, hubert_weights=str(hub))
    with pytest.raises(MissingWeightsError, match="audio2secc_vae"):
        model.audio_driver.expressions(wav)
    model = Real3DPortrait(config=cfg, image_size=256, real_inputs=False, a2m_checkpoint=str(tmp_path / "none"))
    with pytest.raises(MissingWeightsError):
        model.audio_driver.expressions(wav)


def test_reenactment_item_hands_the_model_the_audio_under_its_frames(tmp_path):
    from talkbench.io.video import write_video
    from talkbench.protocols.datasets import open_dataset
    from talkbench.protocols.inputs import TASKS
    from tests.protocol_fixtures import clip_frames

    root = tmp_path / "ps"
    write_video(root / "Obama" / "Obama.mp4", clip_frames(0, 22), fps=25)
    write_wav(root / "Obama" / "aud.wav", _tone(200.0, 22 / 25))

    class Recorder:
        needs = ("audio",)

        def prepare(self, source):
            return None

        def animate(self, state, driving=None, cameras=None, audio=None, gt=None):
            self.audio = audio
            return [np.zeros((8, 8, 3), np.uint8)] * audio.n_frames

    item = {"id": "x", "source": {"clip": "Obama", "frames": "first:10/11"}, "driving": None, "target": None,
            "audio": {"clip": "Obama", "frames": "last:1/11"}}
    inputs = TASKS["reenactment"](item, {"person-specific": open_dataset("person-specific", root)}, "person-specific")
    model = Recorder()
    assert len(inputs.generate(model)) == 2
    span = model.audio
    assert isinstance(span, AudioSpan) and span.path.name == "aud.wav"
    assert (span.first_frame, span.n_frames, span.fps) == (20, 2, 25.0)
    assert len(span.read()) == 2 * SR // 25


def test_adapter_audio_after_real_preprocessing_keeps_the_source_pose(adapter_files, monkeypatch):
    pytest.importorskip("mediapipe")
    from talkbench.models.components.cameras import camera_to_label
    from talkbench.models.real3d_portrait.driving_pose import cameras_from_poses
    from tests.face_images import astronaut

    a2m, hub, wav = adapter_files
    model = _small_adapter(a2m, hub, blink="none")
    model.real_inputs = True
    state = model.prepare([astronaut()])
    labels, kps = [], []

    def synthesize(planes, label, torso, bg, seg, kp_s, kp_d, **kw):
        labels.append(label)
        kps.append(kp_d)
        return {"image": torch.zeros(1, 3, 512, 512)}

    monkeypatch.setattr(model.network, "synthesize", synthesize)
    frames = model.animate(state, audio=AudioSpan(wav, first_frame=0, n_frames=4, fps=25.0))
    assert len(frames) == 4 and frames[0].shape == (64, 64, 3)
    src_cam = cameras_from_poses(state.prep.euler[None], state.prep.trans[None], kernel=1)[0]
    expected = torch.as_tensor(camera_to_label(src_cam), dtype=torch.float32)
    assert all(torch.equal(lab[0], expected) for lab in labels)
    assert all(torch.equal(kp, state.prep.kp) for kp in kps)
