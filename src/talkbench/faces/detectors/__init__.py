"""Face detector implementations, registered by name in talkbench.faces.detection.DETECTORS."""
