"""A token <-> id vocabulary with four reserved tokens and a plain-text file format."""

import os
from collections import Counter
from collections.abc import Iterable

from keras_rnn_kit.utils.validation import check_positive_int

PAD_TOKEN = "<pad>"
OOV_TOKEN = "<oov>"
GO_TOKEN = "<go>"
EOS_TOKEN = "<eos>"
RESERVED_TOKENS = (PAD_TOKEN, OOV_TOKEN, GO_TOKEN, EOS_TOKEN)


class Vocabulary:
    """Maps tokens to ids: `<pad>`=0, `<oov>`=1, `<go>`=2, `<eos>`=3, then the rest.

    Build one from text with `Vocabulary.build`, or pass the full token list (reserved
    tokens first) to the constructor. Files hold one token per line, UTF-8, in id
    order, so line `n` (1-based) is id `n - 1`.

    Args:
        tokens: list of str, the whole vocabulary in id order, starting with the four
            reserved tokens. Tokens must be unique, non-empty and free of line breaks.

    Example:

    >>> from keras_rnn_kit.data import Vocabulary
    >>> vocab = Vocabulary.build(["the food was good", "the food was bad"])
    >>> vocab.tokens[:6]
    ['<pad>', '<oov>', '<go>', '<eos>', 'food', 'the']
    >>> vocab.encode(["the", "soup"])
    [5, 1]
    >>> vocab.decode([2, 5, 4, 3, 0])
    ['the', 'food']
    """

    def __init__(self, tokens: list[str]):
        tokens = list(tokens)
        _check_tokens(tokens, source="`tokens`")
        self._tokens = tokens
        self._ids = {token: i for i, token in enumerate(tokens)}

    @classmethod
    def build(
        cls,
        token_lists_or_texts: Iterable,
        tokenizer=None,
        max_size: int | None = None,
        min_frequency: int = 1,
    ) -> "Vocabulary":
        """Counts tokens and keeps the most frequent ones.

        Ties in frequency are broken alphabetically, so the result does not depend
        on the order of the corpus.

        Args:
            token_lists_or_texts: iterable of strings (tokenized with `tokenizer`) or
                of lists of string tokens.
            tokenizer: a `TextTokenizer` (its `tokenize_python` is used) or any
                callable `str -> list[str]`; default `TextTokenizer()`.
            max_size: int >= 4 or None, the largest vocabulary size, reserved
                tokens included.
            min_frequency: int >= 1, drop tokens seen fewer times.

        Returns:
            A new `Vocabulary`.
        """
        if max_size is not None:
            check_positive_int("max_size", max_size)
            if max_size < len(RESERVED_TOKENS):
                raise ValueError(
                    f"`max_size` must be at least {len(RESERVED_TOKENS)} (the reserved "
                    f"tokens {', '.join(RESERVED_TOKENS)}), got {max_size}."
                )
        check_positive_int("min_frequency", min_frequency)
        split = _resolve_tokenizer(tokenizer)
        counts = Counter()
        for index, item in enumerate(token_lists_or_texts):
            if isinstance(item, str):
                counts.update(split(item))
            elif isinstance(item, list | tuple) and all(
                isinstance(t, str) for t in item
            ):
                counts.update(item)
            else:
                raise TypeError(
                    "`token_lists_or_texts` must hold strings or lists of string "
                    f"tokens; item {index} is {item!r} ({type(item).__name__})."
                )
        for token in RESERVED_TOKENS:
            counts.pop(token, None)
        ranked = sorted(
            (token for token, count in counts.items() if count >= min_frequency),
            key=lambda token: (-counts[token], token),
        )
        if max_size is not None:
            ranked = ranked[: max_size - len(RESERVED_TOKENS)]
        return cls(list(RESERVED_TOKENS) + ranked)

    @property
    def tokens(self) -> list[str]:
        """All tokens in id order (a copy)."""
        return list(self._tokens)

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def oov_id(self) -> int:
        return 1

    @property
    def go_id(self) -> int:
        return 2

    @property
    def eos_id(self) -> int:
        return 3

    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, token) -> bool:
        return token in self._ids

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocabulary) and self._tokens == other._tokens

    def __hash__(self) -> int:
        return hash(tuple(self._tokens))

    def __repr__(self) -> str:
        return f"Vocabulary(size={len(self)})"

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Maps tokens to ids; unknown tokens map to `oov_id`."""
        if isinstance(tokens, str):
            raise TypeError(
                "`tokens` must be a list of string tokens, got a single str "
                f"{tokens!r}; tokenize it first."
            )
        return [self._ids.get(token, self.oov_id) for token in tokens]

    def decode(self, ids: Iterable[int], strip_special: bool = True) -> list[str]:
        """Maps ids back to tokens.

        Args:
            ids: iterable of ints in `[0, len(self))` (numpy arrays work).
            strip_special: if True, stop at the first `<eos>` and drop `<pad>` and
                `<go>` (`<oov>` stays: it tells the reader a word was unknown).

        Returns:
            A list of tokens.
        """
        tokens = []
        for position, raw in enumerate(ids):
            index = int(raw)
            if not 0 <= index < len(self):
                raise ValueError(
                    f"`ids` must lie in [0, {len(self)}), got {index} at position "
                    f"{position}."
                )
            if strip_special:
                if index == self.eos_id:
                    break
                if index in (self.pad_id, self.go_id):
                    continue
            tokens.append(self._tokens[index])
        return tokens

    def save(self, path: str) -> None:
        """Writes one token per line, UTF-8, in id order."""
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write("\n".join(self._tokens) + "\n")

    @classmethod
    def load(cls, path: str) -> "Vocabulary":
        """Reads a file written by `save`.

        Raises:
            FileNotFoundError: naming the file, if it does not exist.
            ValueError: naming the file and line, if it is not UTF-8, has an empty
                line, a duplicate token, or does not start with the reserved tokens.
        """
        if not os.path.isfile(path):
            raise FileNotFoundError(f"Vocabulary file not found: {path!r}.")
        try:
            with open(path, encoding="utf-8", newline="") as handle:
                text = handle.read()
        except UnicodeDecodeError as error:
            raise ValueError(
                f"Vocabulary file {path!r} is not valid UTF-8 ({error})."
            ) from error
        if text.endswith("\n"):
            text = text[:-1]
        tokens = [line.rstrip("\r") for line in text.split("\n")] if text else []
        _check_tokens(tokens, source=f"Vocabulary file {path!r}", lines=True)
        return cls(tokens)


def _resolve_tokenizer(tokenizer):
    if tokenizer is None:
        from keras_rnn_kit.data.text_tokenizer import TextTokenizer

        tokenizer = TextTokenizer()
    if hasattr(tokenizer, "tokenize_python"):
        return tokenizer.tokenize_python
    if callable(tokenizer):
        return tokenizer
    raise TypeError(
        "`tokenizer` must be a TextTokenizer, a callable str -> list[str] or None, "
        f"got {tokenizer!r} ({type(tokenizer).__name__})."
    )


def _check_tokens(tokens, source, lines=False):
    """Raises `ValueError` naming `source` (and the line) for a malformed list."""

    def where(index):
        return f"line {index + 1}" if lines else f"index {index}"

    if list(tokens[: len(RESERVED_TOKENS)]) != list(RESERVED_TOKENS):
        raise ValueError(
            f"{source} must start with the reserved tokens "
            f"{', '.join(RESERVED_TOKENS)} (ids 0-3), got {tokens[:4]!r}."
        )
    seen = {}
    for index, token in enumerate(tokens):
        if not isinstance(token, str):
            raise TypeError(
                f"{source}: token at {where(index)} must be a str, got {token!r}."
            )
        if not token or "\n" in token or "\r" in token:
            raise ValueError(
                f"{source}: token at {where(index)} must be non-empty without line "
                f"breaks, got {token!r}."
            )
        if token in seen:
            raise ValueError(
                f"{source}: duplicate token {token!r} at {where(index)} (first at "
                f"{where(seen[token])})."
            )
        seen[token] = index
