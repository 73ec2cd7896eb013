"""Real3D-Portrait (Ye et al., ICLR 2024), re-implemented from the released code's structure."""
