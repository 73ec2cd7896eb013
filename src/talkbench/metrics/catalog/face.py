from . import Entry

# One registered name per backbone: a leaderboard column never mixes numbers from two networks.
ENTRIES = {
    "csim": Entry("talkbench.metrics.csim:CSIM", {"backbone": "buffalo_l"}),
    "csim_antelopev2": Entry("talkbench.metrics.csim:CSIM", {"backbone": "antelopev2"}),
    "csim_iresnet100": Entry("talkbench.metrics.csim:CSIM", {"backbone": "arcface-iresnet100"}),
    "csim_irse50": Entry("talkbench.metrics.csim:CSIM", {"backbone": "ir-se50"}),
    "csim_dlib": Entry("talkbench.metrics.csim:CSIM", {"backbone": "dlib-resnet"}),
    "aed": Entry("talkbench.metrics.aed:AED", {"backbone": "deep3d"}),
    "aed_mediapipe": Entry("talkbench.metrics.aed:AED", {"backbone": "mediapipe-mesh"}),
    "apd": Entry("talkbench.metrics.apd:APD", {"backbone": "deep3d"}),
    "apd_mediapipe": Entry("talkbench.metrics.apd:APD", {"backbone": "mediapipe-mesh"}),
    "akd": Entry("talkbench.metrics.akd:AKD", {"backbone": "fan"}),
    "akd_mediapipe": Entry("talkbench.metrics.akd:AKD", {"backbone": "mediapipe"}),
    "akd_dlib": Entry("talkbench.metrics.akd:AKD", {"backbone": "dlib"}),
    "lmd": Entry("talkbench.metrics.lmd:LMD", {"backbone": "fan"}),
    "lmd_mediapipe": Entry("talkbench.metrics.lmd:LMD", {"backbone": "mediapipe"}),
    "lmd_dlib": Entry("talkbench.metrics.lmd:LMD", {"backbone": "dlib"}),
}
