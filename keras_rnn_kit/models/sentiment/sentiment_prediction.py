"""The result of `SentimentClassifier.predict_text`."""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class SentimentPrediction:
    """Labels and class probabilities for a batch of texts.

    Args:
        labels: one label per text: the class name when the classifier has
            `class_names`, else the class id.
        label_ids: int array `(batch,)`, the most probable class of each text.
        probabilities: float array `(batch, num_classes)`; rows sum to 1.

    Example:

    >>> import numpy as np
    >>> p = SentimentPrediction(["pos"], np.array([1]), np.array([[0.2, 0.8]]))
    >>> p.labels, float(p.probabilities[0, 1])
    (['pos'], 0.8)
    """

    labels: list
    label_ids: np.ndarray
    probabilities: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)
