"""Write a protocol: spec YAML text + manifest JSONL bytes, with the manifest hash and count filled in.

The shipped protocols are files (specs/*.yaml + *.jsonl); the maintenance scripts that produced them
(`scripts/protocols/`) and users' own protocols (and the tests' tiny ones) go through this writer so
every protocol on disk has one format (FORMAT.md).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..io.hashing import sha256_bytes

HEADER = "# Protocol spec (talkbench FORMAT.md); the manifest hash below must match the .jsonl file.\n"


def manifest_bytes(items: list[dict[str, Any]], drop_nulls: bool = True) -> bytes:
    """One compact JSON object per line; null fields are left out unless drop_nulls is False (absent means null)."""
    lines = (json.dumps({k: v for k, v in it.items() if v is not None or not drop_nulls}, separators=(",", ":"),
                        ensure_ascii=False) for it in items)
    return "".join(line + "\n" for line in lines).encode("utf-8")


def render(spec: dict[str, Any], items: list[dict[str, Any]] | None, header: str = HEADER,
           drop_nulls: bool = True) -> tuple[str, bytes | None]:
    """(spec YAML text, manifest bytes); `items=None` writes a spec whose items come from the data (`manifest: null`)."""
    import yaml

    data = dict(spec)
    if items is None:
        data.update({"manifest": None, "manifest_sha256": None, "n_items": None})
        body = None
    else:
        body = manifest_bytes(items, drop_nulls)
        data.update({"manifest": f"{data['id']}.jsonl", "manifest_sha256": sha256_bytes(body), "n_items": len(items)})
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120), body


def write_protocol(folder: Path, spec: dict[str, Any], items: list[dict[str, Any]] | None, **kwargs: Any) -> list[Path]:
    """Write <id>.yaml (and <id>.jsonl) into folder; returns the paths written."""
    text, body = render(spec, items, **kwargs)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / f"{spec['id']}.yaml"]
    written[0].write_text(text, encoding="utf-8")
    if body is not None:
        written.append(folder / f"{spec['id']}.jsonl")
        written[1].write_bytes(body)
    return written
