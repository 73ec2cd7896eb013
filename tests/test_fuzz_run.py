"""Fuzz suite, protocol runs: `talkbench run` identifies its inputs (data roots, content of every file an item
read), locks its --out, validates its arguments and checkpoints up front, marks predictions that are the ground
truth, and survives kill -9 at random points (local and Ray executors) with results identical to one clean run."""
from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from talkbench.io.atomic import read_jsonl
from talkbench.models import registry
from talkbench.models.base import ModelInfo
from talkbench.protocols.api import run
from tests.fuzz_cases import Case, check_case, random_frames, run_cli, write_frames
from tests.protocol_fixtures import BlendModel

CLIPS = tuple(f"c{k:02d}" for k in range(12))
METRICS = "psnr,l1"


class CheckpointBlendModel(BlendModel):
    """BlendModel whose `from_checkpoint` loads a one-layer state dict strictly (weights_only)."""

    info = ModelInfo("test-ckpt", "baseline", "test-only: BlendModel with a checkpoint")

    @classmethod
    def from_checkpoint(cls, path, **kwargs):
        net = torch.nn.Linear(4, 2)
        net.load_state_dict(torch.load(path, weights_only=True, map_location="cpu"))
        return cls(**kwargs)


class FlakyModel(BlendModel):
    """BlendModel that crashes (a plain RuntimeError, as a model bug would) on the clip whose first frame sums to `bad_sum`."""

    info = ModelInfo("test-flaky", "baseline", "test-only: fails on one item")

    def __init__(self, bad_sum: int = -1):
        self.bad_sum = int(bad_sum)

    def prepare(self, source):
        if int(np.asarray(source[0], dtype=np.int64).sum()) == self.bad_sum:
            raise RuntimeError("CUDA out of memory (simulated)")
        return super().prepare(source)


@pytest.fixture(autouse=True)
def models(monkeypatch, tmp_path):
    monkeypatch.setitem(registry.MODELS, "test-blend", "tests.protocol_fixtures:BlendModel")
    monkeypatch.setitem(registry.MODELS, "test-ckpt", "tests.test_fuzz_run:CheckpointBlendModel")
    monkeypatch.setitem(registry.MODELS, "test-flaky", "tests.test_fuzz_run:FlakyModel")
    monkeypatch.setenv("TALKBENCH_HOME", str(tmp_path / "home"))
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """A custom dataset of twelve 3-frame clips and predictions for it (the GT plus a per-clip offset)."""
    root = tmp_path_factory.mktemp("runfuzz")
    for k, clip in enumerate(CLIPS):
        frames = random_frames(10 + k, 3)
        write_frames(root / "clips" / clip, frames)
        write_frames(root / "pred" / clip, [np.clip(f.astype(int) + 5 + k, 0, 255).astype(np.uint8) for f in frames[1:]])
    return root


def cli_run(data: Path, out: Path, *extra: str, pred: Path | None = None) -> list[str]:
    return ["run", "--protocol", "custom", "--data", str(data / "clips"), "--pred", str(pred or data / "pred"), "--out", str(out),
            "--metrics", METRICS, *extra]


def copy(data: Path, tmp: Path, name: str) -> Path:
    shutil.copytree(data / name, tmp / name, symlinks=True)
    return tmp / name


RUN_CASES = {
    "--limit 0": lambda d, t: cli_run(d, t / "o", "--limit", "0"),
    "--limit -1": lambda d, t: cli_run(d, t / "o", "--limit", "-1"),
    "--workers 0": lambda d, t: cli_run(d, t / "o", "--workers", "0"),
    "--out is a file": lambda d, t: (t / "f").write_text("x") and cli_run(d, t / "f"),
    "--pred is a file": lambda d, t: cli_run(d, t / "o", pred=d / "pred" / "c00" / "frame_000.png"),
    "--pred does not exist": lambda d, t: cli_run(d, t / "o", pred=t / "nope"),
    "--data does not exist": lambda d, t: ["run", "--protocol", "custom", "--data", str(t / "nope"), "--pred", str(d / "pred"),
                                           "--out", str(t / "o")],
    "unknown protocol": lambda d, t: ["run", "--protocol", "hdtf-same-idd", "--data", str(t), "--model", "test-blend", "--out", str(t / "o")],
    "unknown model": lambda d, t: ["run", "--protocol", "custom", "--data", str(d / "clips"), "--model", "test-blendd", "--out", str(t / "o")],
    "--checkpoint: empty file": lambda d, t: ckpt(d, t, b""),
    "--checkpoint: a text file": lambda d, t: ckpt(d, t, b"hello, not a checkpoint\n"),
    "--checkpoint: wrong keys": lambda d, t: ckpt(d, t, None),
    "--checkpoint: does not exist": lambda d, t: ["run", "--protocol", "custom", "--data", str(d / "clips"), "--model", "test-ckpt",
                                                  "--checkpoint", str(t / "none.pt"), "--out", str(t / "o")],
    "unreachable --ray-address": lambda d, t: os.environ.__setitem__("TALKBENCH_RAY_TIMEOUT", "2") or
    cli_run(d, t / "o", "--executor", "ray", "--ray-address", "127.0.0.1:9"),
}
SAYS = {"--limit 0": "--limit: 0 .*N >= 1", "--limit -1": "--limit: -1", "--out is a file": "is a file", "--pred is a file": "not a folder",
        "--checkpoint: empty file": "cannot be loaded as a 'test-ckpt' checkpoint", "--checkpoint: a text file": "test-ckpt",
        "--checkpoint: wrong keys": r"1000 unexpected keys, e\.g\. k0, k1, k2", "--checkpoint: does not exist": "none.pt",
        "unreachable --ray-address": "127.0.0.1:9: cannot be reached within 2 s"}


def ckpt(d: Path, t: Path, content: bytes | None) -> list[str]:
    path = t / "model.pt"
    if content is None:  # the right layer plus 1000 foreign keys
        torch.save({**torch.nn.Linear(4, 2).state_dict(), **{f"k{i}": torch.zeros(1) for i in range(1000)}}, path)
    else:
        path.write_bytes(content)
    return ["run", "--protocol", "custom", "--data", str(d / "clips"), "--model", "test-ckpt", "--checkpoint", str(path),
            "--out", str(t / "o"), "--metrics", "psnr"]


@pytest.mark.parametrize("kind", list(RUN_CASES))
def test_bad_run_arguments(kind, data, capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("TALKBENCH_RAY_TIMEOUT", raising=False)
    check_case(capsys, Case(f"run: {kind}", lambda t: RUN_CASES[kind](data, t), 2, SAYS.get(kind, "")), tmp_path)
    os.environ.pop("TALKBENCH_RAY_TIMEOUT", None)
    assert not (tmp_path / "o" / "items").exists() or not any((tmp_path / "o" / "items").iterdir())


def test_a_good_checkpoint_runs(data, capsys, tmp_path):
    torch.save(torch.nn.Linear(4, 2).state_dict(), tmp_path / "ok.pt")
    code, _, err = run_cli(capsys, ["run", "--protocol", "custom", "--data", str(data / "clips"), "--model", "test-ckpt",
                                    "--checkpoint", str(tmp_path / "ok.pt"), "--out", str(tmp_path / "o"), "--metrics", "psnr"])
    assert code == 0, err


def half_done(data: Path, out: Path, pred: Path) -> None:
    class Stop(Exception):
        pass

    def stop(n, item):
        if n == 3:
            raise Stop

    with pytest.raises(Stop):
        run("custom", data=data / "clips", out=out, pred=pred, metrics=METRICS.split(","), on_item=stop)


def test_resume_with_other_data_is_refused(data, capsys, tmp_path):
    half_done(data, tmp_path / "o", data / "pred")
    other = copy(data, tmp_path, "clips")
    code, _, err = run_cli(capsys, ["run", "--protocol", "custom", "--data", str(other), "--pred", str(data / "pred"),
                                    "--out", str(tmp_path / "o"), "--metrics", METRICS, "--resume"])
    assert code == 2 and "different" in err and "data" in err and "Traceback" not in err


def test_resume_after_predictions_changed_is_refused(data, capsys, tmp_path):
    pred = copy(data, tmp_path, "pred")
    half_done(data, tmp_path / "o", pred)
    done = sorted(p.stem for p in (tmp_path / "o" / "items").glob("*.json"))
    black = pred / done[0] / "frame_000.png"
    Image.fromarray(np.zeros((24, 24, 3), np.uint8)).save(black)
    code, _, err = run_cli(capsys, cli_run(data, tmp_path / "o", "--resume", pred=pred))
    assert code == 2 and f"{pred / done[0]}: changed since item '{done[0]}'" in err and "Fix: rerun without --resume" in err


def test_resume_with_a_damaged_item_file_names_it(data, capsys, tmp_path):
    half_done(data, tmp_path / "o", data / "pred")
    victim = sorted((tmp_path / "o" / "items").glob("*.json"))[0]
    victim.write_text(victim.read_text()[:20])
    code, _, err = run_cli(capsys, cli_run(data, tmp_path / "o", "--resume"))
    assert code == 2 and f"{victim}: is damaged" in err and "Fix: delete it" in err


def test_a_second_writer_fails_fast_and_the_first_finishes_intact(data, capsys, tmp_path):
    out = tmp_path / "o"
    second = {}

    def during_first(n, item):
        if n == 2:
            second["code"] = run_cli(capsys, cli_run(data, out, "--resume"))

    s = run("custom", data=data / "clips", out=out, pred=data / "pred", metrics=METRICS.split(","), on_item=during_first)
    code, _, err = second["code"]
    assert code == 2 and "is being written by another talkbench run" in err and "Traceback" not in err
    clean = run("custom", data=data / "clips", out=tmp_path / "clean", pred=data / "pred", metrics=METRICS.split(","))
    assert s["metrics"] == clean["metrics"] and read_jsonl(out / "items.jsonl") == read_jsonl(tmp_path / "clean" / "items.jsonl")


def test_predictions_that_are_the_ground_truth_are_marked_non_comparable(data, tmp_path, caplog):
    pred = tmp_path / "pred"
    pred.mkdir()
    for clip in CLIPS:
        (pred / clip).symlink_to(data / "clips" / clip, target_is_directory=True)
    s = run("custom", data=data / "clips", out=tmp_path / "o", pred=pred, metrics=["psnr"], limit=2)
    assert any("resolve into the dataset's own files" in r and "c00" in r for r in s["comparable_reasons"])
    assert "resolve into the dataset's own files" in caplog.text


def test_missing_results_exit_1_and_are_listed(data, capsys, tmp_path):
    pred = copy(data, tmp_path, "pred")
    shutil.rmtree(pred / "c02")
    code, _, err = run_cli(capsys, cli_run(data, tmp_path / "o", pred=pred))
    assert code == 1 and "c02: " in err and "does not exist" in err


def test_one_item_crashing_the_model_is_its_reason_and_the_run_goes_on(data, capsys, tmp_path):
    bad = int(np.asarray(Image.open(data / "clips" / "c03" / "frame_000.png"), dtype=np.int64).sum())
    code, _, err = run_cli(capsys, ["run", "--protocol", "custom", "--data", str(data / "clips"), "--model", "test-flaky",
                                    "--model-option", f"bad_sum={bad}", "--out", str(tmp_path / "o"), "--metrics", "psnr", "--json"])
    from talkbench.results.store import load_summary

    s = load_summary(tmp_path / "o")
    assert code == 1 and "Traceback" not in err and "c03: failed while building its inputs or prediction (RuntimeError" in err
    assert s["counts"] == {"expected": len(CLIPS), "evaluated": len(CLIPS) - 1, "missing": 1}


def test_a_model_that_cannot_be_built_fails_once_up_front(data, capsys, tmp_path):
    code, _, err = run_cli(capsys, ["run", "--protocol", "custom", "--data", str(data / "clips"), "--model", "test-flaky",
                                    "--model-option", "bad_sum=[1, 2]", "--out", str(tmp_path / "o")])
    assert code == 2 and "--model: 'test-flaky' cannot be built" in err and not (tmp_path / "o" / "items").exists()


# -- kill -9 ----------------------------------------------------------------------------------------
def killed_at(k: int, **kwargs) -> None:
    """Run in a forked child that SIGKILLs itself right after its k-th item is written."""
    pid = os.fork()
    if pid == 0:  # child: no cleanup, no exit handlers, exactly like kill -9
        def die(n, item):
            if n == k:
                os.kill(os.getpid(), signal.SIGKILL)
        try:
            run(on_item=die, **kwargs)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


def test_kill_9_at_five_random_points_then_resume_is_identical(data, tmp_path):
    args = dict(protocol="custom", data=data / "clips", pred=data / "pred", metrics=METRICS.split(","))
    clean = run(out=tmp_path / "clean", **args)
    out = tmp_path / "killed"
    rng = np.random.default_rng(21)
    points = rng.integers(1, 3, size=5)  # each (resumed) run dies after 1–2 more items
    for n, k in enumerate(points):
        killed_at(int(k), out=out, resume=n > 0, **args)
    resumed = run(out=out, resume=True, **args)
    assert resumed["metrics"] == clean["metrics"]
    assert (out / "items.jsonl").read_bytes() == (tmp_path / "clean" / "items.jsonl").read_bytes()
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_kill_9_under_the_ray_executor_then_resume_is_identical(data, tmp_path):
    ray = pytest.importorskip("ray")
    args = dict(protocol="custom", data=data / "clips", pred=data / "pred", metrics=METRICS.split(","))
    clean = run(out=tmp_path / "clean", **args)
    out = tmp_path / "killed"
    try:
        killed_at(2, out=out, executor="ray", workers=1, **args)  # the child starts (and loses) its own Ray
    finally:
        end_orphans(f"TALKBENCH_HOME={os.environ['TALKBENCH_HOME']}")
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        resumed = run(out=out, resume=True, executor="ray", workers=1, **args)
    finally:
        ray.shutdown()
    assert resumed["metrics"] == clean["metrics"]
    assert (out / "items.jsonl").read_bytes() == (tmp_path / "clean" / "items.jsonl").read_bytes()


def end_orphans(marker: str) -> None:
    """SIGKILL the processes the killed driver left behind (its Ray agents): those whose environment holds
    `marker` (this test's own TALKBENCH_HOME), by pid, never this process."""
    import time

    time.sleep(1.0)
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if marker.encode() in (proc / "environ").read_bytes().split(b"\0"):
                os.kill(int(proc.name), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            continue
