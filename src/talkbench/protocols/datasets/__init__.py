"""Dataset adapters by name (lazy "module:Class" targets; `talkbench validate --dataset NAME`)."""
from __future__ import annotations

from ...lazy import Registry, subclass_check
from .base import DatasetAdapter, Finding

ADAPTERS: Registry[type[DatasetAdapter]] = Registry("dataset", {
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
}, check=subclass_check(DatasetAdapter, "dataset adapter"))


def adapter_class(name: str) -> type[DatasetAdapter]:
    return ADAPTERS.load(name)


def open_dataset(name: str, root) -> DatasetAdapter:
    return adapter_class(name)(root)


__all__ = ["ADAPTERS", "DatasetAdapter", "Finding", "adapter_class", "open_dataset"]
