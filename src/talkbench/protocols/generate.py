"""Deterministic generation of every shipped protocol spec + manifest (and HDTF's clip metadata).

    python -m talkbench.protocols.generate [--out DIR] [--hdtf-metadata DIR]

Public lists are written verbatim; where a paper's list is not public, a seeded substitute is
drawn here (numpy PCG64, fixed seeds) and the result is committed. Running this again must give
byte-identical files (a test checks it).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..io.hashing import sha256_bytes
from .datasets.nersemble import FULL_HEIGHT, FULL_WIDTH

SPECS_DIR = Path(__file__).parent / "specs"
DATA_DIR = Path(__file__).parent / "data"

# specs/protocols.md §4.3: the 19-clip HDTF test list (GAGAvatar#40), in the published order
HDTF_TEST_CLIPS = (
    "WRA_ReneeEllmers_000", "WRA_GeoffDavis_000", "WDA_MikeDoyle_000", "WRA_JoePitts_000", "WRA_TimScott_000",
    "WRA_JohnThune_000", "WRA_ToddYoung_000", "WRA_RoyBlunt_000", "WDA_CatherineCortezMasto_000", "WRA_ErikPaulsen_000",
    "WRA_TomPrice_000", "WRA_TomCotton_000", "WRA_EricCantor_000", "WRA_RichardShelby_000", "WRA_RobPortman_000",
    "WDA_MartinHeinrich_000", "WRA_DeanHeller_000", "WRA_VickyHartzler_000", "WRA_ReincePriebus_000",
)
HDTF_CROSS_DRIVER = "WRA_EricCantor_000"
# §1.8: the 10 paper sequences (v2 names; 085's v1 folder is SEN-01-port_strong_smokey)
NERSEMBLE_PAPER_SEQUENCES = (
    ("018", "EMO-1-shout+laugh"), ("030", "EXP-2-eyes"), ("038", "EXP-1-head"), ("085", "SEN-10-port_strong_smokey"),
    ("097", "HAIR"), ("124", "FREE"), ("175", "EXP-6-tongue-1"), ("226", "EXP-3-cheeks+nose"), ("227", "EXP-5-mouth"),
    ("240", "EXP-4-lips"),
)
NERSEMBLE_HOLDOUT = ("222200040", "220700191", "222200043", "221501007")
NERSEMBLE_TRAIN = ("222200037", "222200041", "222200038", "222200036", "222200047", "222200048", "222200039",
                   "222200046", "222200049", "222200044", "222200045", "222200042")
# §1.10 proposal: one camera per column of the 2×8 rig, alternating rows
NERSEMBLE_NXN = ("222200042", "222200040", "222200036", "222200041", "222200037", "222200043", "222200049", "222200045")
NERSEMBLE_FRONTAL = "222200037"
NXN_DROPPED = ("124", "FREE")  # which sequence the paper dropped is unknown; FREE is the one trained on a sub-range
CELEBVHQ_CLIPS = 35666
CELEBA_IMAGES = 30000
PERSON_SPECIFIC = ("Obama", "May")

PIXEL = ["psnr", "ssim", "l1", "lpips"]
FACE = ["csim", "aed", "apd", "akd"]
#: GOHA's FID (src/test_celeba_cross.py + README): generated images against the *source* images, not a GT
#: (with `--model-option output=raw` the GOHA adapter writes the raw 224² renders instead of the 512² SR)
FID_VS_SOURCE = {"name": "fid", "options": {"real": "source"}, "label": "fid_vs_source"}


def spec(pid: str, title: str, dataset: str, dataset_version: str, task: str, list_status: str, description: str,
         metrics: list, defaults: dict, references: list[str], generator: dict | None = None, **extra) -> dict[str, Any]:
    out = {"id": pid, "version": "1.0", "title": title, "dataset": dataset, "dataset_version": dataset_version,
           "task": task, "list_status": list_status, "description": description, "references": references,
           "metrics": metrics, "defaults": defaults}
    if generator:
        out["generator"] = {"module": "talkbench.protocols.generate", **generator}
    out.update(extra)
    return out


def ref(clip: str, frames: Any = "all", **kw) -> dict[str, Any]:
    return {"clip": clip, **({} if frames == "all" else {"frames": frames}), **kw}


# -- HDTF ---------------------------------------------------------------------------------------
HDTF_DEFAULTS = {"fps": None, "resolution": [512, 512], "background": "full",
                 "crop_recipe": "hdtf-crop-wh-square+resize512-lanczos", "camera_recipe": None, "color_correction": None}
HDTF_REFS = ["specs/protocols.md §4.3", "xg-chu/GAGAvatar#40 (the 19 clips)", "theEricMa/OTAvatar#11 (EricCantor driver)",
             "GOHA (Li et al., NeurIPS 2023) §4.2"]


def hdtf_same_id():
    items = [{"id": c, "source": ref(c, [0]), "driving": ref(c, "1:"), "target": ref(c, "1:")} for c in HDTF_TEST_CLIPS]
    return spec("hdtf-same-id", "HDTF self-reenactment: frame 0 drives the rest, 19 test clips", "hdtf",
                "hdtf_universome_8c402f4", "reenactment", "verbatim",
                "Frame 0 of each of the 19 OTAvatar/StyleHEAT/GOHA test clips is the source; every other frame drives and is "
                "the ground truth.", PIXEL + FACE + ["fid"], HDTF_DEFAULTS, HDTF_REFS), items


def hdtf_cross_id():
    items = [{"id": f"{HDTF_CROSS_DRIVER}__drives__{c}", "source": ref(c, [0]), "driving": ref(HDTF_CROSS_DRIVER, "all"),
              "target": None, "meta": {"direction": "driver frames -> source identity"}} for c in HDTF_TEST_CLIPS]
    return spec("hdtf-cross-id", "HDTF cross-reenactment: WRA_EricCantor_000 drives frame 0 of each test clip", "hdtf",
                "hdtf_universome_8c402f4", "reenactment", "verbatim",
                "Every frame of WRA_EricCantor_000 drives frame 0 of each of the 19 test clips (itself included), as in "
                "OTAvatar's cross-identity loader; no ground truth, so identity/motion/set-level metrics.",
                ["csim", "aed", "apd", "fid"], HDTF_DEFAULTS, HDTF_REFS), items


def hdtf_to_celeba_substitute():
    seed, k = 0, 60
    images = sorted(int(i) for i in np.random.default_rng(seed).permutation(CELEBA_IMAGES)[:k])
    items = [{"id": f"{c}__drives__celeba-{i:05d}", "source": ref(str(i), [0], dataset="celeba"),
              "driving": ref(c, ":100"), "target": None} for c in HDTF_TEST_CLIPS for i in images]
    return spec("hdtf-to-celeba-substitute", "HDTF first 100 frames drive 60 seeded CelebA-HQ images (GOHA substitute)",
                "hdtf", "hdtf_universome_8c402f4", "reenactment", "seeded-substitute",
                "GOHA's 60 CelebA images are unpublished; this substitute draws 60 CelebA-HQ indices (0…29999) with "
                "numpy PCG64 seed 0. The first 100 frames of each of the 19 test clips drive each image: 1,140 items.",
                ["csim", "aed", "apd", "fid"], {**HDTF_DEFAULTS, "crop_recipe": "source: eg3d-in-the-wild-512"},
                HDTF_REFS + ["specs/protocols.md §5 (GAP: which 60 images)"],
                {"seed": seed, "params": {"images": k, "population": CELEBA_IMAGES}}, datasets=["hdtf", "celeba"]), items


# -- CelebV-HQ ----------------------------------------------------------------------------------
CELEBV_DEFAULTS = {"fps": 25, "resolution": [512, 512], "background": "full", "crop_recipe": "celebvhq-processed+resize512",
                   "camera_recipe": None, "color_correction": None}
CELEBV_REFS = ["specs/protocols.md §3 (no official split; GAP: Real3D-Portrait's 100 videos)", "Real3D-Portrait D.1"]


def _celebv_positions(seed: int, k: int) -> list[int]:
    return [int(i) for i in np.random.default_rng(seed).permutation(CELEBVHQ_CLIPS)[:k]]


def celebvhq_same_id_substitute():
    seed = 0
    pos = _celebv_positions(seed, 100)
    items = [{"id": f"celebvhq-{p:05d}", "source": ref(f"@{p}", [0]), "driving": ref(f"@{p}", "1:"),
              "target": ref(f"@{p}", "1:")} for p in pos]
    return spec("celebvhq-same-id-substitute", "CelebV-HQ self-reenactment on 100 seeded clips", "celebvhq",
                "celebvhq_info_v0.1", "reenactment", "seeded-substitute",
                "100 clips drawn with numpy PCG64 seed 0 from the natural-sorted clip ids of celebvhq_info.json "
                "(positions '@k', 35,666 clips); frame 0 is the source, the rest drive and are the ground truth.",
                PIXEL + FACE + ["fid"], CELEBV_DEFAULTS, CELEBV_REFS, {"seed": seed, "params": {"clips": 100}}), items


def celebvhq_cross_id_substitute():
    seed = 0
    pos = _celebv_positions(seed, 100)
    # pairs: a seeded shuffle made into one cycle, so every clip drives exactly one other clip, never itself
    order = np.random.default_rng(seed + 1).permutation(len(pos))
    driver_of = {pos[int(order[k])]: pos[int(order[(k + 1) % len(pos)])] for k in range(len(pos))}
    drivers = [driver_of[p] for p in pos]
    items = [{"id": f"celebvhq-{d:05d}__drives__celebvhq-{s:05d}", "source": ref(f"@{s}", [0]), "driving": ref(f"@{d}", "all"),
              "target": None, "meta": {"direction": "driver frames -> source identity"}} for s, d in zip(pos, drivers)]
    return spec("celebvhq-cross-id-substitute", "CelebV-HQ cross-reenactment: 100 frozen seeded pairs", "celebvhq",
                "celebvhq_info_v0.1", "reenactment", "seeded-substitute",
                "The 100 clips of celebvhq-same-id-substitute; each clip's frame 0 is driven by every frame of another of "
                "them (pairs drawn with seed 1, never a clip with itself), frozen here.",
                ["csim", "aed", "apd", "fid"], CELEBV_DEFAULTS, CELEBV_REFS, {"seed": seed, "params": {"pairs_seed": seed + 1}}), items


def celebvhq_audio_substitute():
    seed = 2
    pos = _celebv_positions(seed, 20)
    images, audios = pos[:10], pos[10:]
    items = [{"id": f"celebvhq-{a:05d}__speaks__celebvhq-{i:05d}", "source": ref(f"@{i}", [0]), "driving": None,
              "target": None, "audio": ref(f"@{a}", "all")} for i in images for a in audios]
    return spec("celebvhq-audio-substitute", "CelebV-HQ audio-driven: 10 seeded images × 10 seeded audios", "celebvhq",
                "celebvhq_info_v0.1", "reenactment", "seeded-substitute",
                "10 source images (frame 0) and 10 audio tracks from 20 distinct clips drawn with seed 2; every image speaks "
                "every audio (100 items), as Real3D-Portrait D.1 describes.",
                ["lse_c", "lse_d", "csim", "fid"], CELEBV_DEFAULTS, CELEBV_REFS, {"seed": seed, "params": {"images": 10, "audios": 10}}), items


# -- NeRSemble ----------------------------------------------------------------------------------
NERSEMBLE_REFS = ["specs/protocols.md §1", "tobias-kirschstein/nersemble README §3.2, §5"]


def nersemble_nxn_substitute():
    seqs = [s for s in NERSEMBLE_PAPER_SEQUENCES if s != NXN_DROPPED]
    items = [{"id": f"{pid}_{seq}", "source": ref(f"{pid}/{seq}", "linspace:15", serials=list(NERSEMBLE_NXN)),
              "cameras": ref(f"{pid}/{seq}", "linspace:15", serials=list(NERSEMBLE_NXN)),
              "target": ref(f"{pid}/{seq}", "linspace:15", serials=list(NERSEMBLE_NXN))} for pid, seq in seqs]
    metrics = ["psnr", "ssim", "lpips",
               {"name": "synthesis_quality", "options": {"base": "psnr"}}, {"name": "nvs_quality", "options": {"base": "psnr"}},
               {"name": "nvv", "options": {"base": "psnr"}}, {"name": "ivv", "options": {"base": "psnr"}},
               {"name": "csim", "label": "ID (substitute: report 1 − CSIM; the paper used a proprietary tracker)",
                "where": {"camera": NERSEMBLE_FRONTAL}},
               {"name": "aed", "label": "Expr (substitute: L2 of 3DMM expression coefficients)", "where": {"camera": NERSEMBLE_FRONTAL}}]
    return spec("nersemble-nxn-substitute", "NeRSemble N×N input/novel views: 8 cameras × 9 paper sequences (substitute)",
                "nersemble-v1", "nersemble_v1_paper_release", "multiview-nxn", "seeded-substitute",
                "Coherent3D's camera list and dropped sequence are unpublished. Substitute: 8 cameras, one per column of the "
                "2×8 rig alternating rows (specs/protocols.md §1.10 proposal), the 9 paper sequences without 124 FREE, 15 "
                "evenly spaced timesteps; every camera in, every camera out (score matrix T×8×8). ID and Expr columns on the "
                "frontal camera 222200037 are substitutes for the paper's proprietary tracker.",
                metrics, {"fps": 73, "resolution": [1100, 1604], "background": "full", "crop_recipe": "nersemble-2x-full-frame",
                          "camera_recipe": "opencv", "color_correction": True},
                NERSEMBLE_REFS + ["Coherent 3D Portrait Video Reconstruction via Triplane Fusion §4.1–4.2"],
                {"seed": 0, "params": {"rule": "one camera per column, alternating rows; drop 124 FREE"}}), items


def nersemble_paper_nvs():
    items = [{"id": f"{pid}_{seq}_cam{cam}", "source": ref(f"{pid}/{seq}", "linspace:15", serials=list(NERSEMBLE_TRAIN)),
              "cameras": ref(f"{pid}/{seq}", "linspace:15", serials=[cam]),
              "target": ref(f"{pid}/{seq}", "linspace:15", camera=cam)} for pid, seq in NERSEMBLE_PAPER_SEQUENCES
             for cam in NERSEMBLE_HOLDOUT]
    metrics = ["psnr", "ssim", "lpips", "mse", "psnr_masked", "ssim_masked", "mse_masked"]
    return spec("nersemble-paper-nvs", "NeRSemble paper NVS: 10 sequences, 12 train / 4 hold-out cameras, 15 timesteps",
                "nersemble-v1", "nersemble_v1_paper_release", "nvs", "verbatim",
                "The paper's 10 sequences; the model sees the 12 train cameras at each of 15 evenly spaced timesteps "
                "(int(linspace(0, n-1, 15))) and renders each of the 4 hold-out cameras, scored unmasked and masked (both "
                "composited onto white with the GT alpha). 2× resolution (1100×1604), colour-corrected.",
                metrics, {"fps": 73, "resolution": [1100, 1604], "background": "full", "crop_recipe": "nersemble-2x-full-frame",
                          "camera_recipe": "opencv", "color_correction": True,
                          "meta": {"full_resolution": [FULL_WIDTH, FULL_HEIGHT]}}, NERSEMBLE_REFS), items


# -- CelebA-HQ ----------------------------------------------------------------------------------
CELEBA_DEFAULTS = {"fps": None, "resolution": [512, 512], "background": "matted_black",
                   "crop_recipe": "eg3d-in-the-wild-512 (GOHA, no offsets)", "camera_recipe": "goha", "color_correction": None}
CELEBA_REFS = ["specs/protocols.md §5", "GOHA src/test_celeba_cross.py (consecutive natsorted pairs)"]


def celeba_reconstruction():
    items = [{"id": f"celeba-{i:05d}", "source": ref(str(i)), "driving": ref(str(i)), "target": ref(str(i))}
             for i in range(CELEBA_IMAGES)]
    return spec("celeba-reconstruction", "CelebA-HQ single-image reconstruction (GOHA)", "celeba", "celeba_hq_30000",
                "reenactment", "verbatim",
                "Each of the 30,000 CelebA-HQ images drives itself. GOHA kept 29,954 (faces without a confident MTCNN "
                "detection dropped); here such images are reported missing, never scored.",
                PIXEL + FACE, CELEBA_DEFAULTS, CELEBA_REFS), items


def celeba_cross_id():
    items = [{"id": f"celeba-{i + 1:05d}__drives__celeba-{i:05d}", "source": ref(str(i)), "driving": ref(str(i + 1))}
             for i in range(0, CELEBA_IMAGES, 2)]
    return spec("celeba-cross-id", "CelebA-HQ cross-identity: consecutive natsorted pairs (GOHA)", "celeba", "celeba_hq_30000",
                "reenactment", "verbatim",
                "Images in natural-sort order are paired (0→1, 2→3, …): the first is the source, the second drives "
                "(expression and pose). 15,000 pairs; FID against the source images (`fid_vs_source`, GOHA's "
                "recipe).",
                ["csim", "aed", "apd", FID_VS_SOURCE], CELEBA_DEFAULTS, CELEBA_REFS), items


# -- VFHQ, TH-1KH -------------------------------------------------------------------------------
VFHQ_DEFAULTS = {"fps": None, "resolution": [512, 512], "background": "full", "crop_recipe": "gagavatar-tracker-512",
                 "camera_recipe": None, "color_correction": None}
VFHQ_REFS = ["specs/protocols.md §6.1", "GAGAvatar core/data/loader_track.py", "aigc3d/LAM#7"]


def vfhq_same_id():
    items = [{"id": f"vfhq-{k:02d}", "source": ref(f"@{k}", [0]), "driving": ref(f"@{k}", "1:"), "target": ref(f"@{k}", "1:")}
             for k in range(50)]
    return spec("vfhq-same-id", "VFHQ-Test self-reenactment: frame 0 drives the rest (50 clips)", "vfhq", "vfhq_test_50",
                "reenactment", "positional",
                "The 50 VFHQ-Test clips (distributed on Baidu only), named by position '@k' in natural-sort order; frame 0 "
                "is the source, every other frame drives and is the ground truth.", PIXEL + FACE, VFHQ_DEFAULTS, VFHQ_REFS), items


def vfhq_cross_id():
    items = [{"id": f"vfhq-{k:02d}__drives__vfhq-{(k + 1) % 50:02d}", "source": ref(f"@{(k + 1) % 50}", [0]),
              "driving": ref(f"@{k}", "1:"), "target": None,
              "meta": {"direction": "sorted-next: frames of clip k drive frame 0 of clip k+1 (wrapping)"}} for k in range(50)]
    return spec("vfhq-cross-id", "VFHQ-Test cross-reenactment: sorted-next pairs (GAGAvatar direction)", "vfhq",
                "vfhq_test_50", "reenactment", "positional",
                "Clips sorted; the driving frames (all but frame 0) of clip k animate frame 0 of clip k+1, wrapping to the "
                "first (GAGAvatar's loader). LAM's description is the mirror image; this direction is frozen.",
                ["csim", "aed", "apd", "fid"], VFHQ_DEFAULTS, VFHQ_REFS), items


def th1kh_same_id():
    items = [{"id": f"th1kh-{k:02d}", "source": ref(f"@{k}", [0]), "driving": ref(f"@{k}", "1:"), "target": ref(f"@{k}", "1:")}
             for k in range(20)]
    return spec("th1kh-same-id", "TalkingHead-1KH val: first frame reconstructs the rest (20 clips)", "th1kh", "th1kh_val_1080p",
                "reenactment", "positional",
                "face-vid2vid's protocol (the first frame reconstructs all following frames) on the first 20 clips, in "
                "natural-sort order, of the 1080p val tubes (the list is inside data_list.zip; Export3D used 20).",
                PIXEL + FACE, {**VFHQ_DEFAULTS, "resolution": None, "crop_recipe": "th1kh-tube-native"},
                ["specs/protocols.md §6.2", "Export3D §4.1 (20 videos, UNVERIFIED)"]), items


# -- person-specific ----------------------------------------------------------------------------
def person_specific():
    items = []
    for name in PERSON_SPECIFIC:
        items.append({"id": f"{name}__audio", "source": ref(name, "first:10/11"), "driving": None,
                      "audio": ref(name, "last:1/11"), "target": ref(name, "last:1/11"), "meta": {"variant": "audio-driven"}})
    for name in PERSON_SPECIFIC:
        for other in PERSON_SPECIFIC:
            if other != name:
                items.append({"id": f"{name}__cross-audio-{other}", "source": ref(name, "first:10/11"), "driving": None,
                              "audio": ref(other, "last:1/11"), "target": None, "meta": {"variant": "cross-driven"}})
    return spec("person-specific", "Person-specific talking heads: last 1/11 of each video is the test split", "person-specific",
                "adnerf_obama+geneface_may", "reenactment", "verbatim",
                "AD-NeRF's Obama and GeneFace's May (the two redistributed videos), 25 fps. The model sees the first 10/11 "
                "of the frames (its training split); audio-driven items render the test audio of the same video (GT = last "
                "1/11), cross-driven items render the other speaker's test audio (no GT).",
                ["psnr", "ssim", "lpips", "lmd", "lse_c", "lse_d", "fid"],
                {"fps": 25, "resolution": None, "background": "full", "crop_recipe": "native", "camera_recipe": None,
                 "color_correction": None}, ["specs/protocols.md §7"]), items


def custom():
    return spec("custom", "Your own clips: frame 0 drives the rest of each clip (non-comparable)", "custom", "user",
                "reenactment", "synthetic",
                "Items come from the clips in --data (a folder or a JSONL list): frame 0 of each clip is the source, the "
                "rest drive and are the ground truth. Results are never comparable with published numbers.",
                PIXEL + FACE, {"fps": None, "resolution": None, "background": "full", "crop_recipe": "user",
                               "camera_recipe": None, "color_correction": None}, [], comparable=False), None


PROTOCOLS: dict[str, Callable[[], tuple[dict, list | None]]] = {
    "hdtf-same-id": hdtf_same_id, "hdtf-cross-id": hdtf_cross_id, "hdtf-to-celeba-substitute": hdtf_to_celeba_substitute,
    "celebvhq-same-id-substitute": celebvhq_same_id_substitute, "celebvhq-cross-id-substitute": celebvhq_cross_id_substitute,
    "celebvhq-audio-substitute": celebvhq_audio_substitute, "nersemble-nxn-substitute": nersemble_nxn_substitute,
    "nersemble-paper-nvs": nersemble_paper_nvs, "celeba-reconstruction": celeba_reconstruction,
    "celeba-cross-id": celeba_cross_id, "vfhq-same-id": vfhq_same_id, "vfhq-cross-id": vfhq_cross_id,
    "th1kh-same-id": th1kh_same_id, "person-specific": person_specific, "custom": custom,
}


def manifest_bytes(items: list[dict]) -> bytes:
    """One compact JSON object per line; null fields are left out (absent means null)."""
    lines = (json.dumps({k: v for k, v in it.items() if v is not None}, separators=(",", ":"), ensure_ascii=False)
             for it in items)
    return "".join(line + "\n" for line in lines).encode("utf-8")


def render(spec_dict: dict, items: list[dict] | None) -> tuple[str, bytes | None]:
    """(spec YAML text, manifest bytes) with the manifest hash and count filled in."""
    import yaml

    data = dict(spec_dict)
    if items is None:
        data.update({"manifest": None, "manifest_sha256": None, "n_items": None})
        body = None
    else:
        body = manifest_bytes(items)
        data.update({"manifest": f"{data['id']}.jsonl", "manifest_sha256": sha256_bytes(body), "n_items": len(items)})
    header = "# Generated by `python -m talkbench.protocols.generate`; edit the generator, not this file.\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120), body


def write_all(out: Path = SPECS_DIR, only: list[str] | None = None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for pid, build in PROTOCOLS.items():
        if only and pid not in only:
            continue
        text, body = render(*build())
        (out / f"{pid}.yaml").write_text(text, encoding="utf-8")
        written.append(out / f"{pid}.yaml")
        if body is not None:
            (out / f"{pid}.jsonl").write_bytes(body)
            written.append(out / f"{pid}.jsonl")
    return written


# -- HDTF metadata ------------------------------------------------------------------------------
def _lines(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8-sig") if path.is_file() else ""
    return [ln.split() for ln in text.splitlines() if ln.strip()]


def hdtf_metadata(folder: Path) -> dict[str, dict]:
    """Clip id -> crop window, zoom ratio, download height and annotated interval, from HDTF's text files."""
    out: dict[str, dict] = {}
    for subset in ("RD", "WDA", "WRA"):
        ratio = {p[0]: float(p[1]) for p in _lines(folder / f"{subset}_crop_ratio.txt")}
        height = {p[0]: int(p[1]) for p in _lines(folder / f"{subset}_resolution.txt")}
        intervals = {p[0]: p[1:] for p in _lines(folder / f"{subset}_annotion_time.txt")}
        for parts in _lines(folder / f"{subset}_crop_wh.txt"):
            name = parts[0].removesuffix(".mp4")
            video, _, clip = name.rpartition("_")
            ivs = intervals.get(f"{video}.mp4", [])
            k = int(clip)
            out[f"{subset}_{video}_{k:03d}"] = {
                "video": video, "clip": k, "crop_wh": [int(v) for v in parts[1:5]], "crop_ratio": ratio.get(parts[0]),
                "download_height": height.get(f"{video}.mp4"), "interval": ivs[k] if k < len(ivs) else None,
            }
    return dict(sorted(out.items()))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", type=Path, default=SPECS_DIR)
    p.add_argument("--hdtf-metadata", type=Path, help="folder with HDTF's *_crop_wh.txt etc.; rewrites data/hdtf_clips.json")
    p.add_argument("--only", nargs="*")
    args = p.parse_args(argv)
    if args.hdtf_metadata:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        (DATA_DIR / "hdtf_clips.json").write_text(json.dumps(hdtf_metadata(args.hdtf_metadata), indent=1) + "\n", encoding="utf-8")
    for path in write_all(args.out, args.only):
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
