"""Runs OpenCV's Darknet importer and writes what its [yolo] / [region] layers output: decoded candidate rows.

Usage: /usr/bin/python3 opencv_decoded.py CFG WEIGHTS INPUT OUTPUT [--detect CONFIDENCE IOU]
  INPUT   int32 C, H, W, then C*H*W float32 pixel values 0..255 (RGB, CHW), already at the cfg's input size
  OUTPUT  int32 head count, then per head (cfg order) int32 rows, columns and rows*columns float32:
          one row per candidate box (grid row, grid column, anchor), columns x, y, w, h (normalised to the
          input), objectness, then one score per class (objectness x class probability; for [region] heads
          recomputed from OpenCV's input to the layer, see with_region_scores)
  --detect  also prints JSON [[class, confidence, x, y, w, h], ...]: OpenCV's own post-processing as in its
          object detection sample (best class per row, confidence threshold, cv2.dnn.NMSBoxes per class)

OpenCV zeroes class scores not above the layer's `thresh` (default 0.2); the cfg is copied with thresh=0 in every
detection section (replacing any thresh= line), so every score comes through.
"""
import json
import os
import sys
import tempfile

import cv2
import numpy as np


def cfg_without_threshold(cfg):
    out = []
    section = None
    with open(cfg) as f:
        lines = f.read().splitlines()
    for line in lines:
        stripped = line.strip()
        if stripped.startswith('['):
            if section in ('[yolo]', '[region]'):
                out.append('thresh=0')
            section = stripped
        if section in ('[yolo]', '[region]') and stripped.replace(' ', '').startswith('thresh='):
            continue
        out.append(line)
    if section in ('[yolo]', '[region]'):
        out.append('thresh=0')
    handle, path = tempfile.mkstemp(suffix='.cfg')
    with os.fdopen(handle, 'w') as f:
        f.write('\n'.join(out) + '\n')
    return path


def with_region_scores(decoded, raw):
    """OpenCV's region layer runs its own per-class NMS (nms_threshold 0.4 is fixed by the importer) and zeroes
    the scores of suppressed boxes; the scores are recomputed here from the layer's input with yolov2's formula,
    sigmoid(objectness) x softmax(classes), and checked against every score OpenCV kept."""
    rows, columns = decoded.shape
    classes = columns - 5
    _, channels, h, w = raw.shape
    anchors = channels // columns
    t = raw.reshape(anchors, columns, h * w).transpose(2, 0, 1).reshape(rows, columns).astype(np.float64)
    objectness = 1 / (1 + np.exp(-t[:, 4]))
    e = np.exp(t[:, 5:] - t[:, 5:].max(axis=1, keepdims=True))
    scores = objectness[:, None] * e / e.sum(axis=1, keepdims=True)
    kept = decoded[:, 5:] > 0
    if not kept.any() or np.abs(scores[kept] - decoded[:, 5:][kept]).max() > 1e-5:
        raise SystemExit('the recomputed region scores do not match the scores OpenCV kept')
    out = decoded.copy()
    out[:, 5:] = scores
    return out


def main(cfg, weights, input_path, output_path, *detect):
    with open(input_path, 'rb') as f:
        c, h, w = np.frombuffer(f.read(12), dtype='<i4')
        pixels = np.frombuffer(f.read(), dtype='<f4').reshape(1, c, h, w)
    copy = cfg_without_threshold(cfg)
    try:
        net = cv2.dnn.readNetFromDarknet(copy, weights)
    finally:
        os.remove(copy)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    names = list(net.getLayerNames())
    heads = [n for n in names if n.startswith('yolo_') or n.startswith('region_') or n == 'detection_out']
    if not heads:
        raise SystemExit('no detection heads found in ' + cfg)
    heads.sort(key=lambda n: net.getLayerId(n))
    # A [region] head's input: the layer before the permute that feeds it (see opencv_heads.py).
    raws = {n: names[names.index(n) - 2] for n in heads if not n.startswith('yolo_')}
    net.setInput((pixels * np.float32(1.0 / 255.0)).astype(np.float32))
    blobs = net.forward(heads + list(raws.values()))
    outs = [np.asarray(o, dtype='<f4').reshape(-1, o.shape[-1]) for o in blobs[:len(heads)]]
    for i, name in enumerate(heads):
        if name in raws:
            outs[i] = with_region_scores(outs[i], blobs[len(heads) + list(raws).index(name)])
    with open(output_path, 'wb') as f:
        f.write(np.array([len(outs)], dtype='<i4').tobytes())
        for o in outs:
            f.write(np.array(o.shape, dtype='<i4').tobytes())
            f.write(np.ascontiguousarray(o).tobytes())
    if detect:
        threshold, iou = float(detect[1]), float(detect[2])
        rows = np.concatenate(outs)
        scores = rows[:, 5:]
        best = scores.argmax(axis=1)
        confidence = scores[np.arange(len(rows)), best]
        found = []
        for k in sorted(set(best[confidence >= threshold].tolist())):
            idx = np.where((best == k) & (confidence >= threshold))[0]
            boxes = [[float(r[0] - r[2] / 2), float(r[1] - r[3] / 2), float(r[2]), float(r[3])] for r in rows[idx]]
            keep = cv2.dnn.NMSBoxes(boxes, confidence[idx].tolist(), threshold, iou)
            for j in np.array(keep).reshape(-1):
                r = rows[idx[j]]
                found.append([int(k), float(confidence[idx[j]]), float(r[0]), float(r[1]), float(r[2]), float(r[3])])
        print(json.dumps(found))


if __name__ == '__main__':
    main(*sys.argv[1:])
