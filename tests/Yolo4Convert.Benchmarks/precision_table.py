"""Prints the README's precision table from the JSON files precision.sh leaves in WORK."""
import json
import os
import sys

MODES = ['fp32', 'fp16', 'linear8', 'kmeans8', 'kmeans6', 'kmeans4']


def load(path):
    with open(path) as f:
        return json.load(f)


def runs(verify):
    return {r['precision']: r for r in verify['runs']}


def agreement(verifies, precision):
    found = sum(runs(v)[precision]['detections']['found'] for v in verifies)
    total = sum(v['detections']['reference'] for v in verifies)
    ious = [runs(v)[precision]['detections']['worstIou'] for v in verifies if v['detections']['reference'] > 0]
    worst = f", IoU ≥ {min(ious):.2f}" if ious else ''
    return f"{found}/{total}{worst}"


def main(work, threshold):
    print(f"| model | weights | file | spec | worst head error, fp32 compute | worst head error, fp16 compute | detections found, fp32 compute | detections found, fp16 compute |")
    print("|---|---|---|---|---|---|---|---|")
    for model, label, images in [('yolov4', f'yolov4 608 (seeded), dog.jpg, score > {threshold}', ['']),
                                 ('fastest', 'yolo-fastest-1.1 320 (real), 3 photos, score > 0.5', ['.dog', '.person', '.horses'])]:
        base = None
        for mode in MODES:
            convert = load(os.path.join(work, f'{model}-{mode}.convert.json'))
            verifies = [load(os.path.join(work, f'{model}-{mode}{i}.verify.json')) for i in images]
            size = convert['bytes']
            base = base or size
            e32 = max(runs(v)['fp32']['worstRelativeError'] for v in verifies)
            e16 = max(runs(v)['fp16']['worstRelativeError'] for v in verifies)
            print(f"| {label} | {mode} | {size / 1e6:.1f} MB ({100 * size / base:.1f} %) | {convert['coreML']['specificationVersion']} "
                  f"| {e32:.1e} | {e16:.1e} | {agreement(verifies, 'fp32')} | {agreement(verifies, 'fp16')} |")
    print()
    for mish in ['native', 'stable']:
        v = load(os.path.join(work, f'yolov4-mish-{mish}.verify.json'))
        r = runs(v)
        heads = ', '.join(f"{h['name']} {h['maxRelativeError']:.2e}" for h in r['fp16']['heads'])
        print(f"- yolov4 608, fp16 weights, --mish {mish}: fp32 compute worst {r['fp32']['worstRelativeError']:.3e}; "
              f"fp16 compute worst {r['fp16']['worstRelativeError']:.3e} ({heads}); detections {agreement([v], 'fp16')} (fp16 compute)")


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
