"""Logging and progress on stderr; stdout is reserved for results (`--json`).

- ``configure(verbosity)``: talkbench's log level, and (unless ``-v``) third-party noise silenced:
  Python loggers of Ray/absl/mediapipe/TensorFlow at ERROR, and the native lines that mediapipe's
  C++ (absl/glog) and TF-Lite write straight to file descriptor 2, which no Python setting reaches,
  dropped by a filter on that descriptor (``NATIVE_NOISE``). Everything else passes unchanged.
- ``progress(...)``: a tqdm bar on a terminal; when stderr is not a terminal (CI, ``| cat``, a log
  file) a plain line every ``PROGRESS_SECONDS`` seconds, even while one item takes long.
- ``heartbeat(desc)``: the same periodic line around a long step without a count (building data).
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import threading
import time

LOGGER_NAME = "talkbench"
#: seconds between progress lines when stderr is not a terminal (TALKBENCH_PROGRESS_SECONDS overrides)
PROGRESS_SECONDS = 5.0
#: Python loggers of libraries that are chatty at INFO/WARNING
THIRD_PARTY_LOGGERS = ("ray", "absl", "mediapipe", "tensorflow", "jax", "insightface", "onnxruntime", "h5py", "numba")
#: lines written to fd 2 by mediapipe / absl / glog / TF-Lite and by Ray (also when forwarded from Ray
#: workers, prefixed "(task pid=123)"); errors (E lines, Python ERROR) always pass
NATIVE_NOISE = re.compile(
    rb"^(?:\x1b\[[\d;]*m)*(?:\([^)]*pid=\d+[^)]*\)(?:\x1b\[[\d;]*m)*\s*)?"
    rb"(?:INFO: Created TensorFlow Lite"
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called"
    rb"|[IW]\d{4} \d\d:\d\d:[\d.]+\s+\d+ [\w./-]+:\d+\] "
    # Ray's Python loggers ("2026-01-01 00:00:00,123\tINFO worker.py:2038 -- ...") and its C++ core
    # ("[2026-01-01 00:00:00,123 I 1697 1697] logging.cc:303: ..."), INFO and WARNING only
    rb"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+\s+(?:INFO|WARNING) [\w.]+:\d+ -- "
    rb"|\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [IW] \d+ \d+\] [\w./-]+:\d+: )")


def get_logger(name: str = "") -> logging.Logger:
    """talkbench's logger for a module: get_logger(__name__) -> "talkbench.benchmarks.mini.demo"."""
    if not name or name == LOGGER_NAME:
        return logging.getLogger(LOGGER_NAME)
    return logging.getLogger(name if name.startswith(LOGGER_NAME + ".") else f"{LOGGER_NAME}.{name}")


def configure(verbosity: int = 0) -> None:
    level = logging.WARNING if verbosity < 0 else logging.INFO if verbosity == 0 else logging.DEBUG
    root = logging.getLogger(LOGGER_NAME)
    root.setLevel(level)
    if not any(getattr(h, "_talkbench", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handler._talkbench = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    if verbosity < 1:
        quiet_third_party()


def quiet_third_party() -> None:
    """Silence library logging (see the module docstring); ``-v`` leaves it all on."""
    for name in THIRD_PARTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    # inherited by worker processes and Ray workers; read by glog/TF when they start
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if sys.stderr is sys.__stderr__ and "PYTEST_CURRENT_TEST" not in os.environ:
        NativeStderrFilter.install()


_FILTER_CHILD = r"""
import os, re, select, sys
pattern = re.compile(sys.argv[1].encode("latin-1"))
tail = b""
def forward(segment):
    if segment and not pattern.match(segment):
        os.write(2, segment)
while True:
    ready, _, _ = select.select([0], [], [], 0.05)
    if ready:
        chunk = os.read(0, 1 << 16)
        if not chunk:
            forward(tail)
            break
        tail += chunk
        *lines, tail = re.split(rb"(?<=[\n\r])", tail)
        for line in lines:
            forward(line)
    elif tail:
        forward(tail)
        tail = b""
"""


class NativeStderrFilter:
    """Replaces file descriptor 2 with a pipe into a small filter process that forwards every line to
    the real stderr except those matching ``NATIVE_NOISE``. A separate process (not a thread) so that
    nothing written at interpreter teardown or just before a crash is lost: it drains the pipe until
    the last writer is gone. Lines end at \\n or \\r (progress bars redraw with \\r); a partial line is
    forwarded after 50 ms without more output."""

    _active: "NativeStderrFilter | None" = None

    def __init__(self, pattern: re.Pattern = NATIVE_NOISE) -> None:
        import subprocess

        sys.stderr.flush()
        read_end, write_end = os.pipe()
        self.child = subprocess.Popen([sys.executable, "-I", "-S", "-c", _FILTER_CHILD, pattern.pattern.decode("latin-1")],
                                      stdin=read_end, stdout=subprocess.DEVNULL, stderr=2, close_fds=True)
        os.close(read_end)
        os.dup2(write_end, 2)
        os.close(write_end)

    @classmethod
    def install(cls) -> "NativeStderrFilter | None":
        if cls._active is None:
            try:
                cls._active = cls()
            except OSError:  # no fd 2 (a daemon) or no way to start the filter: leave stderr alone
                return None
        return cls._active


def _interval() -> float:
    try:
        return max(0.5, float(os.environ.get("TALKBENCH_PROGRESS_SECONDS", PROGRESS_SECONDS)))
    except ValueError:
        return PROGRESS_SECONDS


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}" if m < 60 else f"{m // 60}:{m % 60:02d}:{s:02d}"


class LineProgress:
    """A tqdm-compatible counter that prints '<desc>: n/total items, m:ss elapsed, ~m:ss left' every
    ``interval`` seconds from a timer thread (so a slow item still shows the run is alive), and a
    final line on close."""

    def __init__(self, iterable=None, total: int | None = None, desc: str = "", interval: float | None = None,
                 file=None, unit: str = "items", **_ignored) -> None:
        self.iterable = iterable
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)
        self.total, self.desc, self.unit, self.n = total, desc, unit, 0
        self.file = file or sys.stderr
        self.interval = interval or _interval()
        self.start = time.monotonic()
        self._stop = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._tick, name="talkbench-progress", daemon=True)
        self._thread.start()

    def line(self) -> str:
        elapsed = time.monotonic() - self.start
        count = f"{self.n}/{self.total}" if self.total else f"{self.n}"
        left = ""
        if self.total and 0 < self.n < self.total:
            left = f", ~{_clock(elapsed / self.n * (self.total - self.n))} left"
        return f"{self.desc or 'progress'}: {count} {self.unit}, {_clock(elapsed)} elapsed{left}"

    def _print(self) -> None:
        with contextlib.suppress(Exception):
            print(self.line(), file=self.file, flush=True)

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            self._print()

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_description(self, desc: str, refresh: bool = True) -> None:
        self.desc = desc

    def __iter__(self):
        try:
            for x in self.iterable:
                yield x
                self.update(1)
        finally:
            self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._print()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def progress(iterable=None, **kwargs):
    """A tqdm bar on a terminal; periodic plain lines otherwise (see LineProgress)."""
    from tqdm import tqdm  # imported when progress is shown, not at CLI start-up

    stream = kwargs.get("file") or sys.stderr
    if kwargs.get("disable") is True:
        kwargs.setdefault("file", stream)
        return tqdm(iterable, **kwargs)
    if not _is_terminal(stream):
        return LineProgress(iterable, **kwargs)
    kwargs.setdefault("file", stream)
    kwargs.setdefault("leave", False)
    return tqdm(iterable, **kwargs)


@contextlib.contextmanager
def heartbeat(desc: str, interval: float | None = None, file=None):
    """Around a long step without a count: on a non-terminal stderr, '<desc>: m:ss elapsed' every
    few seconds and once at the end; nothing on a terminal (the step's own bars show there)."""
    stream = file or sys.stderr
    if _is_terminal(stream):
        yield
        return
    bar = LineProgress(desc=desc, interval=interval, file=stream, unit="steps")
    bar.line = lambda: f"{desc}: {_clock(time.monotonic() - bar.start)} elapsed"  # type: ignore[method-assign]
    try:
        yield
    finally:
        bar.close()
