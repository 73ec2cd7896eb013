"""Coherent3D (triplane fusion, seed 001): LP3D lifting + per-plane undistorter, visibility, recurrent fuser."""
