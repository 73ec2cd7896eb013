"""CelebA-HQ / CelebAMask-HQ: `CelebA-HQ-img/<i>.jpg` (i = 0…29999) and the CelebA mapping file.

A clip is one image, named by its CelebA-HQ index ("123"). The official-derived split uses the
CelebA `orig_idx` in `CelebA-HQ-to-CelebA-mapping.txt`: train < 162,771 ≤ val < 182,638 ≤ test.
"""
from __future__ import annotations

from ...errors import InputError
from .base import ClipFiles, Finding
from .clips import ClipFolderDataset

MAPPING_FILE = "CelebA-HQ-to-CelebA-mapping.txt"
N_IMAGES = 30000
VAL_START, TEST_START = 162771, 182638


class CelebAHQ(ClipFolderDataset):
    name = "celeba"
    clip_dir = "CelebA-HQ-img"
    layout = f"<root>/CelebA-HQ-img/<i>.jpg (i = 0…{N_IMAGES - 1}), optional <root>/{MAPPING_FILE} and CelebAMask-HQ-mask-anno/"

    def clip_files(self, clip: str, camera: str | None = None) -> ClipFiles:
        if not clip.isdigit():
            raise InputError(self.folder, f"'{clip}' is not a CelebA-HQ image index", "CelebA-HQ clips are named 0…29999")
        return super().clip_files(clip, camera)

    def split(self) -> dict[str, str]:
        """index -> train / val / test, from the mapping file."""
        path = self.safe(MAPPING_FILE)
        if not path.is_file():
            raise InputError(path, "does not exist", "copy it from CelebAMask-HQ")
        out = {}
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            parts = line.split()
            if len(parts) < 3 or not parts[0].isdigit() or not parts[1].isdigit():
                raise InputError(path, f"has a malformed line {line!r}", "use the official file (idx orig_idx orig_file)")
            orig = int(parts[1])
            out[parts[0]] = "train" if orig < VAL_START else "val" if orig < TEST_START else "test"
        return out

    def check_layout(self) -> list[Finding]:
        out = super().check_layout()
        if out:
            return out
        bad = [c for c in self.clip_ids() if not c.isdigit() or int(c) >= N_IMAGES]
        out += [Finding("malformed", c, f"not a CelebA-HQ index 0…{N_IMAGES - 1}") for c in bad]
        if self.safe(MAPPING_FILE).is_file():
            try:
                counts: dict[str, int] = {}
                for part in self.split().values():
                    counts[part] = counts.get(part, 0) + 1
                out.append(Finding("present", MAPPING_FILE, ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))))
            except InputError as exc:
                out.append(Finding("malformed", MAPPING_FILE, exc.problem))
        return out
