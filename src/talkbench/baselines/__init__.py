"""talkbench.baselines"""
