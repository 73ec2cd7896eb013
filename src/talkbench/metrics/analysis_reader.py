"""How a metric reaches analysis records: through a FrameAnalysis, never by running a network itself.

`update_item(ctx)` reads `ctx.analysis` (the runner's; the process's default when none was given).
Direct `update(...)` calls read the analysis set with `use_analysis(...)`, else the process's default
(talkbench.analysis.stage.default_analysis), so frames are analysed once per process either way.
"""
from __future__ import annotations

from typing import Any


class AnalysisReader:
    _analysis: Any = None

    @property
    def analysis(self) -> Any:
        if self._analysis is None:
            from ..analysis.stage import default_analysis

            return default_analysis()
        return self._analysis

    def use_analysis(self, analysis: Any) -> None:
        """Read records from this FrameAnalysis in direct update() calls."""
        self._analysis = analysis
