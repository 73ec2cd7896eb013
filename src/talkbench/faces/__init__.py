"""talkbench.faces: face detectors, landmarkers, mesh, head pose, alignment, identity nets, tracking.

  detection   FaceBox, get_detector("mediapipe" | "mtcnn" | "scrfd" | "dlib-hog")
  landmarks   get_landmarker("fan-68" | "mediapipe-68" | "dlib-68" | "mediapipe-478"), get_face_mesh()
  pose        head pose from a rigid fit of the mediapipe mesh (Deep3D angles via recon3d)
  align       ArcFace 112 five-point warp, Deep3DFaceRecon POS crop, FAN crop
  (the analysis stage that runs these on evaluation frames is talkbench.analysis)
"""
