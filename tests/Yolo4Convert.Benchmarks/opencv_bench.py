"""OpenCV's side of the benchmark: load a Darknet model, optionally run one forward pass.

Usage: /usr/bin/python3 opencv_bench.py load|forward CFG WEIGHTS [SIZE IMAGE [THREADS]]
  load     cv2.dnn.readNetFromDarknet only (what a conversion is compared with)
  forward  readNetFromDarknet + one forward pass of IMAGE stretched to SIZE x SIZE, RGB, /255, to every
           unconnected output (what `yolo4convert detect` is compared with), on THREADS threads (default 2)
"""
import sys

import cv2


def main(mode, cfg, weights, size=None, image=None, threads='2'):
    cv2.setNumThreads(int(threads))
    net = cv2.dnn.readNetFromDarknet(cfg, weights)
    if mode == 'load':
        return
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    size = int(size)
    blob = cv2.dnn.blobFromImage(cv2.imread(image), 1 / 255.0, (size, size), swapRB=True, crop=False)
    net.setInput(blob)
    outs = net.forward(net.getUnconnectedOutLayersNames())
    print(sum(o.size for o in outs), 'output values')


if __name__ == '__main__':
    main(*sys.argv[1:])
