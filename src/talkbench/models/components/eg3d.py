"""EG3D's tri-plane generator (NVlabs/eg3d `training/triplane.py` TriPlaneGenerator), in G_ema's key layout.

    z (512) + camera label c (25) ─> MappingNetwork (embed c, 2 FC layers, lr ×0.01) ─> w, repeated to 14 ws
    ws ─> StyleGAN2 SynthesisNetwork (b4 … b256, 'skip' toRGB with 96 channels) ─> planes (B, 96, 256, 256)
       = three 32-channel planes ─> ray marching (48 stratified + 48 importance samples, rays 2.25–3.3,
       box 1) through the OSG decoder ─> 32-channel feature image at 128² (channels 0–2 = raw RGB)
    ─> SuperresolutionHybrid* (styled by the last w) ─> RGB at 512² (or 128 / 256 for 2X / 4X)

Keys equal `G_ema.state_dict()` of the official pickles: `backbone.mapping.*`, `backbone.synthesis.b{res}.*`,
`superresolution.block{0,1}.*`, `decoder.net.{0,2}.*` (176 keys for ffhq512-128).

`plane_convention` selects the tri-plane axes: "eg3d" (xy, xz, zx: the official checkpoints, Real3D-Portrait,
LP3D) or "fixed" (xy, xz, zy: GOHA, Talk3D's `ffhq-fixed-triplane512-128.pkl`, Next3D); see triplane.py.
Differences from the reference: the backbone noise defaults to "const" (EG3D's default is "random") so that
renders are reproducible; the SR runs in fp32 with EG3D's fp16 conv clamp (256) kept.
Loading a `.pkl` or Live3DPortrait's converted `.pth` goes through `talkbench.weights.pickle_reader`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

import torch
import torch.nn as nn

from .equalized import FullyConnectedLayer
from .osg_decoder import OSGDecoder
from .rays import sample_rays
from .renderer import ImportanceRenderer, RenderOptions
from .stylegan2 import SUPERRESOLUTION_SPECS, SuperresolutionHybrid, SynthesisBlock

PLANE_FEATURES = 32  # channels per plane


@dataclass(frozen=True)
class EG3DConfig:
    """Defaults: the FFHQ 512 / neural rendering 128 generator (eg3d/train.py FFHQ settings)."""

    z_dim: int = 512
    c_dim: int = 25
    w_dim: int = 512
    mapping_layers: int = 2
    mapping_lr_multiplier: float = 0.01
    plane_resolution: int = 256
    plane_features: int = PLANE_FEATURES  # channels per plane (EG3D: 32; reduced only in test configurations)
    channel_base: int = 32768
    channel_max: int = 512
    superresolution: str = "hybrid8xdc"
    sr_conv_clamp: float | None = 256.0  # EG3D: 256 when sr_num_fp16_res > 0, else None
    sr_antialias: bool = True
    sr_noise_mode: str = "none"
    neural_rendering_resolution: int = 128
    depth_resolution: int = 48
    depth_resolution_importance: int = 48
    ray_start: float = 2.25
    ray_end: float = 3.3
    box_warp: float = 1.0
    plane_convention: str = "eg3d"
    decoder_lr_multiplier: float = 1.0
    c_scale: float = 1.0
    c_gen_conditioning_zero: bool = False
    truncation_cutoff: int = 14

    @property
    def image_resolution(self) -> int:
        return SUPERRESOLUTION_SPECS[self.superresolution].output_resolution

    def render_options(self, deterministic: bool = False) -> RenderOptions:
        return RenderOptions(depth_resolution=self.depth_resolution,
                             depth_resolution_importance=self.depth_resolution_importance,
                             ray_start=self.ray_start, ray_end=self.ray_end, box_warp=self.box_warp,
                             plane_convention=self.plane_convention, deterministic=deterministic)

    def to_dict(self) -> dict:
        return asdict(self)


#: EG3D `rendering_kwargs['superresolution_module']` class names -> our kinds
SR_MODULES = {f"training.superresolution.SuperresolutionHybrid{k}": f"hybrid{k.lower()}" for k in ("2X", "4X", "8X", "8XDC")}


def config_from_init_kwargs(init_kwargs: Mapping[str, Any], neural_rendering_resolution: int | None = None,
                            plane_convention: str = "eg3d", **overrides: Any) -> EG3DConfig:
    """An EG3DConfig from the `init_kwargs` a TriPlaneGenerator pickle carries (train.py's G_kwargs)."""
    rk = dict(init_kwargs.get("rendering_kwargs") or {})
    mapping = dict(init_kwargs.get("mapping_kwargs") or {})
    sr_name = rk.get("superresolution_module", "training.superresolution.SuperresolutionHybrid8XDC")
    if sr_name not in SR_MODULES:
        raise ValueError(f"unsupported EG3D super-resolution module {sr_name!r}; known: {sorted(SR_MODULES)}")
    values: dict[str, Any] = {
        "z_dim": init_kwargs.get("z_dim", 512), "c_dim": init_kwargs.get("c_dim", 25),
        "w_dim": init_kwargs.get("w_dim", 512), "mapping_layers": mapping.get("num_layers", 2),
        "channel_base": init_kwargs.get("channel_base", 32768), "channel_max": init_kwargs.get("channel_max", 512),
        "superresolution": SR_MODULES[sr_name],
        "sr_conv_clamp": 256.0 if init_kwargs.get("sr_num_fp16_res", 0) > 0 else None,
        "sr_antialias": rk.get("sr_antialias", True), "sr_noise_mode": rk.get("superresolution_noise_mode", "none"),
        "depth_resolution": rk.get("depth_resolution", 48),
        "depth_resolution_importance": rk.get("depth_resolution_importance", 48),
        "ray_start": rk.get("ray_start", 2.25), "ray_end": rk.get("ray_end", 3.3), "box_warp": rk.get("box_warp", 1.0),
        "decoder_lr_multiplier": rk.get("decoder_lr_mul", 1.0), "c_scale": rk.get("c_scale", 1.0),
        "c_gen_conditioning_zero": rk.get("c_gen_conditioning_zero", False), "plane_convention": plane_convention,
    }
    if neural_rendering_resolution is not None:
        values["neural_rendering_resolution"] = int(neural_rendering_resolution)
    values.update(overrides)
    known = {f.name for f in fields(EG3DConfig)}
    return EG3DConfig(**{k: v for k, v in values.items() if k in known})


def normalize_2nd_moment(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


class MappingNetwork(nn.Module):
    """z ⊕ embed(c), each normalised to unit second moment -> `num_layers` lrelu FCs (lr ×0.01) -> w."""

    def __init__(self, z_dim: int, c_dim: int, w_dim: int, num_ws: int, num_layers: int = 2,
                 lr_multiplier: float = 0.01):
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim, self.num_ws, self.num_layers = z_dim, c_dim, w_dim, num_ws, num_layers
        embed_features = w_dim if c_dim > 0 else 0
        if c_dim > 0:
            self.embed = FullyConnectedLayer(c_dim, embed_features)
        features = [z_dim + embed_features] + [w_dim] * num_layers
        for i in range(num_layers):
            setattr(self, f"fc{i}", FullyConnectedLayer(features[i], features[i + 1], activation="lrelu",
                                                        lr_multiplier=lr_multiplier))
        self.register_buffer("w_avg", torch.zeros([w_dim]))

    def forward(self, z: torch.Tensor, c: torch.Tensor, truncation_psi: float = 1.0,
                truncation_cutoff: int | None = None) -> torch.Tensor:
        parts = []
        if self.z_dim > 0:
            parts.append(normalize_2nd_moment(z.float()))
        if self.c_dim > 0:
            parts.append(normalize_2nd_moment(self.embed(c.float())))
        x = torch.cat(parts, dim=1)
        for i in range(self.num_layers):
            x = getattr(self, f"fc{i}")(x)
        x = x.unsqueeze(1).repeat(1, self.num_ws, 1)
        if truncation_psi != 1:
            cut = self.num_ws if truncation_cutoff is None else truncation_cutoff
            x = torch.cat([self.w_avg.lerp(x[:, :cut], truncation_psi), x[:, cut:]], dim=1)
        return x


class SynthesisNetwork(nn.Module):
    """StyleGAN2 synthesis b4 … b{resolution}; channels min(channel_base // res, channel_max)."""

    def __init__(self, w_dim: int, img_resolution: int = 256, img_channels: int = 3 * PLANE_FEATURES,
                 channel_base: int = 32768, channel_max: int = 512):
        super().__init__()
        self.resolutions = [2 ** i for i in range(2, int(img_resolution).bit_length())]
        channels = {r: min(channel_base // r, channel_max) for r in self.resolutions}
        self.num_ws = 0
        for r in self.resolutions:
            block = SynthesisBlock(channels[r // 2] if r > 4 else 0, channels[r], w_dim, r, img_channels=img_channels)
            setattr(self, f"b{r}", block)
            self.num_ws += block.num_conv
        self.num_ws += 1  # the last block's toRGB

    def forward(self, ws: torch.Tensor, noise_mode: str = "const", generator: torch.Generator | None = None):
        x = img = None
        w_idx = 0
        for r in self.resolutions:
            block = getattr(self, f"b{r}")
            x, img = block(x, img, ws[:, w_idx: w_idx + block.num_ws], noise_mode, generator)
            w_idx += block.num_conv
        return img


class StyleGAN2Backbone(nn.Module):
    def __init__(self, cfg: EG3DConfig):
        super().__init__()
        self.synthesis = SynthesisNetwork(cfg.w_dim, cfg.plane_resolution, 3 * cfg.plane_features, cfg.channel_base,
                                          cfg.channel_max)
        self.mapping = MappingNetwork(cfg.z_dim, cfg.c_dim, cfg.w_dim, self.synthesis.num_ws, cfg.mapping_layers,
                                      cfg.mapping_lr_multiplier)


class TriPlaneGenerator(nn.Module):
    """G_ema of an EG3D pickle. `planes(ws)` gives the (B, 96, 256, 256) tri-plane; `render(planes, ws, c)`
    ray-marches it and runs the SR; `synthesis` = both; `forward(z, c)` = mapping + synthesis."""

    def __init__(self, config: EG3DConfig | None = None):
        super().__init__()
        self.config = cfg = config or EG3DConfig()
        self.backbone = StyleGAN2Backbone(cfg)
        self.superresolution = SuperresolutionHybrid(cfg.superresolution, PLANE_FEATURES, cfg.w_dim, cfg.sr_antialias,
                                                     cfg.sr_conv_clamp)
        self.decoder = OSGDecoder(cfg.plane_features, output_dim=PLANE_FEATURES, lr_multiplier=cfg.decoder_lr_multiplier)
        self.renderer = ImportanceRenderer(cfg.render_options())

    @property
    def num_ws(self) -> int:
        return self.backbone.synthesis.num_ws

    def mapping(self, z: torch.Tensor, c: torch.Tensor, truncation_psi: float = 1.0,
                truncation_cutoff: int | None = None) -> torch.Tensor:
        if self.config.c_gen_conditioning_zero:
            c = torch.zeros_like(c)
        return self.backbone.mapping(z, c * self.config.c_scale, truncation_psi, truncation_cutoff)

    def planes(self, ws: torch.Tensor, noise_mode: str = "const", generator: torch.Generator | None = None):
        return self.backbone.synthesis(ws, noise_mode, generator)

    def render(self, planes: torch.Tensor, ws: torch.Tensor, c: torch.Tensor, resolution: int | None = None,
               generator: torch.Generator | None = None, superresolution: bool = True) -> dict[str, torch.Tensor]:
        """planes (B, 96, H, W), ws (B, num_ws, w_dim), c (B, 25) -> {'image' (SR), 'image_raw' (B, 3, r, r),
        'image_depth', 'image_features' (B, 32, r, r), 'opacity'}."""
        res = resolution or self.config.neural_rendering_resolution
        cam2world, intrinsics = c[:, :16].reshape(-1, 4, 4), c[:, 16:25].reshape(-1, 3, 3)
        origins, dirs = sample_rays(cam2world, intrinsics, res)
        n = planes.shape[0]
        tri = planes.reshape(n, 3, self.config.plane_features, planes.shape[-2], planes.shape[-1])
        feats, depth, opacity, _ = self.renderer(tri, self.decoder, origins, dirs, generator=generator)
        feature_image = feats.permute(0, 2, 1).reshape(n, feats.shape[-1], res, res).contiguous()
        out = {"image_raw": feature_image[:, :3], "image_features": feature_image,
               "image_depth": depth.permute(0, 2, 1).reshape(n, 1, res, res),
               "opacity": opacity.permute(0, 2, 1).reshape(n, 1, res, res)}
        if superresolution:
            out["image"] = self.superresolution(out["image_raw"], feature_image, ws, noise_mode=self.config.sr_noise_mode)
        return out

    def synthesis(self, ws: torch.Tensor, c: torch.Tensor, noise_mode: str = "const", **kwargs):
        return self.render(self.planes(ws, noise_mode), ws, c, **kwargs)

    def forward(self, z: torch.Tensor, c: torch.Tensor, truncation_psi: float = 1.0, **kwargs):
        ws = self.mapping(z, c, truncation_psi, self.config.truncation_cutoff)
        return self.synthesis(ws, c, **kwargs)


@dataclass
class EG3DCheckpoint:
    """What talkbench takes from an EG3D generator file: G_ema's tensors and how to build it."""

    state_dict: dict[str, torch.Tensor]
    init_kwargs: dict[str, Any] = field(default_factory=dict)
    neural_rendering_resolution: int | None = None
    source: str = ""

    def config(self, plane_convention: str = "eg3d", **overrides: Any) -> EG3DConfig:
        resolution = overrides.pop("neural_rendering_resolution", self.neural_rendering_resolution)
        return config_from_init_kwargs(self.init_kwargs, resolution, plane_convention, **overrides)


def read_generator_file(path: str | Path, sha256: str | None = None) -> EG3DCheckpoint:
    """An official EG3D `.pkl` (persistence pickle; `G_ema` is used), Live3DPortrait's converted `.pth`
    ({G_init_kwargs, G, G_neural_rendering_resolution, G_renderinig_kwargs}), or a VIVE3D/Talk3D
    `G_tune.pkl` (a pickled generator object) — all read without executing the code they embed."""
    from ...errors import InputError
    from ...weights.pickle_reader import PersistentObject, module_state_dict, plain_value, read_pickle
    from ...weights.store import check_sha256

    p = Path(path)
    if not p.is_file():
        raise InputError(p, "no such EG3D generator file", "pass the .pkl from NGC (eg3d) or a converted .pth")
    if sha256 is not None:
        check_sha256(p, sha256)
    obj = read_pickle(p)
    if isinstance(obj, Mapping) and "G_ema" in obj:
        obj = obj["G_ema"]
    if isinstance(obj, PersistentObject):
        state = obj.state
        return EG3DCheckpoint(module_state_dict(obj), plain_value(state.get("_init_kwargs") or {}),
                              state.get("neural_rendering_resolution"), f"{p.name}: G_ema ({obj.class_name})")
    if isinstance(obj, Mapping) and isinstance(obj.get("G"), Mapping):
        kwargs = plain_value(obj.get("G_init_kwargs") or {})
        if isinstance(obj.get("G_renderinig_kwargs"), Mapping):  # [sic] Live3DPortrait's key
            kwargs["rendering_kwargs"] = plain_value(obj["G_renderinig_kwargs"])
        return EG3DCheckpoint(dict(obj["G"]), kwargs, obj.get("G_neural_rendering_resolution"), f"{p.name}: G")
    raise InputError(p, "neither an EG3D network pickle (no 'G_ema') nor a converted generator (no 'G' state_dict)",
                     "pass ffhq512-128.pkl / ffhq-fixed-triplane512-128.pkl / G_tune.pkl or Live3DPortrait's .pth")


def load_generator(path: str | Path, sha256: str | None = None, plane_convention: str = "eg3d",
                   **overrides: Any) -> TriPlaneGenerator:
    """Build a TriPlaneGenerator from a generator file and load G_ema strictly."""
    from ...errors import InputError

    ckpt = read_generator_file(path, sha256)
    g = TriPlaneGenerator(ckpt.config(plane_convention, **overrides))
    missing, unexpected = g.load_state_dict(ckpt.state_dict, strict=False)
    if missing or unexpected:
        raise InputError(path, f"G_ema layout differs: missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]}",
                         "pass an EG3D TriPlaneGenerator (ffhq512-128 family)")
    return g.eval()
