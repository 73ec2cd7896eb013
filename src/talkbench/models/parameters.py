"""Parameter tables of model networks (`talkbench ls models`), counted from the modules themselves."""
from __future__ import annotations

import torch.nn as nn


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def parameter_rows(module: nn.Module, name: str, depth: int = 2) -> list[dict]:
    """The module and its sub-modules down to `depth` levels as rows {module, parameters}, in
    definition order; sub-modules without parameters are left out."""
    rows = [{"module": name, "parameters": count_parameters(module)}]
    if depth > 0:
        for child_name, child in module.named_children():
            if count_parameters(child):
                rows += parameter_rows(child, f"{name}.{child_name}", depth - 1)
    return rows


def human_count(n: int) -> str:
    return f"{n / 1e6:.1f}M" if n >= 1e5 else f"{n / 1e3:.1f}k" if n >= 1e3 else str(n)
