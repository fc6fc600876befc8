"""Load a .h5 written by yolo4convert in tf.keras (TensorFlow 2.x) and run it.

    yolo4convert yolov4.cfg yolov4.weights yolov4.h5
    python3 load_model.py yolov4.h5 dog.jpg

The file is a Keras 2 full-model save. Three small custom layers may appear in it; each must be registered
when loading (a file uses only the ones its network needs):
  Mish          x * tanh(softplus(x)), Darknet's mish
  ChannelSlice  channels [start, end) of an NHWC tensor (Darknet's route groups, uneven shortcuts)
  DarknetReorg  yolov2's [reorg] / [reorg3d] with Darknet's channel order
The outputs are the raw head tensors (NHWC), in cfg order.
"""
import sys

import numpy as np
import tensorflow as tf


class Mish(tf.keras.layers.Layer):
    def call(self, x):
        return x * tf.math.tanh(tf.math.softplus(x))


class ChannelSlice(tf.keras.layers.Layer):
    def __init__(self, start, end, **kwargs):
        super().__init__(**kwargs)
        self.start, self.end = start, end

    def call(self, x):
        return x[..., self.start:self.end]

    def get_config(self):
        return {**super().get_config(), 'start': self.start, 'end': self.end}


class DarknetReorg(tf.keras.layers.Layer):
    """Darknet's reorg_cpu(forward=0): [reorg] (old=True) views the input as (C/s², H·s, W·s) first."""

    def __init__(self, stride, old, **kwargs):
        super().__init__(**kwargs)
        self.stride, self.old = stride, old

    def call(self, x):
        s = self.stride
        h, w, c = x.shape[1], x.shape[2], x.shape[3]
        chw = tf.transpose(x, [0, 3, 1, 2])
        if self.old:
            view = tf.reshape(chw, [-1, c // (s * s), h, s, w, s])
        else:
            view = tf.reshape(chw, [-1, c, h // s, s, w // s, s])
        moved = tf.transpose(view, [0, 3, 5, 1, 2, 4])
        out = tf.reshape(moved, [-1, c * s * s, h // s, w // s])
        return tf.transpose(out, [0, 2, 3, 1])

    def get_config(self):
        return {**super().get_config(), 'stride': self.stride, 'old': self.old}


CUSTOM_OBJECTS = {'Mish': Mish, 'ChannelSlice': ChannelSlice, 'DarknetReorg': DarknetReorg}


def main(model_path, image_path):
    model = tf.keras.models.load_model(model_path, custom_objects=CUSTOM_OBJECTS, compile=False)
    _, height, width, _ = model.input_shape
    image = tf.image.decode_image(tf.io.read_file(image_path), channels=3)
    # Darknet stretches the image to the network size and scales it to [0, 1].
    pixels = tf.image.resize(tf.cast(image, tf.float32), (height, width)) / 255.0
    heads = model.predict(pixels[tf.newaxis, ...])
    for name, head in zip(model.output_names, heads if isinstance(heads, list) else [heads]):
        print(name, np.asarray(head).shape)


if __name__ == '__main__':
    main(*sys.argv[1:3])
