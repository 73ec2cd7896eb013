"""talkbench.protocols"""
