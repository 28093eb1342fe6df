"""The captioning pipeline (`caption_dataset`), the model build (`build_captioner`,
what `CaptioningRecipe` builds) and attention-map PNGs."""


import numpy as np
import tensorflow as tf

from keras_rnn_kit.models.captioning.captioning_backbone import CaptioningBackbone
from keras_rnn_kit.models.captioning.captioning_preprocessor import (
    CaptioningPreprocessor,
)
from keras_rnn_kit.models.captioning.image_captioner import ImageCaptioner
from keras_rnn_kit.models.image_encoder import ImageEncoder
from keras_rnn_kit.utils.validation import check_positive_int


def caption_dataset(preprocessor, images, captions, batch_size, shuffle, seed=0):
    """`tf.data` of `(x, y, sample_weight)` batches from arrays of images/captions.

    Args:
        preprocessor: a `CaptioningPreprocessor`.
        images: `(num, height, width, 3)` `uint8` array.
        captions: list of `num` caption strings (a caption longer than the
            preprocessor allows raises here, with `overflow="error"`).
        batch_size: int > 0.
        shuffle: reshuffle every epoch.
        seed: shuffling seed.

    Returns:
        A `tf.data.Dataset`.
    """
    check_positive_int("batch_size", batch_size)
    x, y, weights = preprocessor({"images": images, "captions": captions})
    dataset = tf.data.Dataset.from_tensor_slices((x, y, weights))
    if shuffle:
        dataset = dataset.shuffle(
            len(captions), seed=seed, reshuffle_each_iteration=True
        )
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def build_captioner(
    captions,
    image_size,
    attention="bahdanau",
    units=64,
    filters=(16, 32),
    preprocessor=None,
):
    """A compiled `ImageCaptioner` whose vocabulary comes from `captions`, or
    that shares `preprocessor` (a `CaptioningPreprocessor` of `image_size`)."""
    if preprocessor is None:
        preprocessor = CaptioningPreprocessor.from_captions(
            captions, image_size=image_size
        )
    backbone = CaptioningBackbone(
        len(preprocessor.vocabulary),
        embedding_dim=units // 2,
        units=units,
        attention=attention,
        image_size=image_size,
        image_encoder=ImageEncoder(filters=filters, image_size=image_size),
    )
    captioner = ImageCaptioner(backbone, preprocessor)
    captioner.compile()
    return captioner


def save_attention_maps(captioner: ImageCaptioner, image, path: str) -> str:
    """Writes a PNG: the image, then one panel per generated word with its
    attention map (upsampled to the image) laid over it.

    Args:
        captioner: an `ImageCaptioner` with an attention backbone.
        image: one `(height, width, 3)` image (`uint8` or float in `[0, 1]`).
        path: output `.png` path.

    Returns:
        `path`.
    """
    # The figure draws on its own Agg canvas: no pyplot state, no backend switch.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from keras_rnn_kit.diagnostics.fonts import plot_font_families

    image = np.asarray(image)
    if image.ndim != 3:
        raise ValueError(
            f"`image` must be one (height, width, 3) image, got shape {image.shape}."
        )
    words, maps = captioner.attention_maps(image[None])[0]
    shown = image.astype("float32") / (255.0 if image.dtype == np.uint8 else 1.0)
    panels = len(words) + 1
    families = plot_font_families()
    figure = Figure(figsize=(2 * panels, 2.3))
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, panels, squeeze=False)
    axes[0, 0].imshow(shown)
    axes[0, 0].set_title("image", fontsize=9)
    height, width = shown.shape[:2]
    for axis, word, weights in zip(axes[0, 1:], words, maps, strict=True):
        axis.imshow(shown)
        axis.imshow(
            weights,
            cmap="jet",
            alpha=0.5,
            extent=(0, width, height, 0),
            interpolation="bilinear",
        )
        axis.set_title(word, fontsize=9, fontfamily=families)
    for axis in axes[0]:
        axis.axis("off")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    return path
