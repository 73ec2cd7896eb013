"""talkbench.analysis: the one stage that runs networks on evaluation frames.

  stage            FrameAnalysis (run / run_pairs / run_clip), default_analysis() for the process
  registry         the analyser table: name ``kind[:backbone][@input]`` -> analyser
  base             FrameAnalyser, PairAnalyser, ClipAnalyser
  face_analysers   detection, landmarks, mesh pose, identity, Deep3D coefficients
  image_features   Inception pool3 features, LPIPS pair distances
  syncnet_windows  SyncNet window embeddings of a clip
  mouth            mouth opening per frame, mouth + audio energy series per clip
  cache            per-clip .npz records keyed by content + backbone + weights + preprocessing
  clip             Clip (frames, fps, audio) and the 25 fps resampling the AV analyses share

Networks come from talkbench.nets.pool (each loaded once per process); metrics only read records.
"""
