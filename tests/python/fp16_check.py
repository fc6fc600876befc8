"""Checks stored float16 weights against numpy's own float32 -> float16 conversion (round to nearest even).

Usage: /usr/bin/python3 fp16_check.py FLOAT32_FILE FLOAT16_FILE
  FLOAT32_FILE  little-endian float32 values (the fp32 model's folded weights)
  FLOAT16_FILE  the raw float16Value bytes of the fp16 model, same order
Prints: count mismatches max_abs_error max_half_step
"""
import sys

import numpy as np


def main(f32_path, f16_path):
    f32 = np.fromfile(f32_path, dtype='<f4')
    f16 = np.fromfile(f16_path, dtype='<f2')
    if f32.shape != f16.shape:
        raise SystemExit(f'{f32.size} float32 values but {f16.size} float16 values')
    expected = f32.astype(np.float16)
    mismatches = int(np.count_nonzero(expected.view('<u2') != f16.view('<u2')))
    error = np.abs(f16.astype(np.float64) - f32.astype(np.float64))
    # Half the distance to the next half away from zero: the largest error round-to-nearest may make.
    step = np.abs(np.spacing(np.abs(f32).astype(np.float16)).astype(np.float64)) / 2
    print(f32.size, mismatches, float(error.max()), int(np.count_nonzero(error > step)))


if __name__ == '__main__':
    main(*sys.argv[1:])
