from . import Entry

ENTRIES = {
    "fid": Entry("talkbench.metrics.fid:FID"),
    "kid": Entry("talkbench.metrics.kid:KID"),
    "fvd": Entry("talkbench.metrics.fvd:FVD"),
    "lpips": Entry("talkbench.metrics.lpips:LPIPS"),
    "lpips_vgg": Entry("talkbench.metrics.lpips:LPIPS", {"net": "vgg"}),
}
