"""Installing official weights: status, fetch (download + verify), import (copy + verify), verify.

Every install is verified before it lands: files are hashed while being copied or downloaded into a
temporary file next to the destination and renamed into place only when the sha256 matches, so a
wrong or truncated file installs nothing.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable
from urllib.parse import urlparse

from ..errors import InputError, TalkbenchError, WeightsMismatchError
from .store import (
    WeightsSpec, candidate_paths, file_sha256, find_present, get_weights_spec, install_path, list_weights,
    verify_folder,
)

#: hosts that serve a web page (folder listing, login) rather than the file itself
_PAGE_HOSTS = ("drive.google.com", "onedrive.live.com", "1drv.ms", "pan.baidu.com", "pypi.org")
_CHUNK = 1 << 20


class FetchError(TalkbenchError):
    """A download could not be made (no internet, no direct URL, HTTP error)."""


# -- status / verify -------------------------------------------------------------------------------
def status_rows() -> list[dict]:
    """One row per catalogued file: present or missing, and where it is (or would be) installed."""
    rows = []
    for spec in list_weights():
        found = find_present(spec)
        present = "missing"
        if found is not None:
            present = "present"
            if spec.kind == "file" and spec.size_bytes and found.stat().st_size != spec.size_bytes:
                present = "present (size differs: run verify)"
        rows.append({
            "id": spec.id, "file": spec.basename, "present": present, "install": spec.install,
            "location": str(found or install_path(spec)), "backbone": spec.backbone,
            "sha256": spec.sha256, "size_bytes": spec.size_bytes, "licence": spec.licence,
            "url": spec.urls[0] if spec.urls else None, "manifest": spec.manifest, "note": spec.note,
            "licence_short": spec.licence.split(" (")[0].split(";")[0].strip(),
            "fetch": ("pip install " + str(spec.package)) if spec.install == "package" else
                     ("talkbench weights fetch " + spec.id) if direct_urls(spec) else
                     "browser, then " + spec.import_hint,
        })
    return rows


#: files a loader reads besides the one a metric card names (FAN's constructor loads the S3FD detector)
COMPANIONS: dict[str, tuple[str, ...]] = {"fan_2d": ("s3fd",), "blazeface": ("blazeface_anchors",)}


def specs_for_backbone(backbone_id: str | None, weights_file: str | None) -> list[WeightsSpec]:
    """The catalogued files behind a metric card's backbone: matched by file name (a card names
    several files as "a+b") or backbone id, plus their COMPANIONS, in catalogue order."""
    parts = {p.strip() for p in (weights_file or "").split("+") if p.strip()}
    ids = [s.id for s in list_weights()
           if s.file in parts or s.basename in parts or (backbone_id and s.backbone == backbone_id)]
    for i in list(ids):
        ids += [c for c in COMPANIONS.get(i, ()) if c not in ids]
    order = [s.id for s in list_weights()]
    return [get_weights_spec(i) for i in sorted(set(ids), key=order.index)]


def fetch_many(specs: list[WeightsSpec], timeout: float = 30.0, force: bool = False,
               opener: Callable | None = None) -> list[dict]:
    """Fetch several files, one row each: installed / already present / pip package / FAILED (the
    reason and the `weights import` command). One failure does not stop the others."""
    rows = []
    for spec in specs:
        row = {"id": spec.id, "file": spec.basename, "url": spec.urls[0] if spec.urls else None}
        if spec.install == "package":
            found = find_present(spec)
            row.update(result="present (pip package)" if found else f"missing: pip install {spec.package}",
                       path=str(found) if found else None, ok=found is not None)
        else:
            try:
                res = fetch_weights(spec.id, timeout=timeout, force=force, opener=opener)
                row.update(result="already present" if res.url is None else f"installed from {res.url}",
                           path=str(res.path), ok=True)
            except (FetchError, WeightsMismatchError) as exc:
                row.update(result=f"FAILED: {exc}", path=None, ok=False)
        rows.append(row)
    return rows


def verify_rows(ids: list[str] | None = None) -> list[dict]:
    """Hash every present file (or the given ids) against its official sha256."""
    specs = [get_weights_spec(i) for i in ids] if ids else list_weights()
    rows = []
    for spec in specs:
        found = find_present(spec)
        row = {"id": spec.id, "file": spec.basename, "location": str(found or install_path(spec)), "actual_sha256": None}
        if found is None:
            row["result"] = "missing"
        elif spec.kind == "folder":
            problems = verify_folder(spec, found)
            row["result"] = "ok" if not problems else "MISMATCH: " + "; ".join(problems)
        else:
            actual = file_sha256(found)
            row["actual_sha256"] = actual
            if spec.sha256 is None:
                row["result"] = "unverifiable (no official sha256)"
            else:
                row["result"] = "ok" if actual == spec.sha256 else f"MISMATCH (expected {spec.sha256})"
        rows.append(row)
    return rows


# -- import ----------------------------------------------------------------------------------------
def identify(source: Path, weights_id: str | None = None) -> WeightsSpec:
    """The catalog entry a user-supplied file or folder is for: --id, else its name, else its sha256."""
    if weights_id:
        return get_weights_spec(weights_id)
    specs = list_weights()
    is_pack = source.is_dir() or source.suffix == ".zip"
    name = source.stem if source.suffix == ".zip" else source.name
    by_name = [s for s in specs if s.basename == name and (s.kind == "folder") == is_pack]
    if len(by_name) > 1:  # e.g. two arcface backbone.pth: the parent folder decides
        by_name = [s for s in by_name if Path(s.file).parent.name == source.parent.name] or by_name
    if len(by_name) == 1:
        return by_name[0]
    if source.is_file() and not is_pack:
        digest = file_sha256(source)
        by_hash = [s for s in specs if s.sha256 == digest]
        if len(by_hash) == 1:
            return by_hash[0]
    candidates = ", ".join(s.id for s in by_name) or "none"
    raise InputError(source, f"cannot tell which official weights this is (name matches: {candidates})",
                     "pass --id ID (`talkbench weights status` lists the ids)")


def import_weights(source: str | Path, weights_id: str | None = None) -> tuple[WeightsSpec, Path]:
    """Copy a user-supplied file, folder or .zip into place after verifying it; returns (spec, installed path)."""
    source = Path(source).expanduser()
    if not source.exists():
        raise InputError(source, "no such file or folder", "give the path of the downloaded weights")
    spec = identify(source, weights_id)
    if spec.install == "package":
        raise InputError(source, f"'{spec.id}' ships inside the PyPI package {spec.package}, not as a separate file",
                         f"pip install {spec.package}")
    if spec.kind == "folder":
        return spec, _install_pack(spec, source)
    if source.is_dir():
        raise InputError(source, f"'{spec.id}' is a single file ({spec.basename}), but a folder was given",
                         f"pass the path of {spec.basename}")
    with open(source, "rb") as fh:
        return spec, _install_stream(spec, fh, source.stat().st_size, str(source))


def _install_stream(spec: WeightsSpec, stream: BinaryIO, total: int | None, label: str,
                    progress: bool = False) -> Path:
    """Copy a byte stream to a temp file beside the destination, hashing on the way; rename only if it matches."""
    dest = install_path(spec)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    digest = hashlib.sha256()
    bar = _progress_bar(total, spec.basename) if progress else None
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
                if bar is not None:
                    bar.update(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if spec.sha256 is not None and actual != spec.sha256:
            raise WeightsMismatchError(label, spec.sha256, actual)
        os.replace(tmp, dest)
    except BaseException:
        _unlink(Path(tmp))
        raise
    finally:
        if bar is not None:
            bar.close()
    return dest


def _install_pack(spec: WeightsSpec, source: Path) -> Path:
    """Install a folder pack from a folder or a .zip: staged beside the destination, members verified, renamed."""
    dest = install_path(spec)
    dest.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent))
    try:
        if source.is_dir():
            shutil.copytree(source, stage, dirs_exist_ok=True)
        elif zipfile.is_zipfile(source):
            with zipfile.ZipFile(source) as zf:
                _safe_extract(zf, stage)
        else:
            raise InputError(source, f"'{spec.id}' is a folder of files; expected a folder or a .zip", "")
        root = _pack_root(spec, stage)
        problems = verify_folder(spec, root)
        if problems:
            raise WeightsMismatchError(source, f"the official {spec.id} files", "; ".join(problems))
        old = None
        if dest.exists():
            old = dest.with_name(f".{dest.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(dest, old)
        os.replace(root, dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return dest


def _pack_root(spec: WeightsSpec, stage: Path) -> Path:
    """The folder holding the pack's files (zips often nest them one or two levels deep)."""
    first = spec.members[0][0] if spec.members else None
    if first is None or (stage / first).exists():
        return stage
    hits = sorted(stage.rglob(first), key=lambda p: len(p.parts))
    return hits[0].parent if hits else stage


def _safe_extract(zf: zipfile.ZipFile, target: Path) -> None:
    root = target.resolve()
    for member in zf.namelist():
        out = (target / member).resolve()
        if root not in out.parents and out != root:
            raise InputError(member, "zip member would be written outside the install folder", "use the official zip")
    zf.extractall(target)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


# -- fetch -----------------------------------------------------------------------------------------
def direct_urls(spec: WeightsSpec) -> list[str]:
    """URLs that serve the file itself (not a drive / cloud folder page)."""
    out = []
    for url in spec.urls:
        parsed = urlparse(url.split(" ")[0])
        if parsed.scheme in ("http", "https") and not any(parsed.netloc.endswith(h) for h in _PAGE_HOSTS):
            out.append(url.split(" ")[0])
    return out


@dataclass
class FetchResult:
    spec: WeightsSpec
    path: Path
    url: str | None  # None when the file was already present


def fetch_weights(weights_id: str, timeout: float = 30.0, progress: bool = True, force: bool = False,
                  opener: Callable | None = None) -> FetchResult:
    """Download a catalogued file, verify its sha256 and install it atomically."""
    import urllib.error
    import urllib.request

    spec = get_weights_spec(weights_id)
    found = find_present(spec)
    if found is not None and not force:
        return FetchResult(spec, found, None)
    if spec.install == "package":
        raise FetchError(f"'{spec.id}' ships inside the PyPI package {spec.package}: run `pip install {spec.package}`.")
    urls = direct_urls(spec)
    if not urls:
        raise FetchError(
            f"'{spec.id}' ({spec.basename}) has no direct download URL; open {spec.urls[0]} in a browser, "
            f"download {spec.basename}, then run `talkbench weights import PATH --id {spec.id}`.")
    open_url = opener or urllib.request.urlopen
    failures = []
    for url in urls:
        try:
            with open_url(urllib.request.Request(url, headers={"User-Agent": "talkbench"}), timeout=timeout) as resp:
                total = resp.headers.get("Content-Length") if getattr(resp, "headers", None) else None
                total = int(total) if total else spec.size_bytes
                if spec.kind == "folder":
                    return FetchResult(spec, _fetch_pack(spec, resp, total), url)
                return FetchResult(spec, _install_stream(spec, resp, total, url, progress=progress), url)
        except WeightsMismatchError:
            raise
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            failures.append(f"{url}: {getattr(exc, 'reason', exc)}")
    raise FetchError(
        f"could not download {spec.basename} ({'; '.join(failures)}). This machine seems to have no internet "
        f"access (or the host refused). Download the file on another machine from {urls[0]} and run "
        f"`talkbench weights import PATH --id {spec.id}` here.")


def _fetch_pack(spec: WeightsSpec, resp: BinaryIO, total: int | None) -> Path:
    with tempfile.TemporaryDirectory(prefix="talkbench-fetch-") as tmpdir:
        zpath = Path(tmpdir) / f"{spec.file}.zip"
        with open(zpath, "wb") as out:
            bar = _progress_bar(total, zpath.name)
            while chunk := resp.read(_CHUNK):
                out.write(chunk)
                bar.update(len(chunk))
            bar.close()
        return _install_pack(spec, zpath)


def _progress_bar(total: int | None, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr,
                leave=False, disable=None)


__all__ = ["status_rows", "verify_rows", "specs_for_backbone", "fetch_many", "COMPANIONS", "identify", "import_weights", "fetch_weights", "direct_urls",
           "FetchError", "FetchResult", "candidate_paths"]
