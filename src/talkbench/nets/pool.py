"""The backbone pool: every network of the process, loaded once, keyed by (backbone id, weights sha256).

Whoever runs a network (the analysis stage) asks the pool for it::

    def resolve():  # locate + verify the file (MissingWeightsError), then say how to load it
        found = verified_weights("pt_inception")
        return found.sha256, lambda: load_fid_inception(str(found.path), found.sha256)

    loaded = POOL.get("inception-v3-fid", resolve)
    loaded.network, loaded.weights_sha256

The key's sha256 is the verified hash of the file found on disk (or a fingerprint of the files an
installed package ships), so a different file is a different entry, never a stale network. `POOL.loads` counts loads per backbone id (tests assert
one load per backbone per process).

Tests that need a network without its official file register a stand-in for the backbone id:
``with POOL.injected("inception-v3-fid", net): ...``. The stand-in's label (default
"random-init-test") is what cards record; its cache fingerprint also carries a hash of its
parameters, so two different random networks never share a cached analysis.
"""
from __future__ import annotations

import contextlib
import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Iterator

RANDOM_INIT_LABEL = "random-init-test"


@dataclass(frozen=True)
class LoadedBackbone:
    """A network ready to run and the identity of what it runs."""

    backbone_id: str
    network: Any
    weights_sha256: str | None  # the verified file hash, or a stand-in's label
    instance_sha256: str | None = None  # parameters hash of an injected stand-in (cache keys only)

    def fingerprint(self) -> dict[str, Any]:
        fp: dict[str, Any] = {"id": self.backbone_id, "weights_sha256": self.weights_sha256}
        if self.instance_sha256 is not None:
            fp["instance_sha256"] = self.instance_sha256
        return fp


def parameters_sha256(network: Any) -> str:
    """sha256 over a torch module's state (names, shapes, bytes); of repr() for anything else."""
    h = hashlib.sha256()
    state = getattr(network, "state_dict", None)
    if state is None:
        h.update(repr(network).encode())
        return h.hexdigest()
    for name, tensor in state().items():
        t = tensor.detach().cpu().contiguous()
        h.update(f"{name}{tuple(t.shape)}{t.dtype}".encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


class BackbonePool:
    def __init__(self) -> None:
        self._loaded: dict[tuple[str, str | None], LoadedBackbone] = {}
        self._injected: dict[str, LoadedBackbone] = {}
        self.loads: Counter[str] = Counter()

    def get(self, backbone_id: str, resolve: Callable[[], tuple[str | None, Callable[[], Any]]]) -> LoadedBackbone:
        """The network for `backbone_id`: an injected stand-in, else (sha256, load) = resolve() and the
        network already loaded for (id, sha256), or load() once. resolve() raises MissingWeightsError."""
        if backbone_id in self._injected:
            return self._injected[backbone_id]
        weights_sha256, load = resolve()
        key = (backbone_id, weights_sha256)
        if key not in self._loaded:
            network = load()
            self.loads[backbone_id] += 1
            self._loaded[key] = LoadedBackbone(backbone_id, network, weights_sha256)
        return self._loaded[key]

    def injected_for(self, backbone_id: str) -> LoadedBackbone | None:
        return self._injected.get(backbone_id)

    def inject(self, backbone_id: str, network: Any, label: str = RANDOM_INIT_LABEL) -> LoadedBackbone:
        """Run `network` wherever `backbone_id` is asked for (tests, `--random-init-weights` plumbing checks)."""
        if hasattr(network, "eval"):
            network.eval()
        loaded = LoadedBackbone(backbone_id, network, label, parameters_sha256(network))
        self._injected[backbone_id] = loaded
        return loaded

    def remove_injected(self, backbone_id: str) -> None:
        self._injected.pop(backbone_id, None)

    @contextlib.contextmanager
    def injected(self, backbone_id: str, network: Any, label: str = RANDOM_INIT_LABEL) -> Iterator[LoadedBackbone]:
        previous = self._injected.get(backbone_id)
        try:
            yield self.inject(backbone_id, network, label)
        finally:
            if previous is None:
                self.remove_injected(backbone_id)
            else:
                self._injected[backbone_id] = previous

    def clear(self) -> None:
        """Forget every loaded network and the load counts (stand-ins stay)."""
        self._loaded.clear()
        self.loads.clear()


#: the process's pool
POOL = BackbonePool()
