"""CelebV-HQ (Zhu et al., ECCV 2022): `celebvhq_info.json` + `processed/<clip_id>.mp4`.

Positional references "@k" index the natural-sorted clip ids of `celebvhq_info.json` (not the files
on disk), so a missing download never shifts which clip an item names.
"""
from __future__ import annotations

from ...errors import InputError
from ...io.atomic import read_json
from ...io.images import natural_key
from .base import Finding
from .clips import ClipFolderDataset

INFO_FILE = "celebvhq_info.json"
OFFICIAL_CLIP_COUNT = 35666
CLIP_FIELDS = ("ytb_id", "duration", "bbox", "attributes")


class CelebVHQ(ClipFolderDataset):
    name = "celebvhq"
    clip_dir = "processed"
    layout = f"<root>/{INFO_FILE} and <root>/processed/<clip_id>.mp4 (CelebV-HQ download_and_process.py output)"

    def info(self) -> dict:
        path = self.safe(INFO_FILE)
        if not path.is_file():
            raise InputError(path, "does not exist", "copy celebvhq_info.json from the CelebV-HQ repository into the root")
        try:
            data = read_json(path)
        except ValueError as exc:
            raise InputError(path, f"is not valid JSON ({exc})", "download it again") from exc
        if not isinstance(data, dict) or not isinstance(data.get("clips"), dict):
            raise InputError(path, "has no 'clips' mapping", "use the official celebvhq_info.json")
        return data

    def positional_list(self) -> list[str]:
        return sorted(self.info()["clips"], key=natural_key)

    def check_layout(self) -> list[Finding]:
        try:
            clips = self.info()["clips"]
        except InputError as exc:
            return [Finding("missing" if "does not exist" in exc.problem else "malformed", INFO_FILE, exc.problem)]
        out = super().check_layout()
        bad = [cid for cid, c in clips.items() if not isinstance(c, dict) or any(k not in c for k in CLIP_FIELDS)]
        if bad:
            out.append(Finding("malformed", INFO_FILE, f"{len(bad)} clips lack one of {CLIP_FIELDS}, e.g. {bad[0]}"))
        note = "" if len(clips) == OFFICIAL_CLIP_COUNT else f"; the official file lists {OFFICIAL_CLIP_COUNT}, so '@k' references differ"
        out.append(Finding("present" if not note else "malformed", INFO_FILE, f"{len(clips)} clips{note}"))
        return out
