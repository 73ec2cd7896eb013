"""Talk3D's audio features: wav2vec2 XLSR-53 Esperanto CTC logits (44-d, 50 fps) in RAD-NeRF's windows.

Released pre-processing (`preprocess_utils/data_utils/process.py --asr wav2vec` -> RAD-NeRF `nerf/asr.py`
with `cpierse/wav2vec2-large-xlsr-53-esperanto`, saved as `aud_eo.npy`):
1. 16 kHz mono audio, normalised to zero mean / unit variance (the Wav2Vec2 feature extractor);
2. `Wav2Vec2ForCTC` logits (before softmax), one 44-d row per 320 samples (50 fps);
3. windows of 16 logit rows centred on each 25 fps frame: `unfold(kernel 16, padding 8, stride 2)`,
   giving T//2 + 1 windows (16, 44) for T logit rows (window i covers rows 2i-8 … 2i+7, zero outside);
4. at training / inference, frame i is conditioned on windows i-4 … i+3 (zero-padded at the ends)
   -> (8, 44, 16), which AudioNet encodes and AudioAttNet smooths into one 64-d token.

The network is transformers' `Wav2Vec2ForCTC`, built from the hub config below (no download); weights come
from the weights catalog (`wav2vec2-large-xlsr-53-esperanto`) or a path. `weights="random"` builds it with
random weights, for pipeline tests only (the run's notes say so). Deviation: RAD-NeRF streams the audio in
chunks with left/right context; we run the whole clip at once (differs only near chunk borders).
DeepSpeech (29-d, `--asr deepspeech`) needs TensorFlow 1 and is not provided.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..components.hubert import normalise_waveform

WAV2VEC2_WEIGHTS_ID = "wav2vec2-large-xlsr-53-esperanto"
RANDOM_WEIGHTS = "random"
SAMPLE_RATE = 16000

#: cpierse/wav2vec2-large-xlsr-53-esperanto config.json: the values that shape the network (XLSR-53 large,
#: stable layer norm) and its 44-symbol CTC vocabulary (RAD-NeRF: audio_dim 44 for 'esperanto')
ESPERANTO_CONFIG: dict[str, Any] = dict(
    vocab_size=44, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096,
    hidden_act="gelu", feat_extract_norm="layer", feat_extract_activation="gelu", conv_bias=True,
    conv_dim=(512,) * 7, conv_kernel=(10, 3, 3, 3, 3, 2, 2), conv_stride=(5, 2, 2, 2, 2, 2, 2),
    num_conv_pos_embeddings=128, num_conv_pos_embedding_groups=16, do_stable_layer_norm=True,
    layer_norm_eps=1e-5, pad_token_id=0, apply_spec_augment=False, hidden_dropout=0.0, attention_dropout=0.0,
    activation_dropout=0.0, feat_proj_dropout=0.0, final_dropout=0.0, layerdrop=0.0)


def build_wav2vec2(**overrides: Any):
    from transformers import Wav2Vec2Config, Wav2Vec2ForCTC

    return Wav2Vec2ForCTC(Wav2Vec2Config(**{**ESPERANTO_CONFIG, **overrides})).eval()


def _hub_keys_to_model(state: dict, model) -> dict:
    """Older hub files store the positional conv's weight norm as weight_g / weight_v."""
    names = set(model.state_dict())
    out = {}
    for k, v in state.items():
        for old, new in (("weight_g", "parametrizations.weight.original0"), ("weight_v", "parametrizations.weight.original1")):
            if k.endswith(old) and k not in names and k[: -len(old)] + new in names:
                k = k[: -len(old)] + new
        out[k] = v
    return out


def load_wav2vec2(weights: str | Path = WAV2VEC2_WEIGHTS_ID, sha256: str | None = None, device: str = "cpu",
                  **config_overrides: Any):
    """The CTC model from a catalog id (MissingWeightsError when not installed), a hub folder / weight file,
    or `random` (random weights: pipeline tests only)."""
    from ..components.hubert import read_hubert_file
    from ...errors import InputError, MissingWeightsError
    from ...weights.store import get_weights_spec, locate_weights

    torch.manual_seed(0)
    model = build_wav2vec2(**config_overrides)
    if str(weights) == RANDOM_WEIGHTS:
        return model.to(device)
    if str(weights) == WAV2VEC2_WEIGHTS_ID and not Path(weights).exists():
        spec = get_weights_spec(WAV2VEC2_WEIGHTS_ID)
        path, sha256 = locate_weights(spec), sha256 or spec.sha256
    else:
        path = Path(weights)
        if not path.exists():
            spec = get_weights_spec(WAV2VEC2_WEIGHTS_ID)
            raise MissingWeightsError(path.name, spec.id, spec.urls, where=str(path))
    state = _hub_keys_to_model(read_hubert_file(path, sha256), model)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if "masked_spec_embed" not in k]
    if missing or unexpected:
        raise InputError(path, f"not the wav2vec2 XLSR-53 CTC layout (missing {missing[:3]}, unexpected {unexpected[:3]})",
                         "pass cpierse/wav2vec2-large-xlsr-53-esperanto's pytorch_model.bin")
    return model.to(device)


@torch.no_grad()
def wav2vec2_logits(model, samples: np.ndarray) -> torch.Tensor:
    """16 kHz mono samples -> (T, vocab) CTC logits at 50 fps."""
    x = torch.as_tensor(normalise_waveform(samples))[None].to(next(model.parameters()).device)
    return model(x).logits[0].float().cpu()


def frame_windows(logits: torch.Tensor, window: int = 16) -> torch.Tensor:
    """(T, C) logits -> (T//2 + 1, window, C): RAD-NeRF's unfold(kernel window, padding window/2, stride 2)."""
    t, c = logits.shape
    pad = window // 2
    padded = F.pad(logits.t(), (pad, pad))  # (C, T + window)
    windows = padded.unfold(1, window, 2)    # (C, N, window)
    return windows.permute(1, 2, 0).contiguous()


def attention_windows(windows: torch.Tensor, sequence: int = 8) -> torch.Tensor:
    """(N, window, C) -> (N, sequence, C, window): for frame i, windows i-seq/2 … i+seq/2-1, zeros outside
    (the released dataloader's `get_audio_features(att_mode=2)`, permuted to AudioNet's (C, window))."""
    n = windows.shape[0]
    half = sequence // 2
    padded = F.pad(windows.permute(0, 2, 1), (0, 0, 0, 0, half, half))  # (N + seq, C, window)
    idx = torch.arange(n)[:, None] + torch.arange(sequence)[None]
    return padded[idx]


def fit_length(x: torch.Tensor, n: int | None) -> torch.Tensor:
    """Trim to n rows, or pad by repeating the last row (the audio's end may fall short of the last frame)."""
    if n is None or len(x) == n:
        return x
    if len(x) > n:
        return x[:n]
    return torch.cat([x, x[-1:].expand(n - len(x), *x.shape[1:])], dim=0)


def audio_condition(model, samples: np.ndarray, n_frames: int | None = None, window: int = 16,
                    sequence: int = 8) -> torch.Tensor:
    """16 kHz samples -> (n_frames, sequence, 44, window): AudioNet's input for every 25 fps frame."""
    return attention_windows(fit_length(frame_windows(wav2vec2_logits(model, samples), window), n_frames), sequence)
