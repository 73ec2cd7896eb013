from . import Entry

_MASKED = {"region": "composite-white"}

ENTRIES = {
    "psnr": Entry("talkbench.metrics.psnr:PSNR"),
    "ssim": Entry("talkbench.metrics.ssim:SSIM"),
    "l1": Entry("talkbench.metrics.l1:L1"),
    "mse": Entry("talkbench.metrics.mse:MSE"),
    # NeRSemble "masked" mode: prediction and GT composited onto white with the GT alpha.
    "psnr_masked": Entry("talkbench.metrics.psnr:PSNR", _MASKED),
    "ssim_masked": Entry("talkbench.metrics.ssim:SSIM", _MASKED),
    "l1_masked": Entry("talkbench.metrics.l1:L1", _MASKED),
    "mse_masked": Entry("talkbench.metrics.mse:MSE", _MASKED),
}
