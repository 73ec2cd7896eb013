"""Temporal and region metrics: identity consistency, head motion, blinks, silent lips, flicker; mouth / eye crops."""
from . import Entry

_IDENTITY = {"": "buffalo_l", "_antelopev2": "antelopev2", "_iresnet100": "arcface-iresnet100", "_irse50": "ir-se50",
             "_dlib": "dlib-resnet"}

ENTRIES = {
    **{f"identity_consistency{suffix}": Entry("talkbench.metrics.identity_consistency:IdentityConsistency", {"backbone": b})
       for suffix, b in _IDENTITY.items()},
    **{f"identity_drift{suffix}": Entry("talkbench.metrics.identity_consistency:IdentityDrift", {"backbone": b})
       for suffix, b in _IDENTITY.items()},
    "head_motion_w1": Entry("talkbench.metrics.head_motion:HeadMotionW1"),
    "head_motion_energy": Entry("talkbench.metrics.head_motion:HeadMotionEnergy"),
    "blink_rate_error": Entry("talkbench.metrics.blink:BlinkRateError"),
    "blink_rate_error_dlib": Entry("talkbench.metrics.blink:BlinkRateError", {"backbone": "dlib"}),
    "silent_lip_motion": Entry("talkbench.metrics.silent_lip:SilentLipMotion"),
    "flicker_warped": Entry("talkbench.metrics.flicker:FlickerWarped"),
    **{f"{base}_{region}": Entry("talkbench.metrics.region:RegionMetric", {"base": base, "region": region})
       for base in ("psnr", "ssim", "l1", "lpips") for region in ("mouth", "eyes")},
}
