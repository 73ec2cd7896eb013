"""No metric decodes, detects or runs a network: an import check over every module of talkbench.metrics.

Metrics read analysis records (talkbench.analysis) and FrameSet pixels. They may name a backbone on a card
(catalog data, file fingerprints) but never import a network definition, a loader, a detector, a landmarker,
a decoder, or an analyser class.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import talkbench

PACKAGE = Path(talkbench.__file__).parent
METRIC_MODULES = sorted((PACKAGE / "metrics").rglob("*.py"))

#: modules a metric never imports (networks, their loaders, detectors/landmarkers, decoders)
FORBIDDEN_MODULES = (
    "talkbench.nets", "talkbench.io.video", "talkbench.io.audio", "talkbench.io.images", "talkbench.weights.install",
    "cv2", "av", "mediapipe", "onnxruntime", "dlib", "insightface", "face_alignment", "PIL", "torchvision",
)
#: what a metric may take from talkbench.faces / talkbench.weights.store: fingerprints and catalog data only
ALLOWED_NAMES = {
    "talkbench.faces.mouth": {"mouth_backbone_ids"},
    "talkbench.faces.mediapipe_files": {"MEDIAPIPE_VERSION", "MESH_WITH_ATTENTION", "SHORT_RANGE_DETECTOR", "files_sha256"},
    "talkbench.faces.dlib_models": {"model_sha256"},
    "talkbench.weights.store": {"get_weights_spec"},
}
#: analysis-stage internals that would run a network outside FrameAnalysis
FORBIDDEN_ANALYSIS_NAMES = ("make_analyser", "embed_windows", "face_crops", "pooled_")


def _package(path: Path) -> str:
    return ".".join(("talkbench",) + path.relative_to(PACKAGE).with_suffix("").parts[:-1])


def _imports(path: Path, package: str) -> list[tuple[str, list[str]]]:
    """(absolute module, imported names) of every import statement in the file, nested ones included."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            out.append((module, [alias.name for alias in node.names]))
    return out


def _violations(path: Path, package: str) -> list[str]:
    bad = []
    for module, names in _imports(path, package):
        if any(module == f or module.startswith(f + ".") for f in FORBIDDEN_MODULES):
            bad.append(f"imports {module}")
        elif module.startswith("talkbench.faces") or module == "talkbench.weights.store":
            extra = set(names) - ALLOWED_NAMES.get(module, set())
            if extra or not names:
                bad.append(f"takes {sorted(extra) or module} from {module}")
        elif module.startswith("talkbench.analysis"):
            bad += [f"takes {n} from {module}" for n in names
                    if n.endswith("Analyser") or any(n.startswith(f) for f in FORBIDDEN_ANALYSIS_NAMES)]
        elif module == "talkbench.faces":
            bad.append("imports talkbench.faces")
    return bad


@pytest.mark.parametrize("path", METRIC_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_metric_module_reads_analysis_records_only(path):
    assert _violations(path, _package(path)) == []


def test_the_check_catches_a_metric_that_runs_its_own_network(tmp_path):
    fake = tmp_path / "probe.py"
    source = ("from ..nets.inception_fid import load_fid_inception\n"
              "from ..faces.detection import get_detector\n"
              "def f():\n    from ..weights.store import verified_weights\n    import cv2\n"
              "    from ..analysis.image_features import InceptionAnalyser\n")
    fake.write_text(source, encoding="utf-8")
    found = _violations(fake, "talkbench.metrics")
    assert found == ["imports talkbench.nets.inception_fid", "takes ['get_detector'] from talkbench.faces.detection",
                     "takes ['verified_weights'] from talkbench.weights.store", "imports cv2",
                     "takes InceptionAnalyser from talkbench.analysis.image_features"]


def test_face_helpers_have_no_second_path_around_the_analysis_stage():
    """tracking and mouth hold geometry only: the detector and mesh run in talkbench.analysis."""
    for name in ("tracking.py", "mouth.py"):
        names = [n for _, ns in _imports(PACKAGE / "faces" / name, "talkbench.faces") for n in ns]
        assert not {"get_detector", "get_landmarker", "MediapipeMesh", "FrameAnalysis"} & set(names), name
