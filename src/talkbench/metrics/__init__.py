"""Metrics: one module per metric, cards in each, a lazy registry over them."""
from .base import Metric, MetricValue, PairedFrameMetric
from .card import BackboneRef, MetricCard, MetricKind
from .registry import REGISTRY, get_metric, list_metrics

__all__ = ["Metric", "MetricValue", "PairedFrameMetric", "MetricCard", "MetricKind", "BackboneRef",
           "REGISTRY", "get_metric", "list_metrics"]
