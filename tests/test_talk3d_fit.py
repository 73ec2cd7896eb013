"""Talk3D person-specific fit on a mini-benchmark clip (tiny configuration, fixed seed)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("mediapipe")

from talkbench.models.registry import get_model_class  # noqa: E402
from talkbench.models.training import FitRequest  # noqa: E402

torch.set_num_threads(1)
N_FRAMES = 22  # 20 training frames, the last 1/11 (2 frames) held out


def mini_clip(folder, identity: str = "t1-a", size: int = 128):
    """One identity's clip made by the mini benchmark's own generator (portrait, mesh rig, speech, motion)."""
    from PIL import Image

    from talkbench.baselines.facemesh import detect_mesh
    from talkbench.benchmarks.mini import speech
    from talkbench.benchmarks.mini.build import build_rig, portraits, render_motion
    from talkbench.benchmarks.mini.motion import make_track

    face = portraits(size)[identity]
    n_samples = int(round(N_FRAMES / 25 * speech.SAMPLE_RATE))
    (samples, _how), = speech.speech_tracks(1, n_samples, 0)
    track = make_track(N_FRAMES, 25.0, speech.mouth_opening(samples, 25.0, N_FRAMES), seed=0)
    frames, _ = render_motion(face, build_rig(detect_mesh(face), size, size), track)
    clip = folder / identity
    clip.mkdir(parents=True)
    for i, f in enumerate(frames):
        Image.fromarray(f).save(clip / f"{i:06d}.png")
    speech.write_wav(folder / f"{identity}.wav", samples)
    return clip, folder / f"{identity}.wav"


def test_tiny_fit_halves_the_loss_and_beats_its_initialisation_on_heldout_frames(tmp_path):
    from talkbench.io.audio import AudioSpan
    from talkbench.models.talk3d.fit import Talk3DFit

    clip, wav = mini_clip(tmp_path)
    cls = get_model_class("talk3d")
    assert hasattr(cls, "fit")
    request = FitRequest(data=clip, out=tmp_path / "fit", seed=0, options={"tiny": "1", "audio": str(wav)})
    fit = Talk3DFit(request)
    assert (len(fit.train_idx), list(fit.heldout_idx)) == (20, [20, 21])
    before = fit.heldout_psnr()
    report = fit.run(steps=50)
    after = fit.heldout_psnr()
    assert len(report.losses) == 50
    assert np.mean(report.losses[-5:]) <= 0.5 * report.losses[0], report.losses
    assert after > before + 1.0, (before, after)
    assert report.checkpoint.name == "5_50.pt" and (report.checkpoint.parent / "ID_triplane.pt").is_file()
    assert (tmp_path / "fit" / "fit_log.jsonl").read_text().count("\n") == 50

    # the fitted checkpoint runs through the adapter (identity found beside it), one frame per audio frame
    model = cls.from_checkpoint(report.checkpoint, output_size=64)
    frames = model.animate(model.prepare([np.zeros((128, 128, 3), np.uint8)]), audio=AudioSpan(wav, 0, 3))
    assert len(frames) == 3 and frames[0].shape == (64, 64, 3) and frames[0].dtype == np.uint8
    notes = " ".join(model.comparability_notes())
    assert "meaningless" in notes and "fitted by talkbench" in notes
