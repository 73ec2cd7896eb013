"""TalkingHead-1KH (Wang et al., CVPR 2021): tube clips `<video>_S<S>_E<E>_L<L>_T<T>_R<R>_B<B>.mp4`.

The frame range S…E is inclusive, so a complete clip has E − S + 1 frames; fewer means truncated.
"""
from __future__ import annotations

import re

from .base import ClipFiles
from .clips import ClipFolderDataset

TUBE = re.compile(r"^(?P<video>.+)_S(?P<S>\d+)_E(?P<E>\d+)_L(?P<L>\d+)_T(?P<T>\d+)_R(?P<R>\d+)_B(?P<B>\d+)$")


class TalkingHead1KH(ClipFolderDataset):
    name = "th1kh"
    clip_dir = "val"
    layout = "<root>/val/<video>_S<S>_E<E>_L<L>_T<T>_R<R>_B<B>.mp4 (videos_crop.py output for the 1080p val tubes)"
    name_pattern = TUBE
    name_hint = "<video>_S<S>_E<E>_L<L>_T<T>_R<R>_B<B>"

    def clip_problem(self, clip: str, files: ClipFiles, n_frames: int) -> str | None:
        m = TUBE.match(clip)
        if m is None:
            return None
        expected = int(m["E"]) - int(m["S"]) + 1
        if files.kind == "video" and n_frames != expected:
            return f"{n_frames} frames but the tube S{m['S']}…E{m['E']} has {expected}: truncated or re-encoded"
        return None
