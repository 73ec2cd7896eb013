"""Plain network definitions and their loaders (Inception-FID, AlexNet/VGG16 trunks + LPIPS heads, iresnet,
IR-SE50, Deep3DFaceRecon ResNet-50, MTCNN, SyncNet) and SyncNet's MFCC front end. Imports only weights/ and io/."""
