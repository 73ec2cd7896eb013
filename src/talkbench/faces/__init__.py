"""talkbench.faces"""
