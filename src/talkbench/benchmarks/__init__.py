"""Embedded benchmarks: the offline mini benchmark (generator, demo driver, golden files)."""
