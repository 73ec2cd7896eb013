"""talkbench.metrics.backbones"""
