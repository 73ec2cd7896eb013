"""Protocol specs (YAML) and their frozen manifests (JSONL): loading, checking, hashing, listing."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from importlib.resources import files as package_files
from pathlib import Path
from typing import Any

from ..errors import InputError, UnknownNameError
from ..io.hashing import sha256_file, sha256_json
from ..io.jsonfloat import loads
from .refs import ITEM_ID, Ref

PROTOCOL_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
TASKS = ("reenactment", "nvs", "multiview-nxn")
LIST_STATUS = ("verbatim", "seeded-substitute", "positional", "synthetic")
BACKGROUNDS = ("full", "matted_black", "matted_white")
REQUIRED = ("id", "version", "title", "dataset", "dataset_version", "task", "description", "list_status", "metrics",
            "manifest", "manifest_sha256", "n_items")
ITEM_FIELDS = {"id", "source", "driving", "target", "audio", "cameras", "fps", "resolution", "background", "crop_recipe",
               "camera_recipe", "color_correction", "gt_sha256", "meta"}
REF_FIELDS = ("source", "driving", "target", "audio", "cameras")
ENV_PATH = "TALKBENCH_PROTOCOL_PATH"


@dataclass(frozen=True)
class MetricEntry:
    name: str
    options: dict[str, Any] = field(default_factory=dict)
    label: str | None = None
    where: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The name results are stored under (a label makes a restricted variant distinct)."""
        return self.name if not self.where else f"{self.name}@{'+'.join(f'{k}={v}' for k, v in sorted(self.where.items()))}"

    @classmethod
    def parse(cls, entry) -> "MetricEntry":
        if isinstance(entry, str):
            return cls(entry)
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            unknown = set(entry) - {"name", "options", "label", "where"}
            if unknown:
                raise ValueError(f"unknown metric entry fields {sorted(unknown)}")
            return cls(entry["name"], dict(entry.get("options") or {}), entry.get("label"), dict(entry.get("where") or {}))
        raise ValueError(f"a metric entry must be a name or {{name, options, label, where}}, got {entry!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "options": self.options, "label": self.label, "where": self.where}


@dataclass
class Protocol:
    spec: dict[str, Any]
    items: list[dict[str, Any]]  # resolved: spec defaults merged in
    path: Path | None = None

    @property
    def id(self) -> str:
        return self.spec["id"]

    @property
    def version(self) -> str:
        return str(self.spec["version"])

    @property
    def dataset(self) -> str:
        return self.spec["dataset"]

    @property
    def task(self) -> str:
        return self.spec["task"]

    @property
    def metrics(self) -> list[MetricEntry]:
        return [MetricEntry.parse(m) for m in self.spec["metrics"]]

    @property
    def hash(self) -> str:
        return protocol_hash(self.spec, self.items)

    @property
    def comparable(self) -> bool:
        return bool(self.spec.get("comparable", True))

    def datasets(self) -> list[str]:
        """Every dataset the items read from (the spec's first)."""
        names = [self.dataset]
        for item in self.items:
            for role in REF_FIELDS:
                ref = item.get(role)
                if isinstance(ref, dict) and ref.get("dataset") and ref["dataset"] not in names:
                    names.append(ref["dataset"])
        return names

    def clips(self, dataset: str | None = None) -> list[str]:
        dataset = dataset or self.dataset
        out: dict[str, None] = {}
        for item in self.items:
            for role in REF_FIELDS:
                ref = item.get(role)
                if isinstance(ref, dict) and (ref.get("dataset") or self.dataset) == dataset:
                    out[ref["clip"]] = None
        return list(out)

    def header(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "hash": self.hash}


def protocol_hash(spec: dict[str, Any], items: list[dict[str, Any]]) -> str:
    return sha256_json({"spec": spec, "items": items})


def search_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get(ENV_PATH, "").split(os.pathsep) if p]
    return [*extra, Path(str(package_files("talkbench.protocols").joinpath("specs")))]


def spec_paths() -> dict[str, Path]:
    """Protocol id -> spec file; earlier search folders win."""
    found: dict[str, Path] = {}
    for d in search_dirs():
        if d.is_dir():
            for p in sorted(d.glob("*.yaml")):
                found.setdefault(p.stem, p)
    return found


def find_spec(protocol: str | Path) -> Path:
    p = Path(protocol)
    if p.suffix in (".yaml", ".yml") and p.is_file():
        return p
    paths = spec_paths()
    if str(protocol) not in paths:
        import difflib

        close = difflib.get_close_matches(str(protocol), paths, n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UnknownNameError(f"unknown protocol '{protocol}'.{hint} `talkbench ls protocols` lists them.")
    return paths[str(protocol)]


def read_spec(path: Path) -> dict[str, Any]:
    import yaml

    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(path, f"is not valid YAML ({exc})", "fix the spec") from exc
    problem = spec_problem(spec, path)
    if problem:
        raise InputError(path, problem, "see talkbench/protocols/FORMAT.md")
    return spec


def spec_problem(spec, path: Path) -> str | None:
    if not isinstance(spec, dict):
        return "is not a mapping"
    missing = [k for k in REQUIRED if k not in spec]
    if missing:
        return f"lacks fields {missing}"
    if not PROTOCOL_ID.match(str(spec["id"])) or spec["id"] != path.stem:
        return f"id '{spec['id']}' must match [a-z0-9-]+ and the file name '{path.stem}'"
    if spec["task"] not in TASKS:
        return f"task '{spec['task']}' is not one of {TASKS}"
    if spec["list_status"] not in LIST_STATUS:
        return f"list_status '{spec['list_status']}' is not one of {LIST_STATUS}"
    if spec["list_status"] == "seeded-substitute" and not spec["id"].endswith("-substitute"):
        return "a seeded substitute's id must end in '-substitute'"
    try:
        for m in spec["metrics"]:
            MetricEntry.parse(m)
    except ValueError as exc:
        return str(exc)
    return None


def load_manifest(path: Path, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Read a manifest, check its sha256 against the spec and every item's fields; defaults merged in."""
    if not path.is_file():
        raise InputError(path, "does not exist", "the spec names a manifest file beside it")
    digest = sha256_file(path)
    if digest != spec["manifest_sha256"]:
        raise InputError(path, f"has sha256 {digest}, but the spec freezes {spec['manifest_sha256']}",
                         "restore the frozen manifest (a changed list needs a new protocol version)")
    items = [loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(items) != spec["n_items"]:
        raise InputError(path, f"has {len(items)} items but the spec says {spec['n_items']}", "regenerate the spec")
    return resolve_items(items, spec, path)


def resolve_items(items: list[dict], spec: dict[str, Any], where: Path | None = None) -> list[dict[str, Any]]:
    defaults = dict(spec.get("defaults") or {})
    seen: set[str] = set()
    out = []
    for n, item in enumerate(items, 1):
        problem = item_problem(item)
        if problem is None and item["id"] in seen:
            problem = f"duplicate item id '{item['id']}'"
        if problem:
            raise InputError(where, f"item {n}: {problem}", "see talkbench/protocols/FORMAT.md")
        seen.add(item["id"])
        out.append({**defaults, **item})
    return out


def item_problem(item) -> str | None:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not ITEM_ID.match(item["id"]):
        return f"needs an 'id' of letters, digits, . _ + - (got {item.get('id') if isinstance(item, dict) else item!r})"
    unknown = set(item) - ITEM_FIELDS
    if unknown:
        return f"unknown fields {sorted(unknown)}"
    if item.get("source") is None:
        return "has no 'source'"
    try:
        for role in REF_FIELDS:
            ref = Ref.parse(item.get(role))
            if ref is not None:
                _check_clip_path(ref.clip)
    except (ValueError, InputError) as exc:
        return str(exc)
    if item.get("background", "full") not in BACKGROUNDS:
        return f"background must be one of {BACKGROUNDS}"
    return None


def _check_clip_path(clip: str) -> None:
    """Static half of the root check (the adapter repeats it against the real root, symlinks included)."""
    p = Path(clip)
    if p.is_absolute() or any(part == ".." for part in p.parts) or clip.startswith("~") or "\\" in clip:
        raise InputError(clip, "leaves the dataset root", "manifest paths must be relative and stay inside the root")


def load_protocol(protocol: str | Path) -> Protocol:
    path = find_spec(protocol)
    spec = read_spec(path)
    if spec["manifest"] is None:
        raise InputError(path, "builds its items from the dataset (manifest: null)", "use open_protocol(spec, adapter)")
    items = load_manifest(path.parent / spec["manifest"], spec)
    return Protocol(spec, items, path)


def items_from_dataset(spec: dict[str, Any], clips: list[str]) -> list[dict[str, Any]]:
    """Items of a dataset-built protocol (`manifest: null`, e.g. custom): same-identity, frame 0 drives the rest."""
    items = [{"id": c, "source": {"clip": c, "frames": [0]}, "driving": {"clip": c, "frames": "1:"},
              "target": {"clip": c, "frames": "1:"}} for c in clips]
    return resolve_items(items, spec)


def protocol_rows() -> list[dict[str, Any]]:
    rows = []
    for pid, path in spec_paths().items():
        spec = read_spec(path)
        rows.append({"id": pid, "version": str(spec["version"]), "dataset": spec["dataset"], "task": spec["task"],
                     "items": spec["n_items"] if spec["manifest"] is not None else "(from data)",
                     "list": spec["list_status"], "title": spec["title"]})
    return rows


__all__ = ["Protocol", "MetricEntry", "load_protocol", "protocol_rows", "protocol_hash", "find_spec", "read_spec"]
