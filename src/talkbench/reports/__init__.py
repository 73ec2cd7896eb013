"""talkbench.reports"""
