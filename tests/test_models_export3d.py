"""Export3D from the paper: EAdaLN (Eq. 5), the CLeBS basis (Eqs. 2-3) and loss (Eq. 1) against hand
computations, the generator's resolutions (§3.2), the ablation switches, the checkpoint container."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from talkbench.errors import InputError
from talkbench.models.export3d.checkpoint import load_checkpoint, save_checkpoint
from talkbench.models.export3d.clebs import DirectExpression, LearnedBasisScaling, contrastive_loss
from talkbench.models.export3d.config import PAPER, TINY, Export3DConfig
from talkbench.models.export3d.generator import TriplaneGenerator
from talkbench.models.export3d.inputs import MESH_EXPRESSION_POINTS, mesh_expression
from talkbench.models.export3d.layers import GaussianLowPass, ShuffleUp, gaussian_kernel
from talkbench.models.export3d.network import Export3DNetwork
from talkbench.models.export3d.vit import EAdaLN, CrossAttentionBlock, EAdaLNBlock, eadaln

torch.set_num_threads(1)


def _camera_labels(n: int) -> torch.Tensor:
    from talkbench.models.components.cameras import lookat_cam2world, normalized_intrinsics

    label = np.concatenate([lookat_cam2world(np.pi / 2, np.pi / 2).reshape(-1), normalized_intrinsics().reshape(-1)])
    return torch.tensor(label, dtype=torch.float32)[None].repeat(n, 1)


# --- EAdaLN -------------------------------------------------------------------------------------------

def test_eadaln_with_unit_scale_and_zero_shift_is_plain_layer_norm():
    torch.manual_seed(0)
    x, cond = torch.randn(2, 7, 16) * 3 + 1, torch.randn(2, 8)
    norm = EAdaLN(16, 8)
    with torch.no_grad():
        norm.modulation.weight.zero_()  # σ(β') = bias[:h] = 1, μ(β') = bias[h:] = 0
    reference = torch.nn.LayerNorm(16, eps=1e-6)  # weight 1, bias 0
    torch.testing.assert_close(norm(x, cond), reference(x), atol=1e-6, rtol=0)


def test_eadaln_is_sigma_times_normalised_tokens_plus_mu_per_sample():
    x = torch.tensor([[[1.0, 2.0, 3.0, 6.0]]])  # mean 3, variance 3.5
    sigma, mu = torch.tensor([[2.0, 2.0, 2.0, 2.0]]), torch.tensor([[0.5, 0.0, 0.0, -1.0]])
    z = (torch.tensor([1.0, 2.0, 3.0, 6.0]) - 3) / math.sqrt(3.5 + 1e-6)
    torch.testing.assert_close(eadaln(x, sigma, mu)[0, 0], 2 * z + mu[0])
    # the modulation depends on the expression: a different β' changes the output of a block
    torch.manual_seed(0)
    block = EAdaLNBlock(16, 8, num_heads=2)
    tokens = torch.randn(1, 16, 16)
    a, b = block(tokens, 4, 4, torch.zeros(1, 8)), block(tokens, 4, 4, torch.ones(1, 8))
    assert (a - b).abs().max() > 1e-3


# --- CLeBS --------------------------------------------------------------------------------------------

def test_clebs_basis_is_orthonormal_and_expressions_lie_in_its_span():
    torch.manual_seed(0)
    lebs = LearnedBasisScaling(64, n_basis=25, basis_dim=256, hidden=64)
    v = lebs.basis()
    assert v.shape == (256, 25)
    torch.testing.assert_close(v.T @ v, torch.eye(25), atol=1e-6, rtol=0)
    beta = torch.randn(5, 64)
    out, lam = lebs(beta), lebs.scales(beta)
    torch.testing.assert_close(out, lam @ v.T)                          # Eq. 3: β' = Σ λ_i v_i
    torch.testing.assert_close(lebs.components(beta).sum(1), out, atol=1e-5, rtol=0)
    torch.testing.assert_close((out @ v) @ v.T, out, atol=1e-5, rtol=0)  # projecting onto span(V) changes nothing
    torch.testing.assert_close(lam, out @ v, atol=1e-5, rtol=0)          # λ_i = <β', v_i>
    # still orthonormal after the weight moves (the QR is recomputed, not stored)
    with torch.no_grad():
        lebs.basis_weight.add_(torch.randn_like(lebs.basis_weight))
    v = lebs.basis()
    torch.testing.assert_close(v.T @ v, torch.eye(25), atol=1e-6, rtol=0)


def test_contrastive_loss_equals_the_hand_computed_eq1():
    # cos(f_I(X_j), f_e(β_k)) = [[1, 0, -1], [0, 1, 0], [-1, 0, 1]] (unit 2-d vectors), τ = 0.5
    img = torch.tensor([[1.0, 0.0], [0.0, 3.0], [-2.0, 0.0]])  # lengths do not matter (cosine)
    exp = torch.tensor([[5.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    # anchor 0: positive 2, negatives (0, -2); anchor 1: positive 2, negatives (0, 0); anchor 2 = anchor 0
    expected = (2 * (math.log(1 + math.exp(-2)) - 2) + (math.log(2) - 2)) / 3
    assert float(contrastive_loss(img, exp, 0.5, "negatives")) == pytest.approx(expected, abs=1e-6)
    expected_all = (2 * (math.log(math.exp(2) + 1 + math.exp(-2)) - 2) + (math.log(math.exp(2) + 2) - 2)) / 3
    assert float(contrastive_loss(img, exp, 0.5, "all")) == pytest.approx(expected_all, abs=1e-6)
    # swapping two expressions (misaligned pairs) raises the loss
    assert float(contrastive_loss(img, exp[[1, 0, 2]], 0.5)) > float(contrastive_loss(img, exp, 0.5)) + 1
    with pytest.raises(ValueError, match="at least 2"):
        contrastive_loss(img[:1], exp[:1], 0.5)


# --- generator and network ----------------------------------------------------------------------------

def test_paper_generator_resolutions():
    """Stem h/4 channels at H/8, H·W/2⁸ tokens of h dims, tri-plane 3 × 32 × H/2 × W/2 (meta device)."""
    with torch.device("meta"):
        g = TriplaneGenerator(PAPER)
        src = torch.empty(1, 3, 256, 256)
        stem = g.stem(src)
        tokens, h, w = g.patch_merge(stem)
        planes = g(src, torch.empty(1, PAPER.basis_dim))
    assert tuple(stem.shape) == (1, PAPER.hidden_dim // 4, 32, 32)
    assert tuple(tokens.shape) == (1, 256 * 256 // 2 ** 8, PAPER.hidden_dim) and (h, w) == (16, 16)
    assert tuple(planes.shape) == (1, 3, 32, 128, 128)


def test_lowpass_pixel_shuffle():
    k = gaussian_kernel(5, 1.0)
    assert float(k.sum()) == pytest.approx(1.0) and torch.equal(k, k.T) and torch.equal(k, k.flip(0))
    assert float(k[2, 2]) == pytest.approx(1 / (sum(math.exp(-i * i / 2) for i in range(-2, 3))) ** 2)
    lp = GaussianLowPass(5, 1.0)
    const = torch.full((1, 2, 8, 8), 0.3)
    torch.testing.assert_close(lp(const), const)
    checker = (torch.arange(8)[:, None] + torch.arange(8)[None]) % 2 * 2.0 - 1  # the grid artefact it removes
    assert lp(checker[None, None]).abs().max() < 0.2 * checker.abs().max()
    assert tuple(ShuffleUp(16, 4)(torch.randn(1, 16, 8, 8)).shape) == (1, 4, 16, 16)


@pytest.mark.parametrize("overrides", [{}, {"conditioning": "cross_attention"}, {"expression_encoder": "direct"},
                                       {"expression_encoder": "e2e_lebs", "n_basis": 5}])
def test_ablation_variants_render_and_depend_on_the_expression(overrides):
    torch.manual_seed(0)
    cfg = TINY.with_options(**overrides)
    net = Export3DNetwork(cfg).eval()
    src = torch.rand(1, 3, 64, 64) * 2 - 1
    kinds = {type(m).__name__ for m in net.modules()}
    assert ("CrossAttentionBlock" in kinds) == (cfg.conditioning == "cross_attention")
    assert ("EAdaLNBlock" in kinds) == (cfg.conditioning == "eadaln")
    assert isinstance(net.expression_encoder, DirectExpression if cfg.expression_encoder == "direct" else LearnedBasisScaling)
    with torch.no_grad():
        gen = lambda: torch.Generator().manual_seed(0)  # noqa: E731
        a = net(src, torch.zeros(1, 64), _camera_labels(1), generator=gen())
        b = net(src, torch.ones(1, 64), _camera_labels(1), generator=gen())
        a2 = net(src, torch.zeros(1, 64), _camera_labels(1), generator=gen())
    assert a["image"].shape == (1, 3, 64, 64) and a["rgb_raw"].shape == (1, 3, 16, 16)
    assert torch.equal(a["image"], a2["image"])  # seeded rendering repeats exactly
    assert (a["planes"] - b["planes"]).abs().max() > 1e-6  # small at initialisation (σ ≈ 1, μ ≈ 0), never zero


def test_triplane_ema_follows_the_output_and_is_added():
    torch.manual_seed(0)
    cfg = TINY.with_options(triplane_ema_momentum=0.5)
    g = TriplaneGenerator(cfg)
    src, cond = torch.randn(2, 3, 64, 64), torch.randn(2, cfg.basis_dim)
    first = g(src, cond, update_ema=True)  # EMA was 0: now 0.5 · mean(first)
    torch.testing.assert_close(g.triplane_ema, 0.5 * first.mean(0, keepdim=True))
    second = g(src, cond)
    torch.testing.assert_close(second, first + g.triplane_ema)


def test_config_validation():
    with pytest.raises(ValueError, match="expression_encoder"):
        TINY.with_options(expression_encoder="lebs")
    with pytest.raises(ValueError, match="cannot exceed"):
        TINY.with_options(n_basis=64)
    assert Export3DConfig.from_dict(PAPER.to_dict()) == PAPER
    with pytest.raises(ValueError, match="unknown"):
        Export3DConfig.from_dict({**PAPER.to_dict(), "nope": 1})


# --- checkpoints ---------------------------------------------------------------------------------------

def test_checkpoint_round_trip_is_weights_only_and_exact(tmp_path):
    from talkbench.models.export3d.adapter import Export3D

    path = Export3D.write_random_checkpoint(tmp_path / "e3d.pt", seed=3, config=TINY)
    raw = torch.load(path, map_location="cpu", weights_only=True)
    assert raw["format"] == "talkbench-export3d" and raw["stage"] == "random" and raw["talkbench"]["random_init"]
    model = Export3D(checkpoint=str(path), seed=0)
    assert model.config == TINY
    torch.manual_seed(3)
    reference = Export3DNetwork(TINY)
    for k, v in reference.state_dict().items():
        assert torch.equal(model.network.state_dict()[k], v), k
    notes = " | ".join(model.comparability_notes())
    assert "random initialisation written by talkbench (seed 3): numbers are meaningless" in notes
    assert "never the authors'" in notes and "image_size=64" in notes


def test_bad_checkpoints_are_refused_with_the_fix(tmp_path):
    from talkbench.models.export3d.adapter import Export3D

    with pytest.raises(InputError, match="not found"):
        load_checkpoint(tmp_path / "absent.pt")
    torch.save({"state_dict": {}}, tmp_path / "other.pt")
    with pytest.raises(InputError, match="not a talkbench-export3d container"):
        load_checkpoint(tmp_path / "other.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    with pytest.raises(InputError, match="weights-only"):
        load_checkpoint(tmp_path / "junk.pt")
    clebs = save_checkpoint(tmp_path / "clebs.pt", "clebs", TINY, {"expression_encoder": {}, "image_encoder": {}})
    with pytest.raises(InputError, match="CLeBS pre-training checkpoint"):
        Export3D(checkpoint=str(clebs))


def test_mesh_expression_is_the_pose_free_expression_points_in_decimetres():
    mesh = np.zeros((478, 3))
    mesh[:, 0] = np.arange(478)
    mesh[:, 1] = -np.arange(478) * 2
    beta = mesh_expression(mesh)
    assert beta.shape == (64,) and beta.dtype == np.float32 and len(set(MESH_EXPRESSION_POINTS)) == 32
    np.testing.assert_allclose(beta[:4], [78 / 10, -156 / 10, 81 / 10, -162 / 10], rtol=1e-6)


def test_ls_models_card_and_init_checkpoint_cli(tmp_path, capsys):
    from talkbench.cli import main
    from talkbench.models.parameters import count_parameters

    assert main(["ls", "models", "--json"]) == 0
    row = {r["name"]: r for r in __import__("json").loads(capsys.readouterr().out)}["export3d"]
    table = {r["module"]: r["parameters"] for r in row["parameter_table"]}
    with torch.device("meta"):
        net = Export3DNetwork(PAPER)
    assert table["export3d"] == count_parameters(net) == 28_160_384
    assert table["export3d.generator.low_res_blocks"] == count_parameters(net.generator.low_res_blocks)
    assert sum(v for k, v in table.items() if k.count(".") == 1 and k.startswith("export3d.")) == table["export3d"]
    assert "never the authors'" in row["description"] or "none released" in row["description"]
    out = tmp_path / "e3d.pt"
    assert main(["init-checkpoint", "--model", "export3d", "--out", str(out), "--seed", "1"]) == 0
    ckpt = load_checkpoint(out)
    assert ckpt.stage == "random" and ckpt.config == PAPER and ckpt.provenance == {"random_init": True, "seed": 1}
