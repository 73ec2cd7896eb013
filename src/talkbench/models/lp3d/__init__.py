"""LP3D (Live 3D Portrait): one image -> canonical tri-plane, rendered with the EG3D decoder, renderer and SR."""
