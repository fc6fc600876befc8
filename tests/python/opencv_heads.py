"""Runs OpenCV's Darknet importer on cfg + weights and writes the raw detection-head tensors.

Usage: /usr/bin/python3 opencv_heads.py CFG WEIGHTS INPUT OUTPUT
  INPUT   int32 C, H, W, then C*H*W float32 pixel values 0..255 (RGB, CHW), already at the cfg's input size
  OUTPUT  int32 head count, then per head int32 C, H, W and C*H*W float32, in cfg order

The raw head is the output of the layer OpenCV places right before the permute that feeds each
[yolo] / [region] layer, i.e. the convolution (with its batch norm and activation) below the head.
"""
import sys

import cv2
import numpy as np


def main(cfg, weights, input_path, output_path):
    with open(input_path, 'rb') as f:
        c, h, w = np.frombuffer(f.read(12), dtype='<i4')
        pixels = np.frombuffer(f.read(), dtype='<f4').reshape(1, c, h, w)
    net = cv2.dnn.readNetFromDarknet(cfg, weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    names = list(net.getLayerNames())
    heads = [names[i - 1] for i in range(1, len(names) - 1)
             if names[i].startswith('permute_')
             and (names[i + 1].startswith('yolo_') or names[i + 1].startswith('region_') or names[i + 1] == 'detection_out')]
    if not heads:
        raise SystemExit('no detection heads found in ' + cfg)
    net.setInput((pixels * np.float32(1.0 / 255.0)).astype(np.float32))
    outs = net.forward(heads)
    with open(output_path, 'wb') as f:
        f.write(np.array([len(outs)], dtype='<i4').tobytes())
        for o in outs:
            o = np.asarray(o, dtype='<f4')
            f.write(np.array(o.shape[1:4], dtype='<i4').tobytes())
            f.write(o.tobytes())


if __name__ == '__main__':
    main(*sys.argv[1:5])
