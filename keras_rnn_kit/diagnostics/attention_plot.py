"""Attention heat maps (target tokens x source tokens) as PNG files."""

import os

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from keras_rnn_kit.diagnostics.fonts import plot_font_families


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # Hiragana, Katakana
        or 0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0xAC00 <= code <= 0xD7AF  # Hangul syllables
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility ideographs
    )


def fallback_label(token: str) -> str:
    """Spells CJK characters as `U+XXXX` so a font without them draws no boxes.

    Example:

    >>> fallback_label("我")
    'U+6211'
    """
    return "".join(f"U+{ord(c):04X}" if _is_cjk(c) else c for c in token)


def plot_attention(source_tokens, target_tokens, weights, path, title=None):
    """Writes a heat map of attention weights to a PNG file.

    Rows are target (output) tokens, columns source tokens, colour the weight
    (0–1). Labels may mix scripts: CJK glyphs come from the packaged Noto Sans
    CJK (see `keras_rnn_kit.diagnostics.fonts`). Without any CJK font a
    `CJKFontWarning` is issued and CJK characters are written as `U+XXXX` code
    points instead of missing-glyph boxes. Only the figure's own Agg canvas is
    used: no pyplot state, no backend switch.

    Args:
        source_tokens: list of str, the column labels.
        target_tokens: list of str, the row labels.
        weights: array-like `(len(target_tokens), len(source_tokens))`.
        path: str, where to write the PNG (its folder is created).
        title: optional str.

    Returns:
        `path`.

    Example:

    >>> import tempfile, os
    >>> out = plot_attention(["三", "百"], ["three", "hundred"], [[.9, .1], [.2, .8]],
    ...                      os.path.join(tempfile.mkdtemp(), "attention.png"))
    >>> out.endswith(".png")
    True
    """
    for name, tokens in (
        ("source_tokens", source_tokens),
        ("target_tokens", target_tokens),
    ):
        if isinstance(tokens, str) or not all(isinstance(t, str) for t in tokens):
            raise TypeError(f"`{name}` must be a list of str, got {tokens!r}.")
    weights = np.asarray(weights, dtype="float32")
    expected = (len(target_tokens), len(source_tokens))
    if weights.shape != expected:
        raise ValueError(
            f"`weights` must have shape (len(target_tokens), len(source_tokens)) = "
            f"{expected}, got {weights.shape}."
        )
    if not isinstance(path, str | os.PathLike) or not str(path).endswith(".png"):
        raise ValueError(f"`path` must be a file path ending in .png, got {path!r}.")
    families = plot_font_families()
    if len(families) == 1:  # no CJK font
        source_tokens = [fallback_label(t) for t in source_tokens]
        target_tokens = [fallback_label(t) for t in target_tokens]
        title = None if title is None else fallback_label(title)
    folder = os.path.dirname(os.fspath(path))
    if folder:
        os.makedirs(folder, exist_ok=True)
    width = 1.5 + 0.6 * max(1, len(source_tokens))
    height = 1.2 + 0.45 * max(1, len(target_tokens))
    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    image = axes.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    axes.set_xticks(range(len(source_tokens)))
    axes.set_xticklabels(source_tokens, rotation=90, fontfamily=families)
    axes.set_yticks(range(len(target_tokens)))
    axes.set_yticklabels(target_tokens, fontfamily=families)
    axes.set_xlabel("source")
    axes.set_ylabel("target")
    if title:
        axes.set_title(title, fontfamily=families)
    figure.colorbar(image, ax=axes)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    return path
