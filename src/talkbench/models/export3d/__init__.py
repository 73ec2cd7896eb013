"""Export3D (Ki, Min, Chae, ECCV 2024; seed 004), implemented from the paper."""
