"""Decodes an image with OpenCV and stretches it to WIDTH x HEIGHT (bilinear), as the test inputs of the parity tests.

Usage: /usr/bin/python3 image_pixels.py IMAGE WIDTH HEIGHT OUTPUT
  OUTPUT  int32 C, H, W, then float32 pixel values 0..255, RGB, CHW
"""
import sys

import cv2
import numpy as np


def main(image, width, height, output):
    bgr = cv2.imread(image, cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit('cannot read ' + image)
    rgb = cv2.cvtColor(cv2.resize(bgr, (int(width), int(height)), interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2RGB)
    chw = np.ascontiguousarray(rgb.transpose(2, 0, 1)).astype('<f4')
    with open(output, 'wb') as f:
        f.write(np.array(chw.shape, dtype='<i4').tobytes())
        f.write(chw.tobytes())


if __name__ == '__main__':
    main(*sys.argv[1:5])
