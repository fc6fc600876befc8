"""Prints the README's precision table from the files precision.sh leaves in WORK."""
import json
import os
import sys

MODES = ['fp32', 'fp16', 'linear8', 'kmeans8', 'kmeans6', 'kmeans4']


def lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def load(path):
    with open(path) as f:
        return json.load(f)


def found(pairs):
    """pairs: (found, reference, worstIou) per image."""
    f = sum(p[0] for p in pairs)
    t = sum(p[1] for p in pairs)
    ious = [p[2] for p in pairs if p[1] > 0]
    return f"{f}/{t}" + (f", IoU ≥ {min(ious):.2f}" if ious else '')


def main(work):
    print("| model, input, detections | weights | file | spec | worst head error, fp32 compute | worst head error, fp16 compute | found, fp32 compute | found, fp16 compute |")
    print("|---|---|---|---|---|---|---|---|")
    rows = {r['mode']: r for r in lines(os.path.join(work, 'yolov4.jsonl'))}
    base = rows['fp32']['bytes']
    for mode in MODES:
        r = rows[mode]
        runs = {x['precision']: x for x in r['runs']}
        label = f"yolov4 (seeded), {r['input']}, dog.jpg, score > {r['threshold']}"
        print(f"| {label} | {mode} | {r['bytes'] / 1e6:.1f} MB ({100 * r['bytes'] / base:.1f} %) | {r['specificationVersion']} "
              f"| {runs['fp32']['worstRelativeError']:.1e} | {runs['fp16']['worstRelativeError']:.1e} "
              f"| {found([(runs['fp32']['found'], r['reference'], runs['fp32']['worstIou'])])} "
              f"| {found([(runs['fp16']['found'], r['reference'], runs['fp16']['worstIou'])])} |")
    base = None
    for mode in MODES:
        convert = load(os.path.join(work, f'fastest-{mode}.convert.json'))
        verifies = [load(os.path.join(work, f'fastest-{mode}.{i}.verify.json')) for i in ['dog', 'person', 'horses']]
        size = convert['bytes']
        base = base or size
        runs = [{x['precision']: x for x in v['runs']} for v in verifies]
        e32 = max(r['fp32']['worstRelativeError'] for r in runs)
        e16 = max(r['fp16']['worstRelativeError'] for r in runs)
        f32 = found([(r['fp32']['detections']['found'], v['detections']['reference'], r['fp32']['detections']['worstIou']) for r, v in zip(runs, verifies)])
        f16 = found([(r['fp16']['detections']['found'], v['detections']['reference'], r['fp16']['detections']['worstIou']) for r, v in zip(runs, verifies)])
        print(f"| yolo-fastest-1.1 (real), 320x320, 3 photos, score > 0.5 | {mode} | {size / 1e6:.2f} MB ({100 * size / base:.1f} %) "
              f"| {convert['coreML']['specificationVersion']} | {e32:.1e} | {e16:.1e} | {f32} | {f16} |")
    print()
    for r in lines(os.path.join(work, 'yolov4-mish.jsonl')):
        run = r['runs'][0]
        heads = ', '.join(f"{h['name']} {h['maxRelativeError']:.2e}" for h in run['heads'])
        print(f"- yolov4 {r['input']}, fp16 weights, {r['mode']}: fp16-compute error vs Darknet {run['worstRelativeError']:.3e} ({heads}); "
              f"found {found([(run['found'], r['reference'], run['worstIou'])])}; largest difference from the first lowering {run['versusFirstMishLowering']:.3e}")


if __name__ == '__main__':
    main(sys.argv[1])
