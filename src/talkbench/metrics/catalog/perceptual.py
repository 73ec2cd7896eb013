from . import Entry

ENTRIES = {
    "fid": Entry("talkbench.metrics.fid:FID"),
    "kid": Entry("talkbench.metrics.kid:KID"),
    "lpips": Entry("talkbench.metrics.lpips:LPIPS"),
    "lpips_vgg": Entry("talkbench.metrics.lpips:LPIPS", {"net": "vgg"}),
}
