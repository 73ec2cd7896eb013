"""`talkbench validate`: a dataset's layout, and prediction folders checked like the NeRSemble server
does (names, frame counts, resolution, fps) before anything is scored."""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError, TalkbenchError
from .datasets import open_dataset
from .datasets.base import Finding, find_clip_files
from .inputs import TASKS
from .spec import Protocol, find_spec, items_from_dataset, load_protocol, read_spec


def validate_dataset(name: str, root: Path, clips: list[str] | None = None, deep: bool = False) -> list[Finding]:
    """Layout findings; with no clip list, every clip the shipped protocols of this dataset need."""
    adapter = open_dataset(name, root)
    if clips is None:
        clips = protocol_clips(name)
    return adapter.validate(clips if clips else None, deep=deep)


def protocol_clips(dataset: str) -> list[str]:
    from .spec import spec_paths

    out: dict[str, None] = {}
    for path in spec_paths().values():
        spec = read_spec(path)
        if spec["manifest"] is None or dataset not in (spec["dataset"], *spec.get("datasets", ())):
            continue
        proto = load_protocol(path)
        if dataset in proto.datasets():
            out.update(dict.fromkeys(proto.clips(dataset)))
    return list(out)


def validate_predictions(protocol: str, pred: Path | None, root: Path | None, deep: bool = False) -> list[Finding]:
    path = find_spec(protocol)
    spec = read_spec(path)
    if spec["manifest"] is None:
        if root is None:
            raise InputError(None, f"protocol '{protocol}' builds its items from the data", "pass --root")
        proto = Protocol(spec, items_from_dataset(spec, open_dataset(spec["dataset"], root).clip_ids()), path)
    else:
        proto = load_protocol(path)
    findings: list[Finding] = []
    if pred is not None and not pred.is_dir():
        raise InputError(pred, "is not a folder" if pred.exists() else "does not exist",
                         "pass the folder holding one video or frame folder per item id")
    adapters = {proto.dataset: open_dataset(proto.dataset, root)} if root is not None else None
    if adapters is not None and pred is None:
        return adapters[proto.dataset].validate(proto.clips(), deep=deep)
    expected_ids = {it["id"] for it in proto.items}
    if pred is not None and pred.is_dir():
        for p in sorted(pred.iterdir()):
            if not p.name.startswith(".") and p.stem not in expected_ids and p.name not in expected_ids:
                findings.append(Finding("malformed", p.name, f"no item of {proto.id} is named '{p.stem}'"))
    for item in proto.items:
        findings.append(check_prediction(item, proto, pred, adapters, deep))
    return findings


def check_prediction(item: dict, proto: Protocol, pred: Path | None, adapters, deep: bool) -> Finding:
    files = find_clip_files(pred, item["id"]) if pred is not None else None
    if files is None or files.kind == "image":
        return Finding("missing", item["id"], f"expected {item['id']}.mp4 or {item['id']}/ in {pred}")
    try:
        n = files.count()
        first = files.decode([0])[0] if n else None
        if deep and n:
            files.decode(list(range(n)))
    except TalkbenchError as exc:
        return Finding("malformed", item["id"], str(exc))
    if first is None:
        return Finding("malformed", item["id"], "holds no frames")
    problems = []
    size = item.get("resolution")
    if size and (first.shape[1], first.shape[0]) != tuple(size):
        problems.append(f"frames are {first.shape[1]}×{first.shape[0]}, the protocol renders {size[0]}×{size[1]}")
    fps = files.fps()
    if item.get("fps") and fps and abs(fps - float(item["fps"])) > 0.01:
        problems.append(f"video is {fps:g} fps, the protocol's clips are {item['fps']} fps")
    if adapters is not None:
        try:
            expected = TASKS[proto.task](item, adapters, proto.dataset).n_pred
            if expected is not None and expected != n:
                problems.append(f"{n} frames, the item needs {expected}")
        except TalkbenchError as exc:
            problems.append(f"cannot count the expected frames: {exc}")
    if problems:
        return Finding("malformed", item["id"], "; ".join(problems))
    return Finding("present", item["id"], f"{n} frames")


def prediction_paths(pred: Path, item_id: str) -> list[Path]:
    """The files a prediction of one item consists of (the video, or the folder's images)."""
    from ..io.images import list_images

    files = find_clip_files(pred, item_id)
    if files is None:
        return []
    return [files.path, *(list_images(files.path) if files.kind == "folder" else [])]


def pred_reasons(pred: Path, proto: Protocol, roots: dict[str, str]) -> list[str]:
    """Non-comparability reasons of a --pred folder: predictions that resolve (through symlinks) into a dataset
    root are the ground truth itself, not a model's output; they are scored, with a warning, but never comparable."""
    from ..logs import get_logger
    from .refs import is_inside

    into = [it["id"] for it in proto.items
            if any(is_inside(root, p) for p in prediction_paths(pred, it["id"]) for root in roots.values())]
    if not into:
        return []
    shown = ", ".join(into[:5]) + (f" and {len(into) - 5} more" if len(into) > 5 else "")
    reason = f"{len(into)} prediction(s) in {pred} resolve into the dataset's own files (ground truth): {shown}"
    get_logger("run").warning("%s; the run is marked non-comparable", reason)
    return [reason]
