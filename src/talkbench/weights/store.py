"""Official weight files: where they live, how they are verified, how they are loaded.

Every file is checked against its published sha256 before ``torch.load(weights_only=True)``;
a missing file raises MissingWeightsError naming the file, a URL and ``talkbench weights import``.
Nothing here imports torchvision, lpips or facenet_pytorch: files shipped inside those packages are
found through the package's installed-file metadata.

Install locations (``WeightsSpec.install``):
- ``talkbench``: ``$TALKBENCH_HOME/weights/<file>`` (default ``~/.cache/talkbench``); the torch hub
  cache is also searched, where pytorch-fid and torchvision leave their downloads.
- ``torch-hub``: ``$TORCH_HOME/hub/checkpoints/<file>``, where face-alignment looks.
- ``insightface-pack``: ``~/.insightface/models/<pack>/`` (``$TALKBENCH_INSIGHTFACE_ROOT`` overrides the root).
- ``package``: a file inside an installed Python distribution (``package``), e.g. lpips' linear layers.
"""
from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import MissingWeightsError, UnknownNameError, WeightsMismatchError
from ..io.paths import talkbench_home
from . import catalog
from .spec import WeightsSpec

# -- locations -----------------------------------------------------------------------------------
def torch_hub_checkpoints() -> Path:
    """torch.hub.get_dir()/checkpoints, computed the way torch does without importing it."""
    torch_home = os.environ.get("TORCH_HOME")
    if not torch_home:
        cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        torch_home = os.path.join(cache, "torch")
    return Path(torch_home).expanduser() / "hub" / "checkpoints"


def insightface_root() -> Path:
    return Path(os.environ.get("TALKBENCH_INSIGHTFACE_ROOT") or Path.home() / ".insightface").expanduser()


def package_file(distribution: str, relative: str) -> Path | None:
    """A file shipped inside an installed distribution, found without importing the package."""
    from importlib import metadata

    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return _package_file_from_spec(relative)
    path = Path(str(dist.locate_file(relative)))
    return path if path.exists() else _package_file_from_spec(relative)


def _package_file_from_spec(relative: str) -> Path | None:
    """Fallback: walk up from the top-level package's spec origin (find_spec does not execute it)."""
    import importlib.util

    top = relative.split("/", 1)[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        candidate = Path(loc).parent / relative
        if candidate.exists():
            return candidate
    return None


def install_path(spec: WeightsSpec) -> Path:
    """Where the file (or folder) is installed, or would be installed."""
    if spec.install == "talkbench":
        return talkbench_home() / "weights" / spec.file
    if spec.install == "torch-hub":
        return torch_hub_checkpoints() / spec.basename
    if spec.install == "insightface-pack":
        return insightface_root() / "models" / spec.file
    found = package_file(spec.package or "", spec.file)
    return found if found is not None else Path(f"<{spec.package} not installed>") / spec.file


def candidate_paths(spec: WeightsSpec) -> list[Path]:
    """Every place the file is looked for, in order."""
    paths = [install_path(spec)]
    if spec.install == "talkbench" and spec.kind == "file":
        paths.append(torch_hub_checkpoints() / spec.basename)
    return paths


# -- catalog -------------------------------------------------------------------------------------
def _catalog() -> dict[str, WeightsSpec]:
    return {s.id: s for s in catalog.SPECS}


def list_weights() -> list[WeightsSpec]:
    return list(_catalog().values())


def get_weights_spec(weights_id: str) -> WeightsSpec:
    cat = _catalog()
    if weights_id in cat:
        return cat[weights_id]
    close = difflib.get_close_matches(weights_id, cat.keys(), n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise UnknownNameError(f"unknown weights id '{weights_id}'.{hint} `talkbench weights status` lists them all.")


def find_present(spec: WeightsSpec) -> Path | None:
    for p in candidate_paths(spec):
        if (p.is_dir() if spec.kind == "folder" else p.is_file()):
            return p
    return None


def locate_weights(weights_id: str | WeightsSpec) -> Path:
    """The installed path, or MissingWeightsError naming the file, a URL and the import command."""
    spec = weights_id if isinstance(weights_id, WeightsSpec) else get_weights_spec(weights_id)
    found = find_present(spec)
    if found is None:
        raise MissingWeightsError(spec.basename, spec.id, spec.urls,
                                  where=", ".join(str(p) for p in candidate_paths(spec)))
    return found


def missing_reason(spec: WeightsSpec) -> str:
    """The short reason a runner records for an item scored without these weights."""
    return f"missing weights: {spec.basename} ({spec.import_hint})"


# -- verification --------------------------------------------------------------------------------
_HASH_CACHE: dict[tuple[str, int, int], str] = {}


def file_sha256(path: str | Path) -> str:
    """sha256 of a file, memoised on (path, size, mtime) so repeated loads hash once."""
    from ..io.hashing import sha256_file

    p = Path(path).resolve()
    st = p.stat()
    key = (str(p), st.st_size, st.st_mtime_ns)
    if key not in _HASH_CACHE:
        _HASH_CACHE[key] = sha256_file(p)
    return _HASH_CACHE[key]


def check_sha256(path: str | Path, expected: str | None) -> str:
    """Return the file's sha256; raise WeightsMismatchError if it differs from `expected`."""
    actual = file_sha256(path)
    if expected is not None and actual != expected.lower():
        raise WeightsMismatchError(path, expected, actual)
    return actual


def verify_folder(spec: WeightsSpec, folder: Path) -> list[str]:
    """Problems with a folder pack (missing members, mismatching hashes); empty when it is intact."""
    problems = []
    for name, sha, _size in spec.members:
        member = folder / name
        if not member.is_file():
            problems.append(f"{name}: missing")
        elif sha is not None and file_sha256(member) != sha:
            problems.append(f"{name}: sha256 {file_sha256(member)} does not match the official {sha}")
    return problems


@dataclass(frozen=True)
class VerifiedFile:
    path: Path
    sha256: str
    spec: WeightsSpec | None = None


def verified_weights(weights_id: str | WeightsSpec) -> VerifiedFile:
    """Locate a catalogued file and check its sha256 (the card records the returned hash)."""
    spec = weights_id if isinstance(weights_id, WeightsSpec) else get_weights_spec(weights_id)
    path = locate_weights(spec)
    if spec.kind == "folder":
        problems = verify_folder(spec, path)
        if problems:
            raise WeightsMismatchError(path, "member hashes", "; ".join(problems))
        return VerifiedFile(path, spec.sha256 or "", spec)
    return VerifiedFile(path, check_sha256(path, spec.sha256), spec)


def load_checkpoint_file(path: str | Path, sha256: str | None = None, fix: str = "re-save it as plain tensors") -> Any:
    """`torch.load(weights_only=True)` of a model checkpoint after an optional sha256 check; a file that needs
    arbitrary objects (a pickle embedding code or classes) is refused with an InputError naming it and `fix`."""
    import pickle

    import torch

    from ..errors import InputError

    p = Path(path)
    if sha256 is not None:
        check_sha256(p, sha256)
    try:
        return torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise InputError(p, f"the checkpoint holds objects that a weights-only load refuses ({exc})", fix) from None


def load_verified_state_dict(path_or_id: str | Path | WeightsSpec, sha256: str | None = None,
                             wrapper_key: str | None = None) -> dict[str, Any]:
    """sha256 check, then torch.load(weights_only=True); unwraps e.g. Deep3DFaceRecon's {'net_recon': ...}.

    `path_or_id` is a catalog id (its official sha256 and wrapper key apply unless given) or a file path.
    """
    import torch

    spec = None
    if isinstance(path_or_id, WeightsSpec):
        spec = path_or_id
    elif isinstance(path_or_id, str) and path_or_id in _catalog() and not Path(path_or_id).exists():
        spec = get_weights_spec(path_or_id)
    if spec is not None:
        if spec.kind != "file":
            raise ValueError(f"weights '{spec.id}' is a folder pack, not a state_dict file")
        path = locate_weights(spec)
        sha256 = sha256 or spec.sha256
        wrapper_key = wrapper_key or spec.wrapper_key
    else:
        path = Path(path_or_id)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such weights file")
    check_sha256(path, sha256)
    obj = torch.load(path, map_location="cpu", weights_only=True)
    if wrapper_key is not None:
        if not isinstance(obj, Mapping) or wrapper_key not in obj:
            keys = list(obj)[:5] if isinstance(obj, Mapping) else type(obj).__name__
            raise ValueError(f"{path}: expected a checkpoint dict with key '{wrapper_key}', found {keys}")
        obj = obj[wrapper_key]
    if not isinstance(obj, Mapping):
        raise ValueError(f"{path}: expected a state_dict (name -> tensor), found {type(obj).__name__}")
    return dict(obj)


def load_into(module: Any, state_dict: Mapping[str, Any], optional_suffixes: tuple[str, ...] = ("num_batches_tracked",)) -> None:
    """load_state_dict strictly, except that keys ending in `optional_suffixes` may be absent from the file."""
    result = module.load_state_dict(dict(state_dict), strict=False)
    missing = [k for k in result.missing_keys if not k.endswith(optional_suffixes)]
    if missing or result.unexpected_keys:
        raise ValueError(f"state_dict does not fit {type(module).__name__}: missing {missing[:5]} "
                         f"({len(missing)}), unexpected {list(result.unexpected_keys)[:5]} ({len(result.unexpected_keys)})")


__all__ = [
    "WeightsSpec", "VerifiedFile", "talkbench_home", "install_path", "get_weights_spec", "list_weights",
    "locate_weights", "load_verified_state_dict", "verified_weights", "file_sha256", "check_sha256",
    "missing_reason", "load_into", "find_present", "candidate_paths", "package_file", "torch_hub_checkpoints",
    "insightface_root", "verify_folder",
]
