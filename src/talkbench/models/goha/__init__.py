"""GOHA (Li et al., NeurIPS 2023): generalizable one-shot neural head avatar, released stage-2 layout."""
