"""Reading images into `uint8` arrays with clear errors for bad files or bytes.

Every vision application in the kit goes through `load_image` and `check_images`,
so a truncated PNG or a grayscale batch fails with a message that names the
argument, instead of a shape error inside a convolution.
"""

import io
import os

import numpy as np
import tensorflow as tf
from PIL import Image
from PIL import UnidentifiedImageError


def load_image(source, size: int | tuple[int, int] | None = None) -> np.ndarray:
    """Decodes one image to an RGB `uint8` array, optionally resized.

    Args:
        source: a file path (`str` / `os.PathLike`) or the encoded bytes (PNG, JPEG,
            anything Pillow reads).
        size: `None` (keep the size), an int (square side) or `(height, width)`.
            Resizing uses bilinear interpolation.

    Returns:
        `(height, width, 3)` `uint8` array. Grayscale and RGBA images are converted
        to RGB (alpha is dropped).

    Raises:
        ValueError: `source` is not a decodable image; the message says which file
            or how many bytes were given.

    Example:

    >>> import io, numpy as np
    >>> from PIL import Image
    >>> buffer = io.BytesIO()
    >>> Image.new("RGB", (8, 6), "red").save(buffer, format="PNG")
    >>> load_image(buffer.getvalue(), size=4).shape
    (4, 4, 3)
    """
    if isinstance(source, bytes | bytearray):
        described = f"{len(source)} bytes"
        stream = io.BytesIO(source)
    elif isinstance(source, str | os.PathLike):
        described = f"file {os.fspath(source)!r}"
        stream = source
    else:
        raise TypeError(
            "`source` must be a path or encoded image bytes, got "
            f"{type(source).__name__}."
        )
    try:
        with Image.open(stream) as image:
            image.load()
            image = image.convert("RGB")
            if size is not None:
                height, width = _size_pair(size)
                image = image.resize((width, height), Image.Resampling.BILINEAR)
            return np.asarray(image, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValueError(
            f"`source` must be a readable image, but {described} could not be "
            f"decoded: {error}"
        ) from error


def encode_png(image) -> bytes:
    """Encodes one `(height, width, 3)` image (`uint8`, or float in `[0, 1]`) as PNG
    bytes: the raw input the exported vision models serve.

    Example:

    >>> import numpy as np
    >>> encode_png(np.zeros((4, 4, 3), "uint8"))[:4]
    b'\\x89PNG'
    """
    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def _size_pair(size) -> tuple[int, int]:
    if isinstance(size, int) and not isinstance(size, bool) and size > 0:
        return size, size
    if (
        isinstance(size, tuple | list)
        and len(size) == 2
        and all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in size)
    ):
        return int(size[0]), int(size[1])
    raise ValueError(
        f"`size` must be a positive int or a (height, width) pair, got {size!r}."
    )


def check_images(images, image_size: int | tuple[int, int] | None = None):
    """Validates a batch of images and returns it as `float32` in `[0, 1]`.

    Args:
        images: array-like `(batch, height, width, channels)`; a single
            `(height, width, channels)` image is rejected rather than guessed at.
            `uint8` values are scaled by 1/255; floating values must already lie in
            `[0, 1]`. One channel is repeated to three; four (RGBA) are rejected.
        image_size: if given, the spatial size the model expects; a batch of any
            other size is resized bilinearly (with `tf.image.resize`).

    Returns:
        `(batch, height, width, 3)` `float32` numpy array.

    Raises:
        ValueError: wrong rank, wrong channel count or out-of-range values.

    Example:

    >>> import numpy as np
    >>> check_images(np.zeros((2, 10, 10, 1), "uint8"), image_size=8).shape
    (2, 8, 8, 3)
    """
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(
            "`images` must have rank 4 (batch, height, width, channels), got rank "
            f"{images.ndim} with shape {images.shape}. Wrap a single image as "
            "images[None]."
        )
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    if images.shape[-1] != 3:
        raise ValueError(
            f"`images` must have 1 or 3 channels (last axis), got shape {images.shape}."
        )
    if images.dtype == np.uint8:
        images = images.astype(np.float32) / 255.0
    elif np.issubdtype(images.dtype, np.floating):
        images = images.astype(np.float32)
        if images.size and (images.min() < 0.0 or images.max() > 1.0):
            raise ValueError(
                "`images` with a floating dtype must lie in [0, 1], got values in "
                f"[{images.min():.3g}, {images.max():.3g}]."
            )
    else:
        raise ValueError(
            f"`images` must be uint8 or floating point, got dtype {images.dtype}."
        )
    if image_size is not None:
        height, width = _size_pair(image_size)
        if images.shape[1:3] != (height, width):
            import tensorflow as tf

            images = tf.image.resize(images, (height, width)).numpy()
    return images


def preprocess_image_batch(images, image_size: int):
    """In-graph twin of `check_images`: the image step of the kit's preprocessors.

    Uses only core TF ops, so it runs inside `tf.data` pipelines and exported
    models. A batch of another spatial size is resized bilinearly to
    `(image_size, image_size)`; one channel is repeated to three.

    Args:
        images: `(batch, height, width, channels)` tensor, `uint8` (scaled by
            1/255) or float in `[0, 1]`.
        image_size: int > 0, the side the model expects.

    Returns:
        `(batch, image_size, image_size, 3)` `tf.float32` tensor.

    Raises:
        ValueError: wrong rank, channel count or dtype (static checks).

    Example:

    >>> import numpy as np
    >>> preprocess_image_batch(np.zeros((2, 10, 10, 1), "uint8"), 8).shape
    TensorShape([2, 8, 8, 3])
    """
    import tensorflow as tf

    images = tf.convert_to_tensor(images)
    if images.shape.rank != 4:
        raise ValueError(
            "`images` must have rank 4 (batch, height, width, channels), got "
            f"shape {tuple(images.shape)}. Wrap a single image as images[None]."
        )
    channels = images.shape[-1]
    if channels == 1:
        images = tf.repeat(images, 3, axis=-1)
    elif channels != 3:
        raise ValueError(
            "`images` must have 1 or 3 channels (last axis), got shape "
            f"{tuple(images.shape)}."
        )
    if images.dtype == tf.uint8:
        images = tf.cast(images, tf.float32) / 255.0
    elif images.dtype.is_floating:
        images = tf.cast(images, tf.float32)
    else:
        raise ValueError(
            f"`images` must be uint8 or floating point, got dtype {images.dtype.name}."
        )
    size = _size_pair(image_size)
    if tuple(images.shape[1:3]) != size:
        images = tf.image.resize(images, size)
    return images


def decode_image_bytes(image_bytes, image_size):
    """Encoded images (JPEG, PNG, GIF, BMP) -> float32 `(batch, size, size, 3)`.

    The in-graph twin of `load_image` followed by `preprocess_image_batch`: each
    image is decoded to RGB (grayscale repeated, alpha dropped), scaled to
    `[0, 1]` and resized bilinearly to `(image_size, image_size)` (an image of
    that size is unchanged). JPEGs use the accurate integer IDCT, which gives
    Pillow's pixels exactly (TF's default fast IDCT is off by up to 14 levels).
    Core TF ops only, so it serves in stock TF Serving.

    Args:
        image_bytes: `(batch,)` `tf.string` tensor of encoded images.
        image_size: int > 0.

    Returns:
        `(batch, image_size, image_size, 3)` `tf.float32` tensor.
    """

    def decode(encoded):
        image = tf.cond(
            tf.io.is_jpeg(encoded),
            lambda: tf.io.decode_jpeg(
                encoded, channels=3, dct_method="INTEGER_ACCURATE"
            ),
            lambda: tf.io.decode_image(encoded, channels=3, expand_animations=False),
        )
        image = tf.cast(image, tf.float32) / 255.0  # (height, width, 3)
        return tf.image.resize(image, (image_size, image_size))

    return tf.map_fn(
        decode,
        image_bytes,
        fn_output_signature=tf.TensorSpec((image_size, image_size, 3), tf.float32),
    )
