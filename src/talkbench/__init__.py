"""talkbench: evaluation and benchmarking for one-shot 3D talking-portrait and head-avatar generation.

Python API mirroring the CLI::

    import talkbench
    talkbench.score("pred_frames/", "gt_frames/", metrics=["psnr", "ssim"])
    m = talkbench.get_metric("ssim"); m.update(pred, gt); m.compute()
"""
__version__ = "0.1.0"

_LAZY = {
    "score": ("talkbench.protocols.adhoc", "score"),
    "get_metric": ("talkbench.metrics.registry", "get_metric"),
    "list_metrics": ("talkbench.metrics.registry", "list_metrics"),
    "MetricCard": ("talkbench.metrics.card", "MetricCard"),
    "Metric": ("talkbench.metrics.base", "Metric"),
    "PairedFrameMetric": ("talkbench.metrics.base", "PairedFrameMetric"),
    "load_summary": ("talkbench.results.store", "load_summary"),
    "run": ("talkbench.protocols.api", "run"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'talkbench' has no attribute {name!r}")


__all__ = ["__version__", *_LAZY]
