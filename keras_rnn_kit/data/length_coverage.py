"""How much of a text set a sequence length covers, in the words the CLI prints.

The recipes that read a user's own text (sentiment, translation) choose
`sequence_length` from the training texts and report what it truncates:
`token_counts` counts tokens as a tokenizer's graph path does, `length_notes`
words the coverage line and warns where most training texts are cut.

Example:

>>> import numpy as np
>>> notes = length_notes("sequence_length 4", np.array([True, True, False]),
...                      np.array([True, False]), "texts", "test", "pass more")
>>> for part in notes[0].split("; "):
...     print(part)
sequence_length 4 covers 66.7% of training texts
1 of 2 test texts (50.0%) are truncated
"""

import numpy as np


def tokenized_batches(tokenizer, texts, batch_size: int = 1024):
    """Yields `tokenizer`'s ragged tokens of `texts`, `batch_size` texts at a time
    (its graph path: a whole corpus at once would hold every token in memory)."""
    for start in range(0, len(texts), batch_size):
        yield tokenizer.tokenize(list(texts[start : start + batch_size]))


def token_counts(tokenizer, texts, batch_size: int = 1024) -> np.ndarray:
    """Tokens per text as `tokenizer` counts them (its graph path, in batches)."""
    counts = [
        tokens.row_lengths().numpy()
        for tokens in tokenized_batches(tokenizer, texts, batch_size)
    ]
    return np.concatenate(counts) if counts else np.zeros(0, "int64")


def length_notes(setting, train_fits, test_fits, unit, test_name, fix) -> list[str]:
    """The coverage line and, below 50% coverage, a warning naming `fix`.

    Args:
        setting: the chosen length, as printed (`"sequence_length 118"`).
        train_fits: bool per training item, whether it fits.
        test_fits: bool per held-out item.
        unit: what an item is (`"texts"`, `"pairs"`).
        test_name: what the held-out split is called (`"test"`, `"held-out"`).
        fix: what to do when most training items are cut.

    Returns:
        `["<setting> covers 95.0% of training texts; 41 of 868 test texts (4.7%)
        are truncated", (warning)]`.
    """
    covered = float(np.mean(train_fits))
    total = len(test_fits)
    cut = total - int(np.count_nonzero(test_fits))
    notes = [
        f"{setting} covers {covered:.1%} of training {unit}; {cut:,} of {total:,} "
        f"{test_name} {unit} ({cut / max(total, 1):.1%}) are truncated"
    ]
    if covered < 0.5:
        notes.append(
            f"warning: {setting} cuts most training {unit} short (it covers "
            f"{covered:.1%}); {fix}"
        )
    return notes
