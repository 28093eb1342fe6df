"""Fonts for plot text that mixes Latin and CJK scripts ("I love 机器学习").

Chinese, Japanese and Korean glyphs come from Noto Sans CJK (SIL Open Font
License 1.1), shipped by the `noto-cjk-sans-otc` package that the kit depends
on. The font is registered with matplotlib's font manager the first time a plot
asks for it (in memory only), and text asks for it by passing
`plot_font_families()` as its `fontfamily`: matplotlib then draws each glyph
from the first family in the list that has it, so Latin text keeps the default
sans-serif font. Nothing global (backend, rcParams, pyplot) is changed.
"""

import functools
import importlib.util
import os
import warnings

from matplotlib import font_manager

CJK_FONT_PACKAGE = "noto-cjk-sans-otc"
CJK_FONT_MODULE = "noto_cjk_sans_otc"
# The collection holds one face per region; the kit's Chinese is Simplified.
# (matplotlib < 3.11 registers only a collection's first face, JP: the same
# characters, some drawn in their Japanese shapes.)
PREFERRED_CJK_FAMILY = "Noto Sans CJK SC"
# Installed system fonts tried when the package is missing.
SYSTEM_CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
)


class CJKFontWarning(UserWarning):
    """No font with CJK glyphs was found for plot labels."""


def cjk_font_path() -> str | None:
    """Returns the path of the packaged Noto Sans CJK collection, or None."""
    if importlib.util.find_spec(CJK_FONT_MODULE) is None:
        return None
    module = importlib.import_module(CJK_FONT_MODULE)
    path = os.fspath(module.FONT_PATH)
    return path if os.path.isfile(path) else None


@functools.cache
def _register_packaged_font() -> str | None:
    path = cjk_font_path()
    if path is None:
        return None
    font_manager.fontManager.addfont(path)
    names = {
        entry.name for entry in font_manager.fontManager.ttflist if entry.fname == path
    }
    if PREFERRED_CJK_FAMILY in names:
        return PREFERRED_CJK_FAMILY
    return min(names, default=None)


def cjk_font_family() -> str | None:
    """Returns the family name of a font with CJK glyphs, registering it first.

    The packaged Noto Sans CJK comes first (plots look the same everywhere),
    then the installed fonts in `SYSTEM_CJK_FONTS`. When neither is there a
    `CJKFontWarning` says how to install the font and None is returned.

    Example:

    >>> cjk_font_family()
    'Noto Sans CJK SC'
    """
    family = _register_packaged_font()
    if family is not None:
        return family
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    for name in SYSTEM_CJK_FONTS:
        if name in installed:
            return name
    warnings.warn(
        f"No CJK font found: the `{CJK_FONT_PACKAGE}` package is not installed "
        f"and none of {list(SYSTEM_CJK_FONTS)} is. Chinese plot labels cannot be "
        f"drawn; run `pip install {CJK_FONT_PACKAGE}` (a keras-rnn-kit dependency).",
        CJKFontWarning,
        stacklevel=2,
    )
    return None


def plot_font_families() -> list[str]:
    """Returns the `fontfamily` list for text that may mix scripts.

    The default sans-serif font first, then the CJK font as matplotlib's
    per-glyph fallback; just `["sans-serif"]` (after a `CJKFontWarning`) when
    no CJK font is found.

    Example:

    >>> plot_font_families()
    ['sans-serif', 'Noto Sans CJK SC']
    """
    family = cjk_font_family()
    return ["sans-serif"] if family is None else ["sans-serif", family]
