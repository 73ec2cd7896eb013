"""Dataset adapters by name (lazy "module:Class" targets; `talkbench validate --dataset NAME`)."""
from __future__ import annotations

from ...lazy import load_target, lookup
from .base import DatasetAdapter, Finding

ADAPTERS: dict[str, str] = {
    "hdtf": "talkbench.protocols.datasets.hdtf:HDTF",
    "celebvhq": "talkbench.protocols.datasets.celebvhq:CelebVHQ",
    "nersemble-v1": "talkbench.protocols.datasets.nersemble:NeRSembleV1",
    "nersemble-v2": "talkbench.protocols.datasets.nersemble:NeRSembleV2",
    "celeba": "talkbench.protocols.datasets.celeba:CelebAHQ",
    "vfhq": "talkbench.protocols.datasets.vfhq:VFHQ",
    "th1kh": "talkbench.protocols.datasets.th1kh:TalkingHead1KH",
    "person-specific": "talkbench.protocols.datasets.person_specific:PersonSpecific",
    "custom": "talkbench.protocols.datasets.custom:CustomClips",
    "mini": "talkbench.protocols.datasets.mini:MiniDataset",
}


def adapter_class(name: str) -> type[DatasetAdapter]:
    return load_target(lookup("dataset", name, ADAPTERS))


def open_dataset(name: str, root) -> DatasetAdapter:
    return adapter_class(name)(root)


__all__ = ["ADAPTERS", "DatasetAdapter", "Finding", "adapter_class", "open_dataset"]
