"""Results with provenance: `summary.json` + `items.jsonl`, the only files reports read."""
from .bootstrap import bootstrap_ci
from .store import load_items, load_summary, write_results
from .summary import SCHEMA_VERSION, MetricSummary, RunSummary, MissingItem, ItemRecord, summarize_values

__all__ = ["bootstrap_ci", "load_items", "load_summary", "write_results", "SCHEMA_VERSION", "MetricSummary",
           "RunSummary", "MissingItem", "ItemRecord", "summarize_values"]
