#!/usr/bin/env python3
"""Writes demo.weights for demo.cfg: a Darknet 0.2.5 header, then seeded random parameters in Darknet's order
(per [convolutional]: biases, [BN scales, rolling mean, rolling variance], kernel). Python standard library only.

Usage: python3 samples/make_demo_weights.py [CFG] [OUT] [SEED]
Supports the sections demo.cfg uses: convolutional, maxpool, route (groups), shortcut, upsample, yolo.
"""
import random
import struct
import sys


def sections(path):
    result = []
    for raw in open(path, encoding='utf-8'):
        line = ''.join(raw.split())
        if not line or line[0] in '#;':
            continue
        if line.startswith('['):
            result.append((line[1:-1], {}))
        else:
            key, value = line.split('=', 1)
            result[-1][1].setdefault(key, value)
    return result


def main(cfg='samples/demo.cfg', out='samples/demo.weights', seed='1'):
    rng = random.Random(int(seed))
    net, *layers = sections(cfg)
    channels = []  # output channels of each layer
    data = []
    previous = int(net[1]['channels'])
    for index, (kind, options) in enumerate(layers):
        if kind == 'convolutional':
            filters, size = int(options.get('filters', 1)), int(options.get('size', 1))
            groups = int(options.get('groups', 1))
            fan_in = previous // groups * size * size
            bound = (3.0 / fan_in) ** 0.5
            data += [rng.uniform(-0.2, 0.2) for _ in range(filters)]
            if int(options.get('batch_normalize', 0)):
                data += [rng.uniform(0.6, 1.4) for _ in range(filters)]
                data += [rng.uniform(-0.2, 0.2) for _ in range(filters)]
                data += [rng.uniform(0.5, 1.5) for _ in range(filters)]
            data += [rng.uniform(-bound, bound) for _ in range(filters * fan_in)]
            previous = filters
        elif kind == 'route':
            refs = [int(v) for v in options['layers'].split(',')]
            previous = sum(channels[r if r >= 0 else index + r] for r in refs) // int(options.get('groups', 1))
        elif kind not in ('maxpool', 'shortcut', 'upsample', 'yolo'):
            raise SystemExit(f'{cfg}: [{kind}] is not supported by this generator')
        channels.append(previous)
    with open(out, 'wb') as f:
        f.write(struct.pack('<iiiQ', 0, 2, 5, 0))
        f.write(struct.pack(f'<{len(data)}f', *data))
    print(f'wrote {out}: {20 + 4 * len(data)} bytes')


if __name__ == '__main__':
    main(*sys.argv[1:4])
