"""Shared building blocks for the 3D-aware talking-head models (EG3D conventions)."""
