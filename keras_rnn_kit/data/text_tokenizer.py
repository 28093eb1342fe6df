"""Word / CJK-character tokenization with core TF string ops and a Python twin.

The TF path (`TextTokenizer.tokenize`) uses only core ops (`tf.strings.*`, RE2
regexes, `unicode_transcode`/`unicode_decode`/`unicode_encode`, `searchsorted`), so a
SavedModel that contains it runs on stock TF Serving (no tensorflow-text kernels). The
pure-Python path (`TextTokenizer.tokenize_python`, which is `text_rules.tokenize`, the
TF-free reference copied into every TFLite bundle) applies the same rules character by
character and gives identical tokens for every input; vocabulary building uses it.

The rules, in order:
0. Decoding: text is UTF-8; invalid bytes (lone continuation bytes, truncated
   sequences, overlong forms, encoded surrogates, `\\xf5`-`\\xff`) become one U+FFFD
   per maximal invalid subpart (`unicode_transcode(..., errors="replace")`,
   `bytes.decode("utf-8", errors="replace")`; the two agree byte for byte). U+FFFD is
   a symbol (`So`), so rule 2 turns it into a space. A Python `str` holding lone
   surrogates is read as `str.encode("utf-8", "surrogatepass")`.
1. `lowercase`: Python's `str.lower()` (full Unicode case mapping, including
   `"İ"` -> `"i̇"` and the final-sigma rule). The graph rebuilds it from Python's
   tables instead of calling ICU (`tf.strings.lower`), whose Unicode version is older
   and which stops at a NUL byte.
2. `strip_punctuation`: every Unicode punctuation (`P*`) or symbol (`S*`) character
   becomes a space, so `"good,bad"` gives `good`, `bad` and `"don't"` gives `don`, `t`.
3. Whitespace (ASCII `\\t\\n\\v\\f\\r`, space, Unicode separators `Z*`, e.g. the
   ideographic space U+3000) and NUL (`\\x00`) separate tokens. Other control
   characters are ordinary characters.
4. `mode="auto"`: each CJK character (Han, Hiragana, Katakana, Hangul) is its own
   token, everything else splits on whitespace; `"word"`: whitespace only; `"char"`:
   every non-whitespace character is a token; `"pieces"`: reversible pieces, each
   digit, CJK and kept punctuation character on its own and a mark ("▁") on the
   first piece after whitespace (`text_rules`), joined back by `join`.

Character classes (punctuation, separators, cased letters) come from the running
Python's `unicodedata` (Unicode 14.0 on Python 3.11) on both paths; a graph keeps the
tables of the Python that traced it.
"""

import functools
import re
import unicodedata

import keras
import numpy as np
import tensorflow as tf

from keras_rnn_kit.data import text_rules
from keras_rnn_kit.data.text_rules import CJK_RANGES
from keras_rnn_kit.data.text_rules import MODES
from keras_rnn_kit.data.text_rules import PIECE_MARK
from keras_rnn_kit.data.text_rules import is_cjk_char  # noqa: F401 (re-exported)
from keras_rnn_kit.data.text_rules import is_separator
from keras_rnn_kit.data.text_rules import join_tokens  # noqa: F401 (re-exported)
from keras_rnn_kit.utils.validation import check_choice

_CJK_CLASS_RE2 = "".join(f"\\x{{{lo:x}}}-\\x{{{hi:x}}}" for lo, hi in CJK_RANGES)
_SIGMA, _FINAL_SIGMA = "\u03a3", "\u03c2"
# Rule 3 turns NUL into a space first, so the graph can then use it as a marker.
_MARK, _MARK_RE2 = "\x00", r"\x00"


def join_tokens_tf(tokens: tf.Tensor) -> tf.Tensor:
    """Graph-mode twin of `join_tokens` for a (ragged) `(batch, None)` string tensor.

    Returns:
        A `tf.string` tensor of shape `(batch,)`.
    """
    text = tf.strings.reduce_join(tokens, axis=-1, separator=" ")
    # Two non-overlapping passes remove every space between two CJK characters:
    # the first joins pairs (1,2), (3,4), ...; the second the gaps left between them.
    pair = f"([{_CJK_CLASS_RE2}]) ([{_CJK_CLASS_RE2}])"
    for _ in range(2):
        text = tf.strings.regex_replace(text, pair, r"\1\2")
    return text


def _re2_class(codes: list[int]) -> str:
    """The body of an RE2 character class matching the sorted code points `codes`."""
    ranges = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(f"\\x{{{lo:x}}}-\\x{{{hi:x}}}" for lo, hi in ranges)


@functools.cache
def _unicode_tables() -> dict:
    """The running Python's Unicode data, as the graph path needs it (built once).

    Returns:
        A dict of RE2 class bodies, `punctuation` (`P*`, `S*`), `separator` (rule 3),
        `cased` (cased and not case-ignorable) and `ignorable` (case-ignorable), plus
        `special` (`(char, lower)` pairs whose lower case is longer) and `lower_keys`
        / `lower_values` (sorted int32 arrays of the one-to-one lower-case mappings).
    """
    punctuation, separator, cased, ignorable, special, keys, values = (
        [] for _ in range(7)
    )
    for code in range(0x110000):
        char = chr(code)
        category = unicodedata.category(char)
        if category in ("Cn", "Co", "Cs"):
            continue
        if category[0] in "PS":
            punctuation.append(code)
        if is_separator(char):
            separator.append(code)
        # CPython's own final-sigma context test, probed: `_PyUnicode_IsCased` and
        # `_PyUnicode_IsCaseIgnorable` are not exposed.
        if (char + _SIGMA).lower()[-1] == _FINAL_SIGMA:
            cased.append(code)
        elif ("A" + char + _SIGMA).lower()[-1] == _FINAL_SIGMA:
            ignorable.append(code)
        lower = char.lower()
        if len(lower) > 1:
            special.append((char, lower))
        elif lower != char:
            keys.append(code)
            values.append(ord(lower))
    return {
        "punctuation": _re2_class(punctuation),
        "separator": _re2_class(separator),
        "cased": _re2_class(cased),
        "ignorable": _re2_class(ignorable),
        "special": special,
        "lower_keys": np.array(keys, np.int32),
        "lower_values": np.array(values, np.int32),
    }


def _lower_tf(text: tf.Tensor) -> tf.Tensor:
    """`str.lower()` of a NUL-free `tf.string` tensor, from Python's tables."""
    tables = _unicode_tables()
    cased = f"[{_MARK_RE2}{tables['cased']}]"
    ignorable = f"[{tables['ignorable']}]*"
    # 1. Mark every Σ after a cased character (case-ignorables skipped; a mark counts
    # as cased), then unmark those before one. Two passes each: matches never overlap.
    for _ in range(2):
        text = tf.strings.regex_replace(
            text, f"({cased}{ignorable}){_SIGMA}", r"\1" + _MARK
        )
    for _ in range(2):
        text = tf.strings.regex_replace(
            text, f"{_MARK_RE2}({ignorable}{cased})", rf"{_SIGMA}\1"
        )
    text = tf.strings.regex_replace(text, _MARK_RE2, _FINAL_SIGMA)
    # 2. One-to-many mappings ("İ" -> "i̇").
    for char, lower in tables["special"]:
        text = tf.strings.regex_replace(text, re.escape(char), lower)
    # 3. One-to-one mappings, looked up per code point in the sorted key table.
    keys = tf.constant(tables["lower_keys"])
    flat = tf.reshape(text, [-1])
    codes = tf.strings.unicode_decode(flat, "UTF-8")
    points = codes.flat_values
    index = tf.minimum(tf.searchsorted(keys, points), len(tables["lower_keys"]) - 1)
    found = tf.gather(keys, index) == points
    points = tf.where(found, tf.gather(tables["lower_values"], index), points)
    lowered = tf.strings.unicode_encode(codes.with_flat_values(points), "UTF-8")
    return tf.reshape(lowered, tf.shape(text))


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class TextTokenizer(keras.layers.Layer):
    """Splits raw text into word tokens and CJK-character tokens.

    Args:
        mode: `"auto"` (words, plus one token per CJK character, so mixed text like
            `"我爱机器学习 with Keras"` works), `"word"` (whitespace only), `"char"`
            (one token per non-whitespace character) or `"pieces"` (reversible:
            `join` gives the text back; digits, CJK and punctuation characters
            are pieces of their own; the translator's default).
        lowercase: bool, lower-case the text first (Unicode-aware).
        strip_punctuation: bool, turn Unicode punctuation and symbols into spaces.
        **kwargs: base `keras.layers.Layer` arguments (`name`, ...).

    Call arguments:
        inputs: `tf.string` tensor of shape `(batch,)` (or a scalar).

    Returns:
        A `tf.RaggedTensor` of string tokens, `(batch, None)`; a dense 1-D tensor of
        tokens for a scalar input.

    Example:

    >>> from keras_rnn_kit.data import TextTokenizer
    >>> tokenizer = TextTokenizer()
    >>> tokens = tokenizer.tokenize(["我爱机器学习 with Keras!"])  # (1, None) ragged
    >>> [t.decode() for t in tokens[0].numpy()]
    ['我', '爱', '机', '器', '学', '习', 'with', 'keras']
    >>> tokenizer.tokenize_python("我爱机器学习 with Keras!")
    ['我', '爱', '机', '器', '学', '习', 'with', 'keras']
    """

    def __init__(self, mode="auto", lowercase=True, strip_punctuation=True, **kwargs):
        super().__init__(**kwargs)
        self.mode = check_choice("mode", mode, MODES)
        if not isinstance(lowercase, bool):
            raise ValueError(f"`lowercase` must be a bool, got {lowercase!r}.")
        if not isinstance(strip_punctuation, bool):
            raise ValueError(
                f"`strip_punctuation` must be a bool, got {strip_punctuation!r}."
            )
        self.lowercase = lowercase
        self.strip_punctuation = strip_punctuation
        self.built = True

    def tokenize(self, strings):
        """Tokenizes a `tf.string` tensor `(batch,)` into a ragged `(batch, None)`."""
        strings = to_string_tensor("strings", strings)
        tables = _unicode_tables()
        text = tf.strings.unicode_transcode(
            strings, "UTF-8", "UTF-8", errors="replace", replacement_char=0xFFFD
        )
        # Separators first: lower-casing neither makes nor takes them (nor do they
        # count for the final sigma), and NUL must go before `_lower_tf`.
        text = tf.strings.regex_replace(text, f"[{tables['separator']}]+", " ")
        if self.lowercase:
            text = _lower_tf(text)
        if self.strip_punctuation:
            text = tf.strings.regex_replace(text, f"[{tables['punctuation']}]", " ")
        if self.mode == "pieces":
            return self._pieces(text, tables)
        if self.mode == "auto":
            text = tf.strings.regex_replace(text, f"([{_CJK_CLASS_RE2}])", r" \1 ")
        elif self.mode == "char":
            text = tf.strings.regex_replace(text, "([^ ])", r" \1 ")
        return tf.strings.split(text)

    def _pieces(self, text, tables):
        """Rule 4 of `mode="pieces"` (see `text_rules`) on normalized text."""
        single = f"0-9{_CJK_CLASS_RE2}"
        if not self.strip_punctuation:
            single += tables["punctuation"]
        # 1. A space before the first piece, so that it gets a mark as well.
        text = tf.strings.join([" ", text])
        # 2. Cut around single-character pieces, then at spaces, leaving a mark
        # glued to the piece after each run of spaces (NUL is the cut: rule 3
        # turned every NUL of the input into a space).
        text = tf.strings.regex_replace(text, f"([{single}])", _MARK + r"\1" + _MARK)
        text = tf.strings.regex_replace(text, " +", _MARK + PIECE_MARK)
        text = tf.strings.regex_replace(text, f"{PIECE_MARK}{_MARK_RE2}+", PIECE_MARK)
        pieces = tf.strings.split(text, sep=_MARK)
        return tf.ragged.boolean_mask(
            pieces, tf.logical_and(pieces != "", pieces != PIECE_MARK)
        )

    def join(self, tokens):
        """Tokens back to text, the graph twin of `text_rules.join`.

        Args:
            tokens: `tf.string` tokens `(batch, None)` (ragged or dense).

        Returns:
            A `tf.string` tensor `(batch,)`.
        """
        if self.mode != "pieces":
            return join_tokens_tf(tokens)
        text = tf.strings.reduce_join(tokens, axis=-1, separator="")
        text = tf.strings.regex_replace(text, PIECE_MARK, " ")
        return tf.strings.regex_replace(text, "^ ", "")

    def tokenize_python(self, text: str | bytes) -> list[str]:
        """Pure-Python tokenization of one string, identical to `tokenize`."""
        return text_rules.tokenize(
            text, self.mode, self.lowercase, self.strip_punctuation
        )

    def __call__(self, inputs, **kwargs):
        # Keras only lets tensors through positionally: convert lists/arrays first.
        return super().__call__(to_string_tensor("inputs", inputs), **kwargs)

    def call(self, inputs):
        return self.tokenize(inputs)

    def get_config(self):
        config = {
            "mode": self.mode,
            "lowercase": self.lowercase,
            "strip_punctuation": self.strip_punctuation,
        }
        return {**super().get_config(), **config}


def to_string_tensor(name: str, value) -> tf.Tensor:
    """Converts str / list of str / numpy / tf inputs to a `tf.string` tensor.

    Raises:
        TypeError: naming `name`, if `value` holds anything but strings.
        ValueError: naming `name`, if `value` has rank > 1.
    """
    if isinstance(value, tf.Tensor):
        tensor = value
    else:
        try:
            array = np.asarray(value, dtype=object)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"`{name}` must be a string or a sequence of strings, got "
                f"{type(value).__name__}."
            ) from error
        bad = [v for v in array.reshape(-1) if not isinstance(v, str | bytes)]
        if bad:
            raise TypeError(
                f"`{name}` must contain only strings, got {bad[0]!r} "
                f"({type(bad[0]).__name__})."
            )
        tensor = tf.constant(array, dtype=tf.string)
    if tensor.dtype != tf.string:
        raise TypeError(
            f"`{name}` must be a tf.string tensor, got dtype {tensor.dtype.name}."
        )
    if tensor.shape.rank is not None and tensor.shape.rank > 1:
        raise ValueError(
            f"`{name}` must have shape (batch,) or be a scalar, got shape "
            f"{tuple(tensor.shape)}."
        )
    return tensor
