from . import Entry

ENTRIES = {
    "synthesis_quality": Entry("talkbench.metrics.multiview:SynthesisQuality"),
    "nvs_quality": Entry("talkbench.metrics.multiview:NVSQuality"),
    "nvv": Entry("talkbench.metrics.multiview:NVV"),
    "ivv": Entry("talkbench.metrics.multiview:IVV"),
}
