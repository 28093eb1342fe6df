"""Training `ImageCaptioner` on generated shape scenes, and attention-map PNGs."""

import time

import numpy as np
import tensorflow as tf

from keras_rnn_kit.data.scene_generator import SceneGenerator
from keras_rnn_kit.metrics.caption_metrics import caption_bleu
from keras_rnn_kit.metrics.caption_metrics import cider_d
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


def train_scene_captioner(
    quick: bool = False,
    attention: str | None = "bahdanau",
    epochs: int | None = None,
    num_scenes: int | None = None,
    beam_width: int = 3,
    seed: int = 0,
    verbose: int = 0,
):
    """Trains a captioner on `SceneGenerator` scenes and scores held-out scenes.

    Args:
        quick: seconds-long smoke run (200 scenes, 2 epochs).
        attention: `None` (show and tell), `"bahdanau"` or `"luong_general"`.
        epochs: default 2 (quick) or 30.
        num_scenes: training scenes; default 200 (quick) or 3,000. A quarter as
            many further scenes (other indices) are held out.
        beam_width: beam width for the held-out captions.
        seed: scene and weight seed.
        verbose: Keras `fit` verbosity.

    Returns:
        `(captioner, results)`; `results` has `bleu_1`..`bleu_4`, `cider_d` (of the
        beam-search captions), `greedy` (the same scores for greedy decoding, so
        beam search can be checked against it), `train_seconds`, `epochs` and
        `examples` (three `(caption, reference)`).
    """
    import keras

    keras.utils.set_random_seed(seed)
    epochs = check_positive_int("epochs", epochs or (2 if quick else 30))
    num_scenes = check_positive_int(
        "num_scenes", num_scenes or (200 if quick else 3000)
    )
    generator = SceneGenerator(image_size=32, max_objects=2, seed=seed)
    scenes = generator.generate(num_scenes + max(1, num_scenes // 4))
    train, test = scenes[:num_scenes], scenes[num_scenes:]
    captioner = build_captioner(
        [s.caption for s in train], image_size=32, attention=attention
    )
    dataset = caption_dataset(
        captioner.preprocessor,
        np.stack([s.image for s in train]),
        [s.caption for s in train],
        batch_size=32,
        shuffle=True,
        seed=seed,
    )
    start = time.perf_counter()
    captioner.fit(dataset, epochs=epochs, verbose=verbose, shuffle=False)
    train_seconds = time.perf_counter() - start
    references = [[s.caption] for s in test]
    test_images = np.stack([s.image for s in test])

    def scores(width):
        captions = captioner.caption(test_images, beam_width=width)
        result = caption_bleu(captions, references)
        result["cider_d"] = cider_d(captions, references)[0]
        return captions, result

    hypotheses, results = scores(beam_width)
    results["greedy"] = scores(1)[1]
    results.update(
        train_seconds=train_seconds,
        epochs=epochs,
        examples=list(zip(hypotheses[:3], [s.caption for s in test[:3]], strict=True)),
    )
    return captioner, results


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
