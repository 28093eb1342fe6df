"""The kit's text rules in plain Python: tokens, ids and text, with no TensorFlow.

This module imports only the standard library, so it is the reference a mobile or
server team ports line by line: `rnnkit export --format tflite` copies it into
every bundle (see `keras_rnn_kit.export.bundle`). Inside the kit,
`TextTokenizer.tokenize_python` is `tokenize` and the tests check both against the
graph (`TextTokenizer.tokenize`, `TextPreprocessor`) on every test string.

The tokenization rules (`tokenize`), in order:

0. Text is UTF-8; invalid bytes become U+FFFD (`bytes.decode(errors="replace")`,
   one per maximal invalid subpart); a `str` holding lone surrogates is read as
   `str.encode("utf-8", "surrogatepass")`.
1. `lowercase`: `str.lower()` (full Unicode case mapping).
2. `strip_punctuation`: every Unicode punctuation (`P*`) or symbol (`S*`)
   character becomes a space.
3. ASCII `\\t\\n\\v\\f\\r`, NUL and Unicode separators (`Z*`) separate tokens.
4. `mode="auto"`: each CJK character (`CJK_RANGES`) is its own token, other text
   splits on whitespace; `"word"`: whitespace only; `"char"`: every
   non-whitespace character is a token; `"pieces"`: reversible pieces (below).

`mode="pieces"` keeps what a reader sees, so that `join` gives the text back:
each ASCII digit, CJK character and (kept) punctuation or symbol character is a
piece of its own, and each run of other characters between them is one piece;
the first piece after whitespace starts with `PIECE_MARK` ("▁", as in
SentencePiece), the text's first piece included. `join` concatenates the pieces
and turns each mark back into one space: `"Paid RMB 3,450."` gives `▁Paid`,
`▁RMB`, `▁3`, `,`, `4`, `5`, `0`, `.` and back (whitespace runs become one
space, leading and trailing whitespace goes). A model therefore spells numbers
it never saw digit by digit, and its output keeps case and punctuation.

The id rules (`TextEncoder`, the settings of `TextPreprocessor`): tokens at or
past the reserved ids look themselves up, anything else is `<oov>` (text never
maps to `<pad>`, `<go>` or `<eos>`); too many tokens raise (`overflow="error"`)
or are cut (`"truncate"`) before `<go>`/`<eos>` are added; the ids are padded
with `<pad>` to `sequence_length`.
"""

import re
import unicodedata

# Unicode blocks whose characters are tokens of their own in `mode="auto"`.
CJK_RANGES = (
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x2E80, 0x2FDF),  # CJK Radicals Supplement, Kangxi Radicals
    (0x3005, 0x3007),  # 々 〆 〇
    (0x3021, 0x3029),  # Hangzhou numerals
    (0x3038, 0x303B),  # more Han numerals and marks
    (0x3041, 0x309F),  # Hiragana
    (0x30A0, 0x30FF),  # Katakana
    (0x3130, 0x318F),  # Hangul Compatibility Jamo
    (0x31F0, 0x31FF),  # Katakana Phonetic Extensions
    (0x3400, 0x4DBF),  # CJK Unified Ideographs Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xA960, 0xA97F),  # Hangul Jamo Extended-A
    (0xAC00, 0xD7FF),  # Hangul Syllables, Jamo Extended-B
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0xFF66, 0xFF9F),  # Halfwidth Katakana
    (0x20000, 0x3134F),  # CJK Unified Ideographs Extensions B-G
)
MODES = ("auto", "word", "char", "pieces")
PIECE_MARK = "\u2581"
DIGITS = frozenset("0123456789")
OVERFLOW_MODES = ("error", "truncate")

ASCII_SEPARATORS = frozenset("\x00\t\n\v\f\r")
_CJK_PAIR = re.compile(
    "([{0}]) (?=[{0}])".format("".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in CJK_RANGES))
)
# RE2's `\s` (the sentence-split regexes are written for the graph) is ASCII
# [\t\n\f\r ]; Python's would also match \v and more.
_RE2_SPACE = "[\t\n\f\r ]"


def is_cjk_char(char: str) -> bool:
    """Returns True if the single character `char` lies in one of `CJK_RANGES`."""
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in CJK_RANGES)


def is_separator(char: str) -> bool:
    """Rule 3: ASCII control separators, NUL and Unicode `Z*` characters."""
    return char in ASCII_SEPARATORS or unicodedata.category(char)[0] == "Z"


def is_punctuation(char: str) -> bool:
    """Rule 2: Unicode punctuation (`P*`) and symbols (`S*`)."""
    return unicodedata.category(char)[0] in "PS"


def _word_pieces(word: str, strip_punctuation: bool) -> list[str]:
    """Rule 4 of `mode="pieces"` for one whitespace-free word (marked)."""
    pieces, run = [], ""
    for char in word:
        if (
            char in DIGITS
            or is_cjk_char(char)
            or (not strip_punctuation and is_punctuation(char))
        ):
            if run:
                pieces.append(run)
            pieces.append(char)
            run = ""
        else:
            run += char
    if run:
        pieces.append(run)
    pieces[0] = PIECE_MARK + pieces[0]
    return pieces


def join(tokens: list[str], mode: str = "auto") -> str:
    """Tokens back to text: `join_tokens`, or for `mode="pieces"` the pieces
    concatenated with each `PIECE_MARK` turned into a space.

    Example:

    >>> join(["▁Paid", "▁RMB", "▁3", ",", "4", "5", "0", "."], mode="pieces")
    'Paid RMB 3,450.'
    """
    if mode != "pieces":
        return join_tokens(tokens)
    return "".join(tokens).replace(PIECE_MARK, " ").removeprefix(" ")


def join_tokens(tokens: list[str]) -> str:
    """Joins tokens with spaces, except between two CJK characters.

    Example:

    >>> join_tokens(["我", "爱", "机", "器", "学", "习", "with", "keras"])
    '我爱机器学习 with keras'
    """
    return _CJK_PAIR.sub(r"\1", " ".join(tokens))


def tokenize(
    text: str | bytes,
    mode: str = "auto",
    lowercase: bool = True,
    strip_punctuation: bool = True,
) -> list[str]:
    """Splits one text into tokens by the rules in the module docstring.

    Args:
        text: a `str` or UTF-8 `bytes`.
        mode: `"auto"`, `"word"`, `"char"` or `"pieces"`.
        lowercase: lower-case first.
        strip_punctuation: turn punctuation and symbols into spaces.

    Returns:
        The tokens, a list of `str`.

    Example:

    >>> tokenize("我爱机器学习 with Keras!")
    ['我', '爱', '机', '器', '学', '习', 'with', 'keras']
    >>> tokenize("May 17, 2023", "pieces", lowercase=False, strip_punctuation=False)
    ['▁May', '▁1', '7', ',', '▁2', '0', '2', '3']
    """
    if mode not in MODES:
        raise ValueError(f"`mode` must be one of {MODES}, got {mode!r}.")
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    elif isinstance(text, str):
        text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    else:
        raise TypeError(
            f"`text` must be a str or bytes, got {text!r} ({type(text).__name__})."
        )
    if lowercase:
        text = text.lower()
    if mode == "pieces":
        text = "".join(
            " "
            if is_separator(char) or (strip_punctuation and is_punctuation(char))
            else char
            for char in text
        )
        return [
            piece
            for word in text.split(" ")
            if word
            for piece in _word_pieces(word, strip_punctuation)
        ]
    pieces = []
    for char in text:
        if is_separator(char) or (strip_punctuation and is_punctuation(char)):
            pieces.append(" ")
        elif mode == "char" or (mode == "auto" and is_cjk_char(char)):
            pieces.append(f" {char} ")
        else:
            pieces.append(char)
    return [token for token in "".join(pieces).split(" ") if token]


class TextEncoder:
    """Text <-> token ids with a text preprocessor's exported settings.

    `encode` computes what `TextPreprocessor` computes in the graph and `decode`
    what its `detokenize` does.

    Args:
        settings: a text preprocessor's exported settings (the `text` entries of
            a bundle's `bundle.json`): `tokenizer` (the `tokenize` arguments),
            `vocabulary` (tokens in id order), `reserved_tokens`, `pad_id`,
            `oov_id`, `go_id`, `eos_id`, `add_go`, `add_eos`,
            `sequence_length` and `overflow`.

    Example:

    >>> encoder = TextEncoder({"tokenizer": {"mode": "auto"},
    ...     "vocabulary": ["<pad>", "<oov>", "<go>", "<eos>", "the", "food", "我"],
    ...     "reserved_tokens": ["<pad>", "<oov>", "<go>", "<eos>"], "pad_id": 0,
    ...     "oov_id": 1, "go_id": 2, "eos_id": 3, "add_go": False,
    ...     "add_eos": True, "sequence_length": 6, "overflow": "error"})
    >>> encoder.encode("The food was great")
    [4, 5, 1, 1, 3, 0]
    >>> encoder.decode([2, 6, 6, 3, 4])
    '我我'
    """

    def __init__(self, settings: dict):
        self.settings = settings
        self.vocabulary = list(settings["vocabulary"])
        reserved = len(settings["reserved_tokens"])
        self.lookup = {
            token: i for i, token in enumerate(self.vocabulary) if i >= reserved
        }
        self.sequence_length = int(settings["sequence_length"])
        self.room = (
            self.sequence_length - int(settings["add_go"]) - int(settings["add_eos"])
        )
        if settings["overflow"] not in OVERFLOW_MODES:
            raise ValueError(
                f"`overflow` must be one of {OVERFLOW_MODES}, got "
                f"{settings['overflow']!r}."
            )

    def tokens(self, text: str | bytes) -> list[str]:
        """`tokenize(text)` with these settings' tokenizer arguments."""
        return tokenize(text, **self.settings["tokenizer"])

    def encode(self, text: str | bytes) -> list[int]:
        """One text -> `sequence_length` ids, `<pad>` after the text.

        Raises:
            ValueError: with `overflow="error"`, if the text has more tokens
                than fit (`sequence_length` minus the markers).
        """
        settings = self.settings
        oov = settings["oov_id"]
        ids = [self.lookup.get(token, oov) for token in self.tokens(text)]
        if len(ids) > self.room:
            if settings["overflow"] != "truncate":
                raise ValueError(
                    f"`sequence_length`={self.sequence_length} is too short: the "
                    f"text has {len(ids)} tokens and at most {self.room} fit (plus "
                    "the markers). Export with a longer sequence_length or "
                    "overflow='truncate'."
                )
            ids = ids[: self.room]
        ids = [settings["go_id"]] * settings["add_go"] + ids
        ids += [settings["eos_id"]] * settings["add_eos"]
        return ids + [settings["pad_id"]] * (self.sequence_length - len(ids))

    def decode(self, ids) -> str:
        """Ids -> text: stops at the first `<eos>`, drops `<pad>` and `<go>`, and
        joins the tokens with `join` (the tokenizer's `mode`)."""
        settings, tokens = self.settings, []
        for token_id in ids:
            token_id = int(token_id)
            if not 0 <= token_id < len(self.vocabulary):
                raise ValueError(
                    f"`ids` must lie in [0, {len(self.vocabulary)}) (the vocabulary "
                    f"size), got {token_id}."
                )
            if token_id == settings["eos_id"]:
                break
            if token_id not in (settings["pad_id"], settings["go_id"]):
                tokens.append(self.vocabulary[token_id])
        return join(tokens, self.settings["tokenizer"].get("mode", "auto"))


def split_sentences(text: str | bytes, line_break: str, sentence_end: str) -> list:
    """Cuts a document into sentences, as hierarchical `SentimentPreprocessor`s do.

    `line_break` matches are cut out and every `sentence_end` match closes a
    sentence (the regexes are the graph's RE2 ones; `\\s` means `[\\t\\n\\f\\r ]`
    there). Empty pieces are kept: the caller drops sentences without tokens.

    Example:

    >>> split_sentences("Good food.<br />Rude staff!", r"<br\\s*/?>", r"([.!?]+)")
    ['Good food.', '', 'Rude staff!', '']
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = re.sub(line_break.replace(r"\s", _RE2_SPACE), "\x1f", text)
    text = re.sub(sentence_end.replace(r"\s", _RE2_SPACE), "\\1\x1f", text)
    return text.split("\x1f")
