"""Decoding and encoding of images, videos and audio; atomic writes; hashing."""
