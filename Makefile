# talkbench: `make demo` runs the embedded mini benchmark, `make test` runs the test suite.
# Everything the project needs is installed here; a fresh machine needs no other step.
PYTHON    ?= python3.11
VENV      ?= .venv
PY        := $(VENV)/bin/python
PIP       := $(PY) -m pip
EXTRAS    ?= offline,dev,ray
# A folder of prebuilt wheels (dlib 20.0.1 takes ~21 min to compile); used when present.
TALKBENCH_WHEELHOUSE ?= ../shared/wheels
WHEELHOUSE ?= $(TALKBENCH_WHEELHOUSE)
STAMP     := $(VENV)/.talkbench-installed

.PHONY: install demo test bench system-deps clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[$(EXTRAS)]'
	# lpips and facenet-pytorch pin torchvision / old torch: only their data files are used.
	$(PIP) install -q --no-deps lpips==0.1.4 facenet-pytorch==2.6.0
	# insightface/face-alignment pull opencv-python, mediapipe opencv-contrib-python: both own cv2, keep one.
	$(PIP) uninstall -q -y opencv-python opencv-python-headless || true
	$(PIP) install -q --force-reinstall --no-deps opencv-contrib-python==$$($(PY) -c "import importlib.metadata as m; print(m.version('opencv-contrib-python'))")
	@if ls $(WHEELHOUSE)/dlib-*.whl >/dev/null 2>&1; then \
	  echo "installing dlib from $(WHEELHOUSE)"; \
	  $(PIP) install -q --no-index --find-links $(WHEELHOUSE) dlib && $(PIP) install -q face-recognition-models==0.3.0 'setuptools<81'; \
	else echo "no dlib wheel in $(WHEELHOUSE): dlib identity backbone not installed"; fi
	touch $(STAMP)

system-deps:
	@# Debian packages used by tests (headless chromium for the HTML report).
	@# pdflatex is not installed here (texlive-latex-recommended + fonts is ~130 MB): the LaTeX compile
	@# test runs where it is present (apt-get install texlive-latex-recommended) and is skipped otherwise.
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  missing=""; \
	  command -v chromium >/dev/null || missing="$$missing chromium"; \
	  if [ -n "$$missing" ]; then (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) || echo "could not install$$missing; the tests needing them are skipped"; fi; \
	fi

demo: install
	$(VENV)/bin/talkbench demo

test: install system-deps
	$(PY) -m pytest -q tests

bench: install
	$(PY) -m pytest -q bench --benchmark-only

clean:
	rm -rf $(VENV) talkbench-out
