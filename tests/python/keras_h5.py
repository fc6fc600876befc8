"""Independent checks of a Keras .h5 written by yolo4convert, with h5py and numpy only (no TensorFlow).

Usage: /usr/bin/python3 keras_h5.py check FILE
         checks the Keras 2 full-model layout and conventions; prints a JSON summary
       /usr/bin/python3 keras_h5.py dump FILE OUTPUT
         writes every weight dataset, in layer_names / weight_names order, as
         int32 name length, name bytes, int32 rank, int32 dims..., float32 values
       /usr/bin/python3 keras_h5.py run FILE INPUT OUTPUT
         evaluates model_config + weights in numpy on INPUT (int32 C, H, W + float32 pixels 0..255, CHW)
         and writes the outputs as int32 count, then per output int32 C, H, W + float32 values (CHW)
"""
import json
import sys

import h5py
import numpy as np

SIMPLE = {'LeakyReLU', 'Activation', 'Mish', 'BatchNormalization', 'Softmax', 'DarknetReorg'}


def fail(message):
    raise SystemExit('keras_h5 check failed: ' + message)


def text(value):
    return value.decode('utf-8') if isinstance(value, (bytes, np.bytes_)) else str(value)


def name_array(attrs, name):
    # Keras' load_attributes_from_hdf5_group: the attribute itself, else its numbered parts name0, name1, ...
    if name in attrs:
        return attrs[name]
    parts = []
    while f'{name}{len(parts)}' in attrs:
        parts.append(attrs[f'{name}{len(parts)}'])
    if not parts:
        fail('missing attribute ' + name)
    if len({p.dtype for p in parts}) != 1:
        fail(f'the parts of {name} have different dtypes')
    for p in parts:
        if p.nbytes > 64512:
            fail(f'a part of {name} holds {p.nbytes} bytes, over Keras\' 64512')
    return np.concatenate(parts)


def load(path):
    f = h5py.File(path, 'r')
    config = json.loads(text(f.attrs['model_config']))
    return f, config


def out_size(size, kernel, stride, dilation, padding):
    k = (kernel - 1) * dilation + 1
    if padding == 'same':
        return -(-size // stride)
    return (size - k) // stride + 1


def shape_of(layer, inputs):
    cls, cfg = layer['class_name'], layer['config']
    x = inputs[0] if inputs else None
    if cls == 'InputLayer':
        return tuple(cfg['batch_input_shape'][1:])
    if cls in ('Conv2D', 'DepthwiseConv2D', 'MaxPooling2D', 'AveragePooling2D'):
        k = cfg['pool_size'] if cls in ('MaxPooling2D', 'AveragePooling2D') else cfg['kernel_size']
        d = cfg.get('dilation_rate', [1, 1])
        h = out_size(x[0], k[0], cfg['strides'][0], d[0], cfg['padding'])
        w = out_size(x[1], k[1], cfg['strides'][1], d[1], cfg['padding'])
        c = cfg['filters'] if cls == 'Conv2D' else x[2] * cfg.get('depth_multiplier', 1) if cls == 'DepthwiseConv2D' else x[2]
        return (h, w, c)
    if cls == 'ZeroPadding2D':
        (t, b), (l, r) = cfg['padding']
        return (x[0] + t + b, x[1] + l + r, x[2])
    if cls == 'Concatenate':
        if any(i[:2] != x[:2] for i in inputs):
            fail(f"{cfg['name']} concatenates {inputs}")
        return (x[0], x[1], sum(i[2] for i in inputs))
    if cls in ('Add', 'Multiply'):
        return tuple(max(i[j] for i in inputs) for j in range(3))
    if cls == 'UpSampling2D':
        return (x[0] * cfg['size'][0], x[1] * cfg['size'][1], x[2])
    if cls == 'GlobalAveragePooling2D':
        return (x[2],)
    if cls == 'Reshape':
        return tuple(cfg['target_shape'])
    if cls == 'ChannelSlice':
        if not 0 <= cfg['start'] < cfg['end'] <= x[2]:
            fail(f"{cfg['name']} slices {cfg['start']}:{cfg['end']} of {x}")
        return (x[0], x[1], cfg['end'] - cfg['start'])
    if cls == 'DarknetReorg':
        s = cfg['stride']
        return (x[0] // s, x[1] // s, x[2] * s * s)
    if cls in SIMPLE:
        return x
    fail('unknown layer class ' + cls)


def expected_weights(layer, x):
    cls, cfg, name = layer['class_name'], layer['config'], layer['name']
    if cls == 'Conv2D':
        k = cfg['kernel_size']
        result = [(f'{name}/kernel:0', (k[0], k[1], x[2] // cfg['groups'], cfg['filters']))]
        return result + ([(f'{name}/bias:0', (cfg['filters'],))] if cfg['use_bias'] else [])
    if cls == 'DepthwiseConv2D':
        k = cfg['kernel_size']
        result = [(f'{name}/depthwise_kernel:0', (k[0], k[1], x[2], cfg['depth_multiplier']))]
        return result + ([(f'{name}/bias:0', (x[2] * cfg['depth_multiplier'],))] if cfg['use_bias'] else [])
    if cls == 'BatchNormalization':
        return [(f'{name}/{w}:0', (x[2],)) for w in ('gamma', 'beta', 'moving_mean', 'moving_variance')]
    return []


def check(path):
    f, config = load(path)
    for key in ('keras_version', 'backend', 'model_config'):
        if key not in f.attrs:
            fail('missing root attribute ' + key)
    if config['class_name'] not in ('Functional', 'Model'):
        fail('class_name ' + config['class_name'])
    layers = config['config']['layers']
    names = [l['name'] for l in layers]
    if len(set(names)) != len(names):
        fail('layer names are not unique')
    group = f['model_weights']
    layer_names = name_array(group.attrs, 'layer_names')
    if layer_names.dtype.kind != 'S':
        fail(f'layer_names has dtype {layer_names.dtype}, expected fixed-length bytes')
    if [n.decode('utf8') for n in layer_names] != names:
        fail('layer_names differ from the config order')
    shapes = {}
    weights = 0
    for layer in layers:
        if layer['config']['name'] != layer['name']:
            fail('config name differs for ' + layer['name'])
        inputs = []
        for node in layer['inbound_nodes']:
            for inbound in node:
                if inbound[0] not in shapes or inbound[1:3] != [0, 0]:
                    fail(f"{layer['name']} has unresolvable inbound {inbound}")
                inputs.append(shapes[inbound[0]])
        shapes[layer['name']] = shape_of(layer, inputs)
        weight_names = name_array(group[layer['name']].attrs, 'weight_names')
        if len(weight_names) and weight_names.dtype.kind != 'S':
            fail(f"weight_names of {layer['name']} has dtype {weight_names.dtype}")
        expected = expected_weights(layer, inputs[0] if inputs else None)
        if [n.decode('utf8') for n in weight_names] != [e[0] for e in expected]:
            fail(f"{layer['name']}: weight_names {list(weight_names)} != {[e[0] for e in expected]}")
        for wname, wshape in expected:
            ds = group[layer['name']][wname]
            if ds.shape != wshape or ds.dtype != np.float32:
                fail(f'{wname}: {ds.shape} {ds.dtype} != {wshape} float32')
            weights += 1
    for out in config['config']['output_layers']:
        if out[0] not in shapes:
            fail('unknown output ' + out[0])
    print(json.dumps({
        'layers': len(layers),
        'weights': weights,
        'classes': sorted({l['class_name'] for l in layers}),
        'outputs': [list(shapes[o[0]]) for o in config['config']['output_layers']],
    }))


def dump(path, output):
    f, _ = load(path)
    group = f['model_weights']
    with open(output, 'wb') as out:
        for layer in name_array(group.attrs, 'layer_names'):
            layer = layer.decode('utf8')
            for wname in name_array(group[layer].attrs, 'weight_names'):
                wname = wname.decode('utf8')
                data = np.asarray(group[layer][wname], dtype='<f4')
                encoded = wname.encode('utf8')
                out.write(np.array([len(encoded)], dtype='<i4').tobytes() + encoded)
                out.write(np.array([data.ndim] + list(data.shape), dtype='<i4').tobytes())
                out.write(data.tobytes())


def pad(x, top, bottom, left, right, value):
    return np.pad(x, ((top, bottom), (left, right), (0, 0)), constant_values=value)


def same_pad(size, kernel, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def convolve(x, kernel, strides, dilation, padding, groups, depthwise):
    kh, kw = kernel.shape[:2]
    sh, sw = strides
    dh, dw = dilation
    if padding == 'same':
        x = pad(x, *same_pad(x.shape[0], (kh - 1) * dh + 1, sh), *same_pad(x.shape[1], (kw - 1) * dw + 1, sw), 0.0)
    oh = (x.shape[0] - ((kh - 1) * dh + 1)) // sh + 1
    ow = (x.shape[1] - ((kw - 1) * dw + 1)) // sw + 1
    cout = x.shape[2] if depthwise else kernel.shape[3]
    y = np.zeros((oh, ow, cout), dtype=np.float64)
    cin = x.shape[2] // groups
    cog = cout // groups
    for ky in range(kh):
        for kx in range(kw):
            window = x[ky * dh: ky * dh + sh * (oh - 1) + 1: sh, kx * dw: kx * dw + sw * (ow - 1) + 1: sw, :].astype(np.float64)
            if depthwise:
                y += window * kernel[ky, kx, :, 0]
            else:
                for g in range(groups):
                    y[:, :, g * cog:(g + 1) * cog] += window[:, :, g * cin:(g + 1) * cin] @ kernel[ky, kx, :, g * cog:(g + 1) * cog]
    return y


def reorg(x, stride, old):
    # Darknet's reorg_cpu(forward=0) on the CHW buffer (src/blas.c).
    chw = np.ascontiguousarray(x.transpose(2, 0, 1)).ravel()
    c, h, w = x.shape[2], x.shape[0], x.shape[1]
    if old:
        dims = (w, h, c)
    else:
        dims = (w // stride, h // stride, c * stride * stride)
    ww, hh, cc = dims
    out_c = cc // (stride * stride)
    k, j, i = np.meshgrid(np.arange(cc), np.arange(hh), np.arange(ww), indexing='ij')
    in_index = i + ww * (j + hh * k)
    c2 = k % out_c
    offset = k // out_c
    w2 = i * stride + offset % stride
    h2 = j * stride + offset // stride
    out_index = w2 + ww * stride * (h2 + hh * stride * c2)
    result = np.empty_like(chw)
    result[in_index.ravel()] = chw[out_index.ravel()]
    return result.reshape(c * stride * stride, h // stride, w // stride).transpose(1, 2, 0)


def evaluate(layer, inputs, weights):
    cls, cfg = layer['class_name'], layer['config']
    x = inputs[0] if inputs else None
    if cls in ('Conv2D', 'DepthwiseConv2D'):
        depthwise = cls == 'DepthwiseConv2D'
        y = convolve(x, weights[0], cfg['strides'], cfg['dilation_rate'], cfg['padding'], 1 if depthwise else cfg['groups'], depthwise)
        return y + weights[1] if cfg['use_bias'] else y
    if cls == 'BatchNormalization':
        gamma, beta, mean, variance = weights
        return (x - mean) / np.sqrt(variance + cfg['epsilon']) * gamma + beta
    if cls == 'LeakyReLU':
        return np.where(x > 0, x, cfg['alpha'] * x)
    if cls == 'Mish':
        return x * np.tanh(np.logaddexp(0, x))
    if cls == 'Activation':
        a = cfg['activation']
        sig = 1 / (1 + np.exp(-x))
        return {'sigmoid': lambda: sig, 'relu': lambda: np.maximum(x, 0), 'tanh': lambda: np.tanh(x),
                'elu': lambda: np.where(x >= 0, x, np.exp(x) - 1), 'swish': lambda: x * sig, 'linear': lambda: x}[a]()
    if cls == 'ZeroPadding2D':
        (t, b), (l, r) = cfg['padding']
        return pad(x, t, b, l, r, 0.0)
    if cls == 'MaxPooling2D':
        (kh, kw), (sh, sw) = cfg['pool_size'], cfg['strides']
        if cfg['padding'] == 'same':
            x = pad(x, *same_pad(x.shape[0], kh, sh), *same_pad(x.shape[1], kw, sw), -np.inf)
        oh, ow = (x.shape[0] - kh) // sh + 1, (x.shape[1] - kw) // sw + 1
        y = np.full((oh, ow, x.shape[2]), -np.inf)
        for ky in range(kh):
            for kx in range(kw):
                y = np.maximum(y, x[ky: ky + sh * (oh - 1) + 1: sh, kx: kx + sw * (ow - 1) + 1: sw, :])
        return y
    if cls == 'AveragePooling2D':
        # TensorFlow's average pooling divides by the window's cells inside the input ("same" padding not counted).
        (kh, kw), (sh, sw) = cfg['pool_size'], cfg['strides']
        ones = np.ones(x.shape[:2] + (1,))
        if cfg['padding'] == 'same':
            pads = (*same_pad(x.shape[0], kh, sh), *same_pad(x.shape[1], kw, sw))
            x, ones = pad(x, *pads, 0.0), pad(ones, *pads, 0.0)
        oh, ow = (x.shape[0] - kh) // sh + 1, (x.shape[1] - kw) // sw + 1
        total = np.zeros((oh, ow, x.shape[2]))
        count = np.zeros((oh, ow, 1))
        for ky in range(kh):
            for kx in range(kw):
                total += x[ky: ky + sh * (oh - 1) + 1: sh, kx: kx + sw * (ow - 1) + 1: sw, :]
                count += ones[ky: ky + sh * (oh - 1) + 1: sh, kx: kx + sw * (ow - 1) + 1: sw, :]
        return total / count
    if cls == 'Concatenate':
        return np.concatenate(inputs, axis=-1)
    if cls == 'Add':
        return sum(inputs)
    if cls == 'Multiply':
        y = inputs[0]
        for i in inputs[1:]:
            y = y * i
        return y
    if cls == 'UpSampling2D':
        return np.repeat(np.repeat(x, cfg['size'][0], axis=0), cfg['size'][1], axis=1)
    if cls == 'GlobalAveragePooling2D':
        return x.mean(axis=(0, 1))
    if cls == 'Reshape':
        return x.reshape(cfg['target_shape'])
    if cls == 'Softmax':
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    if cls == 'ChannelSlice':
        return x[:, :, cfg['start']:cfg['end']]
    if cls == 'DarknetReorg':
        return reorg(x, cfg['stride'], cfg['old'])
    raise SystemExit('cannot evaluate ' + cls)


def run(path, input_path, output_path):
    f, config = load(path)
    with open(input_path, 'rb') as fin:
        c, h, w = np.frombuffer(fin.read(12), dtype='<i4')
        pixels = np.frombuffer(fin.read(), dtype='<f4').reshape(c, h, w)
    group = f['model_weights']
    values = {}
    for layer in config['config']['layers']:
        name = layer['name']
        if layer['class_name'] == 'InputLayer':
            values[name] = (pixels.transpose(1, 2, 0) / np.float32(255)).astype(np.float64)
            continue
        inputs = [values[i[0]] for node in layer['inbound_nodes'] for i in node]
        weights = [np.asarray(group[name][n.decode('utf8')], dtype=np.float64) for n in name_array(group[name].attrs, 'weight_names')]
        values[name] = evaluate(layer, inputs, weights)
    with open(output_path, 'wb') as out:
        outputs = config['config']['output_layers']
        out.write(np.array([len(outputs)], dtype='<i4').tobytes())
        for o in outputs:
            y = np.ascontiguousarray(values[o[0]].transpose(2, 0, 1)).astype('<f4')
            out.write(np.array(y.shape, dtype='<i4').tobytes())
            out.write(y.tobytes())


if __name__ == '__main__':
    command, *rest = sys.argv[1:]
    {'check': check, 'dump': dump, 'run': run}[command](*rest)
