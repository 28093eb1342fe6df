"""The image side of the vision-and-language applications: a CNN feature grid."""

import keras

from keras_rnn_kit.utils.validation import check_positive_int
from keras_rnn_kit.utils.validation import check_rank

# keras.applications network -> the `preprocess_input` mode it was trained with
# ("none": the network rescales its 0-255 inputs itself).
APPLICATIONS = {
    "MobileNetV2": "tf",
    "ResNet50": "caffe",
    "VGG16": "caffe",
    "EfficientNetB0": "none",
}


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class ImageEncoder(keras.layers.Layer):
    """Turns images into a spatial grid of feature vectors.

    By default a small CNN trained from scratch: for each entry of `filters`, a
    3x3 convolution (same padding), batch normalisation, ReLU, then 2x2 max
    pooling, so a 64x64 image becomes an 8x8 grid with three blocks. With
    `application`, a `keras.applications` network without its top is used
    instead, fed with its own ImageNet input preprocessing (weights from
    `application_weights`, a local `.h5`/`.weights.h5` file, since the kit
    never downloads); it is frozen unless `train_application=True`.

    The grid feeds attention (captioning) directly; `pool` gives one vector per
    image (VQA, dialog).

    Args:
        filters: tuple of ints > 0, channels of each convolution block.
        application: `None` or one of `"MobileNetV2"`, `"ResNet50"`, `"VGG16"`,
            `"EfficientNetB0"`.
        application_weights: path of the application's weights, or `None` for a
            random initialisation. Not stored in the config (a saved model carries
            the weights itself).
        train_application: whether the application's weights are trained.
        image_size: int > 0, side of the square input (the application's input
            shape is fixed to it).
        batch_norm: bool, batch normalisation after each convolution of the
            small CNN (it speeds up training from scratch several-fold).
        **kwargs: base `keras.layers.Layer` arguments.

    Call arguments:
        images: `(batch, image_size, image_size, 3)` float tensor in `[0, 1]`.

    Returns:
        `(batch, grid_h, grid_w, channels)` float tensor.

    Example:

    >>> import numpy as np
    >>> ImageEncoder(filters=(4, 8), image_size=16)(np.zeros((2, 16, 16, 3))).shape
    TensorShape([2, 4, 4, 8])
    """

    def __init__(
        self,
        filters=(16, 32, 64),
        application=None,
        application_weights=None,
        train_application=False,
        image_size=64,
        batch_norm=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = tuple(check_positive_int("filters", f) for f in filters)
        if application is not None and application not in APPLICATIONS:
            raise ValueError(
                f"`application` must be None or one of {tuple(APPLICATIONS)}, got "
                f"{application!r}."
            )
        self.application = application
        self.train_application = bool(train_application)
        self.image_size = check_positive_int("image_size", image_size)
        self.batch_norm = bool(batch_norm)
        if application is None:
            self.blocks = []
            for i, width in enumerate(self.filters):
                self.blocks.append(
                    keras.layers.Conv2D(
                        width,
                        3,
                        padding="same",
                        activation=None if self.batch_norm else "relu",
                        use_bias=not self.batch_norm,
                        name=f"conv_{i}",
                    )
                )
                if self.batch_norm:
                    self.blocks.append(
                        keras.layers.BatchNormalization(
                            momentum=0.9, synchronized=True, name=f"bn_{i}"
                        )
                    )
                    self.blocks.append(keras.layers.ReLU(name=f"relu_{i}"))
                self.blocks.append(keras.layers.MaxPooling2D(2, name=f"pool_{i}"))
        else:
            network = getattr(keras.applications, application)(
                include_top=False,
                weights=application_weights,
                input_shape=(self.image_size, self.image_size, 3),
            )
            network.trainable = self.train_application
            self.blocks = [network]

    def build(self, input_shape):
        check_rank("images", input_shape, 4, "(batch, height, width, channels)")
        shape = tuple(input_shape)
        for block in self.blocks:
            block.build(shape)
            shape = block.compute_output_shape(shape)

    def call(self, images, training=False):
        x = images
        if self.application is not None:
            x = x * 255.0
            mode = APPLICATIONS[self.application]
            if mode != "none":
                x = keras.applications.imagenet_utils.preprocess_input(x, mode=mode)
        for block in self.blocks:
            x = block(x, training=training)
        return x

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for block in self.blocks:
            shape = block.compute_output_shape(shape)
        return shape

    def get_config(self):
        config = {
            "filters": list(self.filters),
            "application": self.application,
            "train_application": self.train_application,
            "image_size": self.image_size,
            "batch_norm": self.batch_norm,
        }
        return {**super().get_config(), **config}
