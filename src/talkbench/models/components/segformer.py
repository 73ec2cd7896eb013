"""SegFormer-b0 feature encoders built from a config with the installed `transformers` classes.

GOHA's three branches each use `SegformerForSemanticSegmentation` ("nvidia/segformer-b0-finetuned-ade-512-512",
i.e. `SegformerConfig()` defaults with 150 labels) with the decode head's batch norm, activation, dropout
and classifier replaced by identities, so `.logits` is the 256-channel fused MLP feature at 1/4 of the
input size. We build it from the config (never `from_pretrained`: nothing is downloaded) and optionally
replace the first patch embedding to take more input channels.

Key naming: released checkpoints were saved with transformers 4.x module names
(`segformer.encoder.block.N.M.attention.self.query`, ...); transformers 5 renamed them
(`segformer.stages.N.blocks.M.attention.q_proj`, ...). `SegFormerFeatures` always presents the 4.x
names in `state_dict()` and accepts them in `load_state_dict()`, whatever the installed version.
"""
from __future__ import annotations

import re

import torch
import torch.nn as nn

#: transformers 4.x -> 5.x renames, applied in order to keys relative to the SegFormer root
#: (transformers 5.23 conversion_mapping for SegformerForSemanticSegmentation)
V4_TO_V5: tuple[tuple[str, str], ...] = (
    (r"encoder\.patch_embeddings\.(\d+)\.", r"stages.\1.patch_embeddings."),
    (r"encoder\.block\.(\d+)\.", r"stages.\1.blocks."),
    (r"encoder\.layer_norm\.(\d+)", r"stages.\1.layer_norm"),
    (r"attention\.self\.query", "attention.q_proj"),
    (r"attention\.self\.key", "attention.k_proj"),
    (r"attention\.self\.value", "attention.v_proj"),
    (r"attention\.self\.sr", "attention.sequence_reduction.sequence_reduction"),
    (r"attention\.self\.layer_norm", "attention.sequence_reduction.layer_norm"),
    (r"attention\.output\.dense", "attention.o_proj"),
    (r"mlp\.dense1", "mlp.fc1"),
    (r"mlp\.dense2", "mlp.fc2"),
    (r"layer_norm_1", "layernorm_before"),
    (r"layer_norm_2", "layernorm_after"),
    (r"decode_head\.linear_c", "decode_head.linear_projections"),
)

#: the inverse renames (order matters: blocks before the per-stage layer norm)
V5_TO_V4: tuple[tuple[str, str], ...] = (
    (r"stages\.(\d+)\.blocks\.", r"encoder.block.\1."),
    (r"stages\.(\d+)\.patch_embeddings\.", r"encoder.patch_embeddings.\1."),
    (r"stages\.(\d+)\.layer_norm", r"encoder.layer_norm.\1"),
    (r"attention\.q_proj", "attention.self.query"),
    (r"attention\.k_proj", "attention.self.key"),
    (r"attention\.v_proj", "attention.self.value"),
    (r"attention\.sequence_reduction\.sequence_reduction", "attention.self.sr"),
    (r"attention\.sequence_reduction\.layer_norm", "attention.self.layer_norm"),
    (r"attention\.o_proj", "attention.output.dense"),
    (r"mlp\.fc1", "mlp.dense1"),
    (r"mlp\.fc2", "mlp.dense2"),
    (r"layernorm_before", "layer_norm_1"),
    (r"layernorm_after", "layer_norm_2"),
    (r"decode_head\.linear_projections", "decode_head.linear_c"),
)

ADE_NUM_LABELS = 150


def rename_key(key: str, table: tuple[tuple[str, str], ...]) -> str:
    for pattern, repl in table:
        key = re.sub(pattern, repl, key)
    return key


def _installed_uses_v5_names(net: nn.Module) -> bool:
    return not hasattr(net.segformer, "encoder")


def _first_patch_conv(net: nn.Module) -> tuple[nn.Module, str]:
    """(parent module, attribute) of the first patch embedding, in either naming."""
    seg = net.segformer
    first = seg.stages[0].patch_embeddings if hasattr(seg, "stages") else seg.encoder.patch_embeddings[0]
    return first, "proj"


class SegFormerFeatures(nn.Module):
    """Wraps `SegformerForSemanticSegmentation` (b0 by default) without its decode-head classifier.

    forward(pixel_values (B, C, H, W)) -> (B, decoder_hidden_size, H/4, W/4). The module's own state_dict
    keys are `segformer.*` / `decode_head.*` in transformers 4.x naming (the released GOHA layout).
    """

    def __init__(self, in_channels: int = 3, config=None):
        super().__init__()
        from transformers import SegformerConfig, SegformerForSemanticSegmentation

        config = config or SegformerConfig(num_labels=ADE_NUM_LABELS)
        net = SegformerForSemanticSegmentation(config)
        head = net.decode_head
        head.batch_norm, head.activation, head.dropout, head.classifier = (nn.Identity(), nn.Identity(),
                                                                           nn.Identity(), nn.Identity())
        parent, attr = _first_patch_conv(net)
        old = getattr(parent, attr)
        setattr(parent, attr, nn.Conv2d(in_channels, old.out_channels, old.kernel_size, old.stride, old.padding))
        # register the wrapped model's children directly, so keys read `segformer.*`, `decode_head.*`
        self.segformer = net.segformer
        self.decode_head = net.decode_head
        self._v5 = _installed_uses_v5_names(net)
        self._register_state_dict_hook(SegFormerFeatures._to_v4_names)
        self._register_load_state_dict_pre_hook(self._from_v4_names)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        hidden = self.segformer(pixel_values, output_hidden_states=True).hidden_states
        return self.decode_head(hidden)

    @staticmethod
    def _to_v4_names(module, state_dict, prefix, local_metadata):
        if not module._v5:
            return state_dict
        # this module's entries are the last ones written: re-insert them all, renamed, in the same order
        items = [(k, state_dict.pop(k)) for k in [k for k in state_dict if k.startswith(prefix)]]
        for key, value in items:
            state_dict[prefix + rename_key(key[len(prefix):], V5_TO_V4)] = value
        return None

    def _from_v4_names(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        if not self._v5:
            return
        for key in [k for k in state_dict if k.startswith(prefix)]:
            new = prefix + rename_key(key[len(prefix):], V4_TO_V5)
            if new != key:
                state_dict[new] = state_dict.pop(key)
