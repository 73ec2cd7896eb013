"""HDTF (Zhang et al., CVPR 2021) in the universome/MRzzm clip naming: `<SUBSET>_<video>_<clip:03d>.mp4`.

The crop windows, zoom ratios and download resolutions of HDTF's public metadata ship as package
data (`protocols/data/hdtf_clips.json`, derived from the MRzzm/HDTF text files by the
maintenance script `scripts/protocols/generate.py --hdtf-metadata`), so validation knows every legitimate clip name.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib.resources import files as package_files

from .base import ClipFiles
from .clips import ClipFolderDataset


@lru_cache(maxsize=1)
def hdtf_clip_metadata() -> dict[str, dict]:
    text = package_files("talkbench.protocols").joinpath("data/hdtf_clips.json").read_text(encoding="utf-8")
    return json.loads(text)


class HDTF(ClipFolderDataset):
    name = "hdtf"
    layout = "<root>/<RD|WDA|WRA>_<video>_<clip:03d>.mp4 (universome/HDTF download.py output) or a frame folder of that name"
    name_pattern = re.compile(r"^(RD|WDA|WRA)_[A-Za-z0-9]+_\d{3}$")
    name_hint = "<RD|WDA|WRA>_<video>_<clip:03d>"

    def clip_problem(self, clip: str, files: ClipFiles, n_frames: int) -> str | None:
        meta = hdtf_clip_metadata().get(clip)
        if meta is None:
            return "not a clip of HDTF's public metadata (crop_wh lists every clip)"
        arr = files.decode([0])[0]
        h, w = arr.shape[:2]
        if h != w:
            return f"frames are {w}×{h}; HDTF crops are square (crop_wh {meta['crop_wh']})"
        return None
