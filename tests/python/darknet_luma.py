"""Writes an image as PNG and the one-channel image Darknet reads from that PNG (stb_image's integer luma).

Usage: /usr/bin/python3 darknet_luma.py IMAGE PNG OUTPUT [GRAY_PNG]
  PNG       the image re-encoded as an 8-bit RGB PNG (lossless, so every reader sees the same pixels)
  OUTPUT    int32 1, H, W, then float32 values 0..255: (77*R + 150*G + 29*B) >> 8 (stbi__compute_y)
  GRAY_PNG  optional: that luma as an 8-bit one-channel PNG (stb_image returns such a PNG's values as they are)
"""
import sys

import cv2
import numpy as np


def main(image, png, output, gray_png=None):
    bgr = cv2.imread(image, cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit('cannot read ' + image)
    if not cv2.imwrite(png, bgr):
        raise SystemExit('cannot write ' + png)
    again = cv2.imread(png, cv2.IMREAD_COLOR).astype(np.int32)
    b, g, r = again[:, :, 0], again[:, :, 1], again[:, :, 2]
    luma = ((r * 77) + (g * 150) + (29 * b)) >> 8
    with open(output, 'wb') as f:
        f.write(np.array((1,) + luma.shape, dtype='<i4').tobytes())
        f.write(np.ascontiguousarray(luma).astype('<f4').tobytes())
    if gray_png is not None and not cv2.imwrite(gray_png, luma.astype(np.uint8)):
        raise SystemExit('cannot write ' + gray_png)


if __name__ == '__main__':
    main(*sys.argv[1:5])
