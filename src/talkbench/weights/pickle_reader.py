"""Read pickled checkpoints that embed code, without running that code.

EG3D network pickles (`ffhq512-128.pkl`, Talk3D's `G_tune.pkl`) are written by `torch_utils.persistence`:
every network object is replaced by `_reconstruct_persistent_obj(meta)` where `meta` carries the *source
code* of its module (`module_src`), the class name and the object's `__dict__` (`state`, with
`_init_args` / `_init_kwargs`). Unpickling them normally executes that source. Talk3D's `May_demo.pt` and
Live3DPortrait's converted `.pth` are `torch.save` files holding pickled optimiser/scheduler objects or
`dnnlib.EasyDict`s, which `torch.load(weights_only=True)` refuses.

`read_pickle(path)` unpickles such files with a restricted `find_class`:
* tensors, parameters, storages, numpy arrays and plain containers are rebuilt for real (the same set
  torch's weights-only loader trusts; a storage pickled as bytes is re-read with weights_only=True);
* `torch_utils.persistence._reconstruct_persistent_obj` returns a `PersistentObject` record holding
  class name, state and the source text, never executed;
* classes from the namespaces checkpoints are known to reference (`torch.nn.*`, `torch.optim.*`,
  `dnnlib.*`, `training.*`, `torch_utils.*`) become inert `PickledObject` records: their module is never
  imported and no method of theirs runs;
* anything else (`os.system`, `builtins.eval`, `subprocess.*`, …) raises `UnsafePickleError`.
`module_state_dict(record)` turns a pickled nn.Module record back into a flat state_dict.
"""
from __future__ import annotations

import io
import pickle
import types
import zipfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from ..errors import InputError

PERSISTENCE_RECONSTRUCT = ("torch_utils.persistence", "_reconstruct_persistent_obj")

#: namespaces whose classes may appear in checkpoints; they become inert records, never imported
RECORDED_NAMESPACES = ("torch.nn.", "torch.optim.", "dnnlib.", "training.", "torch_utils.")

#: legacy (non-zip) torch.save files start with the pickled magic number 0x1950a86a20f9469cfc6c
_LEGACY_TORCH_MAGIC = b"\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"


class UnsafePickleError(InputError):
    """A pickle asks for a callable outside the allow-list (it would run code when loaded)."""


class _Refused(Exception):
    def __init__(self, module: str, name: str):
        super().__init__(f"{module}.{name}")
        self.module, self.name = module, name


class PickledObject(dict):
    """An object whose class was not imported: its class path, constructor arguments and pickled state.

    A dict subclass so that dict-derived classes (`dnnlib.EasyDict`) keep their items."""

    pickled_class = "?"
    args: tuple = ()
    state: Any = None

    def __init__(self, *args, **kwargs):
        super().__init__()
        self.args, self.kwargs = args, kwargs

    def __setstate__(self, state):
        self.state = state

    def append(self, item):
        self.__dict__.setdefault("items_list", []).append(item)

    def extend(self, items):
        self.__dict__.setdefault("items_list", []).extend(items)

    def __repr__(self) -> str:
        return f"<pickled {self.pickled_class}>"


class PersistentObject(PickledObject):
    """A `torch_utils.persistence` object: `class_name`, `state` (its __dict__), `module_src` (not run)."""

    def __init__(self, meta: Mapping):
        super().__init__()
        meta = dict(meta)
        self.meta = meta
        self.class_name = str(meta.get("class_name", "?"))
        self.pickled_class = f"<persistent>.{self.class_name}"
        self.module_src = meta.get("module_src", "")
        self.state = meta.get("state") or {}

    def __setstate__(self, state):  # persistence leaves the BUILD state None; keep meta['state']
        if state:
            self.state = state


_record_classes: dict[str, type] = {}


def _record_class(module: str, name: str) -> type:
    key = f"{module}.{name}"
    if key not in _record_classes:
        _record_classes[key] = type(name, (PickledObject,), {"pickled_class": key, "__module__": "talkbench.pickled"})
    return _record_classes[key]


def _reconstructor(cls, base, state):
    """copyreg._reconstructor (protocol 0/1 pickles) for record classes and the allowed builtins only."""
    if isinstance(cls, type) and issubclass(cls, PickledObject):
        return cls()
    return __import__("copyreg")._reconstructor(cls, base, state)


def _storage_from_bytes(data: bytes):
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)


_SAFE_BUILTINS = {"dict", "list", "tuple", "set", "frozenset", "int", "float", "complex", "bool", "str", "bytes",
                  "bytearray", "slice", "object", "NoneType"}
_SAFE_CALLABLES: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): __import__("collections").OrderedDict,
    ("collections", "defaultdict"): __import__("collections").defaultdict,
    ("copyreg", "_reconstructor"): _reconstructor,
    ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor"): torch._utils._rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): torch._utils._rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): torch._utils._rebuild_parameter_with_state,
    ("torch.storage", "_load_from_bytes"): _storage_from_bytes,
    ("torch", "Size"): torch.Size,
    ("torch", "device"): torch.device,
    ("numpy.core.multiarray", "_reconstruct"): np.core.multiarray._reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): np.core.multiarray._reconstruct,
    ("numpy.core.multiarray", "scalar"): np.core.multiarray.scalar,
    ("numpy._core.multiarray", "scalar"): np.core.multiarray.scalar,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    PERSISTENCE_RECONSTRUCT: PersistentObject,
}


def find_allowed(module: str, name: str):
    """The object a pickle may reference by (module, name), or raise _Refused."""
    if (module, name) in _SAFE_CALLABLES:
        return _SAFE_CALLABLES[(module, name)]
    if module in ("builtins", "__builtin__") and name in _SAFE_BUILTINS:
        return getattr(__import__("builtins"), name, type(None))
    if module == "torch" and isinstance(getattr(torch, name, None), torch.dtype):
        return getattr(torch, name)
    if module.startswith("numpy") and name.endswith("DType") and hasattr(np.dtypes, name):
        return getattr(np.dtypes, name)
    if any((module + ".").startswith(ns) for ns in RECORDED_NAMESPACES) and name.isidentifier() \
            and name != PERSISTENCE_RECONSTRUCT[1]:
        return _record_class(module, name)
    raise _Refused(module, name)


class RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        return find_allowed(module, name)


#: a `pickle_module` for torch.load: its Unpickler is the restricted one
restricted_pickle = types.SimpleNamespace(Unpickler=RestrictedUnpickler, __name__="talkbench_restricted_pickle",
                                          load=lambda f, **kw: RestrictedUnpickler(f, **kw).load())


def _is_torch_file(path: Path) -> bool:
    if zipfile.is_zipfile(path):
        return True
    with path.open("rb") as f:
        return f.read(16)[2:14] == _LEGACY_TORCH_MAGIC


def read_pickle(path: str | Path) -> Any:
    """Unpickle a plain pickle or a torch.save file with the restricted allow-list (see module doc)."""
    p = Path(path)
    try:
        if _is_torch_file(p):
            # weights_only=False only hands unpickling to `restricted_pickle`, whose Unpickler is the allow-list
            # above: no class outside it is imported and no pickled code runs (tests/test_eg3d_generator.py)
            return torch.load(p, map_location="cpu", weights_only=False, pickle_module=restricted_pickle)
        with p.open("rb") as f:
            return RestrictedUnpickler(f).load()
    except _Refused as exc:
        raise UnsafePickleError(p, f"refused to unpickle: it references {exc.module}.{exc.name}, which would run code "
                                   "when loaded", "only load checkpoints from their official source; if this file is "
                                   "yours, re-save the tensors as a plain state_dict (torch.save(model.state_dict()))") from None
    except (pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError) as exc:
        raise InputError(p, f"cannot be read as a pickled checkpoint ({type(exc).__name__}: {exc})",
                         "check that the download finished and that this is the file the model expects") from None


def record_state(obj: Any) -> Mapping:
    """The pickled __dict__ of a record (PersistentObject.state, or the BUILD state of a PickledObject)."""
    state = getattr(obj, "state", None)
    if isinstance(state, tuple) and state and isinstance(state[0], Mapping):  # (dict, slotstate)
        state = state[0]
    return state if isinstance(state, Mapping) else {}


def module_state_dict(obj: Any, prefix: str = "") -> dict[str, torch.Tensor]:
    """Flatten a pickled nn.Module record into `state_dict()` form (parameters, persistent buffers, children)."""
    state = record_state(obj)
    out: dict[str, torch.Tensor] = {}
    for key, value in (state.get("_parameters") or {}).items():
        if value is not None:
            out[prefix + key] = value.detach() if isinstance(value, torch.Tensor) else value
    non_persistent = set(state.get("_non_persistent_buffers_set") or ())
    for key, value in (state.get("_buffers") or {}).items():
        if value is not None and key not in non_persistent:
            out[prefix + key] = value
    for key, child in (state.get("_modules") or {}).items():
        if child is not None:
            out.update(module_state_dict(child, f"{prefix}{key}."))
    return out


def plain_value(value: Any) -> Any:
    """Records and mappings -> plain dicts/lists (e.g. an EasyDict of init kwargs)."""
    if isinstance(value, Mapping):
        return {k: plain_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_value(v) for v in value]
    return value
