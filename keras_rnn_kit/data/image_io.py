"""Reading images into `uint8` arrays with clear errors for bad files or bytes.

Every vision application in the kit goes through `load_image` and `check_images`,
so a truncated PNG or a grayscale batch fails with a message that names the
argument, instead of a shape error inside a convolution.

Decoding is bounded: `load_image` (Pillow) and `decode_image_bytes` (the serving
graphs) read the image size from the header first and refuse images of more than
`MAX_IMAGE_PIXELS` pixels, so a small file that claims a huge image (a
decompression bomb) costs neither seconds nor gigabytes.
"""

import io
import os
import warnings

import numpy as np
import tensorflow as tf
from PIL import Image
from PIL import UnidentifiedImageError

from keras_rnn_kit.utils.validation import check_positive_int

MAX_IMAGE_PIXELS = 4096 * 4096
"""Default limit on `width * height` of one decoded image (16.7 megapixels)."""


def load_image(
    source,
    size: int | tuple[int, int] | None = None,
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> np.ndarray:
    """Decodes one image to an RGB `uint8` array, optionally resized.

    The size is read from the header before any pixel is decoded. Pillow's own
    limit (`PIL.Image.MAX_IMAGE_PIXELS`) applies too, as an error rather than a
    warning.

    Args:
        source: a file path (`str` / `os.PathLike`) or the encoded bytes (PNG, JPEG,
            anything Pillow reads).
        size: `None` (keep the size), an int (square side) or `(height, width)`.
            Resizing uses bilinear interpolation.
        max_pixels: int > 0, the most `width * height` pixels to decode.

    Returns:
        `(height, width, 3)` `uint8` array. Grayscale and RGBA images are converted
        to RGB (alpha is dropped).

    Raises:
        ValueError: `source` is not a decodable image, or it has more than
            `max_pixels` pixels; the message says which file or how many bytes
            were given.

    Example:

    >>> import io, numpy as np
    >>> from PIL import Image
    >>> buffer = io.BytesIO()
    >>> Image.new("RGB", (8, 6), "red").save(buffer, format="PNG")
    >>> load_image(buffer.getvalue(), size=4).shape
    (4, 4, 3)
    >>> load_image(buffer.getvalue(), max_pixels=40)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: `source` (... bytes) is 8x6 (width x height) = 48 pixels, more ...
    """
    max_pixels = check_positive_int("max_pixels", max_pixels)
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
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                width, height = image.size  # From the header: nothing decoded yet.
                if width * height > max_pixels:
                    raise ValueError(
                        f"`source` ({described}) is {width}x{height} (width x "
                        f"height) = {width * height} pixels, more than "
                        f"`max_pixels`={max_pixels}."
                    )
                image.load()
                image = image.convert("RGB")
                if size is not None:
                    height, width = _size_pair(size)
                    image = image.resize((width, height), Image.Resampling.BILINEAR)
                return np.asarray(image, dtype=np.uint8)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ValueError(
            f"`source` ({described}) is too large to decode safely (limit "
            f"`max_pixels`={max_pixels}; Pillow says: {error})"
        ) from error
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValueError(
            f"`source` must be a readable image, but {described} could not be "
            f"decoded: {error}"
        ) from error


def load_image_files(paths, image_size: int) -> np.ndarray:
    """The image files `paths` as one float batch of `image_size` squares: each
    file may have its own size; it is scaled to [0, 1] and resized bilinearly
    with `tf.image.resize`, as the exported serving graphs do (`check_images`).

    Returns:
        `(len(paths), image_size, image_size, 3)` float32 in [0, 1].
    """
    images = [check_images(load_image(path)[None], image_size) for path in paths]
    return np.concatenate(images)


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
        ValueError: wrong rank, wrong channel count, or floating values that are
            NaN, infinite or outside `[0, 1]` (e.g. 0-255 pixels as floats).

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
        _check_float_values(images)
    else:
        raise ValueError(
            f"`images` must be uint8 or floating point, got dtype {images.dtype}."
        )
    if image_size is not None:
        height, width = _size_pair(image_size)
        if images.shape[1:3] != (height, width):
            images = tf.image.resize(images, (height, width)).numpy()
    return images


def _check_float_values(images: np.ndarray) -> None:
    """Raises unless every value of a floating batch is finite and in `[0, 1]`."""
    if not images.size:
        return
    finite = np.isfinite(images)
    if not finite.all():
        raise ValueError(
            "`images` with a floating dtype must be finite and lie in [0, 1], got "
            f"{np.size(finite) - np.count_nonzero(finite)} NaN or infinite values."
        )
    low, high = float(images.min()), float(images.max())
    if low < 0.0 or high > 1.0:
        hint = ""
        if low >= 0.0 and high <= 255.0:
            hint = " These look like 0-255 pixels: pass uint8, or divide by 255."
        raise ValueError(
            "`images` with a floating dtype must lie in [0, 1], got values in "
            f"[{low:.3g}, {high:.3g}].{hint}"
        )


def preprocess_image_batch(images, image_size: int):
    """In-graph twin of `check_images`: the image step of the kit's preprocessors.

    Uses only core TF ops, so it runs inside `tf.data` pipelines and exported
    models. A batch of another spatial size is resized bilinearly to
    `(image_size, image_size)`; one channel is repeated to three.

    Args:
        images: `(batch, height, width, channels)` tensor, `uint8` (scaled by
            1/255) or float in `[0, 1]`; or `(batch,)` encoded JPEG / PNG / BMP
            strings, decoded by `decode_image_bytes`.
        image_size: int > 0, the side the model expects.

    Returns:
        `(batch, image_size, image_size, 3)` `tf.float32` tensor.

    Raises:
        ValueError: wrong rank, channel count or dtype (static checks); run
            eagerly (as `VQAModel.answer` and `ImageCaptioner.caption` do), also
            floating values that are NaN, infinite or outside `[0, 1]`.

    Example:

    >>> import numpy as np
    >>> preprocess_image_batch(np.zeros((2, 10, 10, 1), "uint8"), 8).shape
    TensorShape([2, 8, 8, 3])
    """
    images = tf.convert_to_tensor(images)
    if images.dtype == tf.string:
        if images.shape.rank != 1:
            raise ValueError(
                "Encoded `images` must have shape (batch,) (one JPEG/PNG/BMP "
                f"string each), got shape {tuple(images.shape)}."
            )
        return decode_image_bytes(images, image_size)
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
        if tf.executing_eagerly():
            _check_float_values(images.numpy())
    else:
        raise ValueError(
            f"`images` must be uint8 or floating point, got dtype {images.dtype.name}."
        )
    size = _size_pair(image_size)
    if tuple(images.shape[1:3]) != size:
        images = tf.image.resize(images, size)
    return images


def _be32(header, offset):
    """Big-endian uint32 at `offset` of a uint8 vector, as int64."""
    digits = header[offset : offset + 4]
    return tf.reduce_sum(digits * tf.constant([1 << 24, 1 << 16, 1 << 8, 1], tf.int64))


def _abs_le32(header, offset):
    """|little-endian int32| at `offset` of a uint8 vector, as int64."""
    digits = header[offset : offset + 4]
    value = tf.reduce_sum(digits * tf.constant([1, 1 << 8, 1 << 16, 1 << 24], tf.int64))
    return tf.abs(tf.where(value >= 1 << 31, value - (1 << 32), value))


def _assert_bounded(encoded, max_pixels):
    """The assertion that one encoded image is a JPEG, PNG or BMP of at most
    `max_pixels` pixels, with the size read from its header (nothing decoded)."""
    # The first 26 bytes (zero-padded) hold the PNG IHDR and BMP sizes.
    header = tf.cast(tf.io.decode_raw(encoded, tf.uint8, fixed_length=26), tf.int64)
    is_jpeg = tf.io.is_jpeg(encoded)
    is_png = tf.strings.substr(encoded, 0, 8) == b"\x89PNG\r\n\x1a\n"
    is_bmp = tf.strings.substr(encoded, 0, 2) == b"BM"
    # (height, width); a JPEG's come from its SOF marker.
    jpeg_size = tf.cond(
        is_jpeg,
        lambda: tf.cast(tf.image.extract_jpeg_shape(encoded)[:2], tf.int64),
        lambda: tf.zeros((2,), tf.int64),
    )
    height = tf.where(
        is_jpeg,
        jpeg_size[0],
        tf.where(is_png, _be32(header, 20), _abs_le32(header, 22)),
    )
    width = tf.where(
        is_jpeg,
        jpeg_size[1],
        tf.where(is_png, _be32(header, 16), _abs_le32(header, 18)),
    )
    known = tf.debugging.Assert(
        is_jpeg | is_png | is_bmp,
        [
            "`image_bytes` must hold JPEG, PNG or BMP images: their headers give the "
            "size before decoding. Other formats (GIF, WebP, JPEG XL, ...) are "
            "refused, since their decoded size cannot be bounded up front."
        ],
    )
    # A side over the limit refuses the image whatever `height * width` (which
    # could overflow) gives.
    small = (height <= max_pixels) & (width <= max_pixels)
    small = small & (height * width <= max_pixels)
    message = tf.strings.format(
        "`image_bytes` holds a {}x{} (width x height) image, more than the limit "
        "of {} pixels (`max_pixels`); refused before decoding.",
        (width, height, max_pixels),
    )
    with tf.control_dependencies([known]):
        return tf.debugging.Assert(small, [message])


def decode_image_bytes(image_bytes, image_size, max_pixels: int = MAX_IMAGE_PIXELS):
    """Encoded images (JPEG, PNG, BMP) -> float32 `(batch, size, size, 3)`.

    The in-graph twin of `load_image` followed by `preprocess_image_batch`: each
    image is decoded to RGB (grayscale repeated, alpha dropped), scaled to
    `[0, 1]` and resized bilinearly to `(image_size, image_size)` (an image of
    that size is unchanged). JPEGs use the accurate integer IDCT, which gives
    Pillow's pixels exactly (TF's default fast IDCT is off by up to 14 levels).
    Core TF ops only, so it serves in stock TF Serving.

    Decoding is bounded: the width and height are read from the header first
    (`tf.image.extract_jpeg_shape`; the PNG IHDR; the BMP info header) and an
    image of more than `max_pixels` pixels is refused before any pixel is
    decoded. GIF, WebP and JPEG XL, which `tf.io.decode_image` would also take,
    are refused: a GIF's frames can be far larger than its header says.

    Args:
        image_bytes: `(batch,)` `tf.string` tensor of encoded images.
        image_size: int > 0.
        max_pixels: int > 0, the most `width * height` pixels per image.

    Returns:
        `(batch, image_size, image_size, 3)` `tf.float32` tensor.

    Raises:
        tf.errors.InvalidArgumentError: (when run) an image is not a JPEG, PNG
            or BMP, is corrupt, or has more than `max_pixels` pixels; the message
            gives its width x height and the limit.

    Example:

    >>> png = encode_png(np.zeros((6, 8, 3), "uint8"))
    >>> decode_image_bytes(tf.constant([png]), 4).shape
    TensorShape([1, 4, 4, 3])
    >>> decode_image_bytes(tf.constant([png]), 4, max_pixels=40)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    tensorflow.python.framework.errors_impl.InvalidArgumentError: ... 8x6 ...
    """
    max_pixels = check_positive_int("max_pixels", max_pixels)

    def decode(encoded):
        with tf.control_dependencies([_assert_bounded(encoded, max_pixels)]):
            image = tf.cond(
                tf.io.is_jpeg(encoded),
                lambda: tf.io.decode_jpeg(
                    encoded, channels=3, dct_method="INTEGER_ACCURATE"
                ),
                lambda: tf.io.decode_image(
                    encoded, channels=3, expand_animations=False
                ),
            )
        image = tf.cast(image, tf.float32) / 255.0  # (height, width, 3)
        return tf.image.resize(image, (image_size, image_size))

    return tf.map_fn(
        decode,
        image_bytes,
        fn_output_signature=tf.TensorSpec((image_size, image_size, 3), tf.float32),
    )
