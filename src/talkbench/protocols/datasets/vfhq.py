"""VFHQ (Xie et al., CVPRW 2022): one video or frame folder per clip, `Clip+<ytid>+P<person>+C<clip>`.

The 50-clip VFHQ-Test list is distributed only on Baidu, so the VFHQ protocols name clips by
position ("@k") in the natural-sorted folder of the test set.
"""
from __future__ import annotations

import re

from .clips import ClipFolderDataset


class VFHQ(ClipFolderDataset):
    name = "vfhq"
    layout = "<root>/<clip>.mp4 or <root>/<clip>/<frame>.png for each VFHQ-Test clip (Clip+<ytid>+P<p>+C<c>)"
    name_pattern = re.compile(r"^(Clip\+[A-Za-z0-9_-]+\+P\d+\+C\d+(\+F\d+-\d+)?|\d{6})$")
    name_hint = "Clip+<ytid>+P<person>+C<clip> (or GAGAvatar's 6-digit ids)"
