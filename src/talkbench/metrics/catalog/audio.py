"""Audio-visual metrics: SyncNet LSE-D / LSE-C (two preprocessing modes) and the offline mouth-audio check."""
from . import Entry

_FULLFRAME = {"mode": "fullframe"}

ENTRIES = {
    # `track`: the real-video pipeline (face detection + tracking + reference crop)
    "lse_d": Entry("talkbench.metrics.lse_d:LSED"),
    "lse_c": Entry("talkbench.metrics.lse_c:LSEC"),
    # `fullframe`: the LRS script (whole frame resized to 224, no detection)
    "lse_d_fullframe": Entry("talkbench.metrics.lse_d:LSED", _FULLFRAME),
    "lse_c_fullframe": Entry("talkbench.metrics.lse_c:LSEC", _FULLFRAME),
    # offline check without SyncNet weights; its own backbone, never an LSE column
    "mouth_audio_offset": Entry("talkbench.metrics.mouth_audio:MouthAudioOffset"),
    "mouth_audio_corr": Entry("talkbench.metrics.mouth_audio:MouthAudioCorr"),
}

#: names that expand to several metrics on the command line (`--metrics lse`)
GROUPS = {
    "lse": ("lse_d", "lse_c"),
    "lse_fullframe": ("lse_d_fullframe", "lse_c_fullframe"),
    "mouth-audio": ("mouth_audio_offset", "mouth_audio_corr"),
}
