"""Audio decode / encode with PyAV: the 16 kHz mono int16 track SyncNet expects, and muxing audio into mp4.

Resampler: PyAV's ``AudioResampler`` builds an FFmpeg filter graph (abuffer → aformat → abuffersink);
format negotiation inserts libswresample with its default settings (polyphase sinc, filter size 32,
phase shift 10, cutoff 0.97, no dither for s16). That is the same library and the same defaults the
reference pipeline's ``ffmpeg -ac 1 -vn -acodec pcm_s16le -ar 16000`` uses, including the channel
downmix matrix (stereo → mono is (L + R)/2). The reference also passes ``-async 1``, which only
aligns the first timestamp; we decode from the first audio packet and record its start time instead.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import InputError

AUDIO_SUFFIXES = (".wav", ".mp3", ".flac", ".m4a", ".aac", ".ogg", ".opus")
SYNCNET_SAMPLE_RATE = 16000
RESAMPLER = "libswresample defaults via PyAV AudioResampler (as ffmpeg -ac 1 -ar 16000 -acodec pcm_s16le)"


@dataclass
class AudioTrack:
    """Decoded mono int16 samples and where they came from."""

    samples: np.ndarray  # int16, shape (n,)
    sample_rate: int
    source_rate: int
    source_channels: int
    source_codec: str
    start_time: float  # seconds, the first audio timestamp in the container (0 for plain audio files)
    path: str = ""

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.sample_rate)

    def describe(self) -> dict:
        return {"sample_rate": self.sample_rate, "source_rate": self.source_rate, "source_channels": self.source_channels,
                "source_codec": self.source_codec, "start_time": self.start_time, "n_samples": int(len(self.samples)),
                "resampler": RESAMPLER}


def _open_input(path: Path):
    import av

    if not path.is_file():
        raise InputError(path, "does not exist", "check the path")
    try:
        return av.open(str(path))
    except Exception as exc:
        raise InputError(path, f"cannot be opened as audio or video ({exc})",
                         "convert it, e.g. `ffmpeg -i IN -ac 1 -ar 16000 OUT.wav`") from exc


def has_audio(path: str | Path) -> bool:
    container = _open_input(Path(path))
    try:
        return bool(container.streams.audio)
    finally:
        container.close()


def read_audio(path: str | Path, sample_rate: int = SYNCNET_SAMPLE_RATE) -> AudioTrack:
    """The first audio track of a video or an audio file, downmixed to mono int16 at `sample_rate`."""
    import av

    path = Path(path)
    container = _open_input(path)
    try:
        if not container.streams.audio:
            what = "video" if container.streams.video else "file"
            raise InputError(path, f"this {what} has no audio track",
                             "pass a video with its audio, or give the audio separately (a wav/mp3/flac file)")
        stream = container.streams.audio[0]
        ctx = stream.codec_context
        src_rate, src_channels = int(ctx.sample_rate or 0), int(ctx.channels or 0)
        start = float(stream.start_time * stream.time_base) if stream.start_time is not None and stream.time_base else 0.0
        resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
        chunks: list[np.ndarray] = []
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
        codec = ctx.name
    except InputError:
        raise
    except Exception as exc:
        raise InputError(path, f"its audio could not be decoded ({exc})", "re-encode or replace the file") from exc
    finally:
        container.close()
    samples = np.concatenate(chunks).astype(np.int16, copy=False) if chunks else np.zeros(0, np.int16)
    return AudioTrack(samples, sample_rate, src_rate, src_channels, codec, start, str(path))


def _atomic_target(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    return tmp


def _encode_samples(container, stream, samples: np.ndarray, sample_rate: int) -> None:
    """Encode mono int16 samples through a resampler into the stream's own format and frame size."""
    import av

    resampler = av.AudioResampler(format=stream.codec_context.format.name, layout=stream.codec_context.layout.name,
                                  rate=stream.codec_context.sample_rate,
                                  frame_size=stream.codec_context.frame_size or None)
    pts = 0
    step = 4096
    for start in range(0, len(samples), step):
        chunk = np.ascontiguousarray(samples[start:start + step].reshape(1, -1).astype(np.int16))
        frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="mono")
        frame.sample_rate = sample_rate
        frame.pts, frame.time_base = pts, Fraction(1, sample_rate)
        pts += chunk.shape[1]
        for out in resampler.resample(frame):
            for packet in stream.encode(out):
                container.mux(packet)
    for out in resampler.resample(None):
        for packet in stream.encode(out):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def write_wav(path: str | Path, samples: np.ndarray, sample_rate: int = SYNCNET_SAMPLE_RATE) -> Path:
    """Write mono int16 samples as a PCM wav, atomically."""
    import av

    path = Path(path)
    tmp = _atomic_target(path)
    try:
        with av.open(tmp, mode="w", format="wav") as container:
            stream = container.add_stream("pcm_s16le", rate=sample_rate)
            stream.layout = "mono"
            _encode_samples(container, stream, np.asarray(samples), sample_rate)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def mux_audio(video: str | Path, audio: str | Path | AudioTrack, out: str | Path, codec: str = "aac",
              bitrate: int = 128_000) -> Path:
    """Copy the video stream of `video` (no re-encode) and add `audio` encoded as AAC, into `out` (mp4).

    `audio` is a wav/mp3/flac file, a video with an audio track, or an AudioTrack. The audio is
    written at its decoded rate (mono); it is not trimmed to the video length.
    """
    import av

    video, out = Path(video), Path(out)
    track = audio if isinstance(audio, AudioTrack) else read_audio(audio, sample_rate=_native_rate(Path(audio)))
    src = _open_input(video)
    tmp = _atomic_target(out)
    try:
        if not src.streams.video:
            raise InputError(video, "has no video stream", "pass the video to add the audio to")
        with av.open(tmp, mode="w") as dst:
            vin = src.streams.video[0]
            vout = dst.add_stream_from_template(vin)
            aout = dst.add_stream(codec, rate=track.sample_rate)
            aout.layout = "mono"
            if bitrate:
                aout.bit_rate = bitrate
            for packet in src.demux(vin):
                if packet.dts is None:
                    continue
                packet.stream = vout
                dst.mux(packet)
            _encode_samples(dst, aout, track.samples, track.sample_rate)
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    finally:
        src.close()
    return out


def _native_rate(path: Path) -> int:
    container = _open_input(path)
    try:
        if not container.streams.audio:
            raise InputError(path, "has no audio track", "pass a file with audio")
        return int(container.streams.audio[0].codec_context.sample_rate or SYNCNET_SAMPLE_RATE)
    finally:
        container.close()


@dataclass(frozen=True)
class AudioSpan:
    """The audio under `n_frames` video frames starting at frame `first_frame` of a clip at `fps`: what an
    audio-driven model is given for one protocol item (it must return exactly `n_frames` frames).

    Samples are cut from the decoded track at round(frame / fps · rate), counted from the track's first
    sample (a container's audio start offset is not applied), and zero-padded where the track ends early."""

    path: Path
    first_frame: int
    n_frames: int
    fps: float = 25.0

    def read(self, sample_rate: int = SYNCNET_SAMPLE_RATE) -> np.ndarray:
        samples = read_audio(self.path, sample_rate).samples
        start = int(round(self.first_frame / self.fps * sample_rate))
        stop = int(round((self.first_frame + self.n_frames) / self.fps * sample_rate))
        cut = samples[start:stop]
        return np.pad(cut, (0, stop - start - len(cut))) if len(cut) < stop - start else cut
