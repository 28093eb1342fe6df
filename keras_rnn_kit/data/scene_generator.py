"""A seeded generator of shape scenes with captions, questions and dialogs.

Every scene is a white square image with a few coloured shapes (circle, square,
triangle) at varied positions and sizes, no two overlapping and no two with the
same colour and shape, so "the red circle" always names one object. From the
scene's object list the generator writes a caption ("a red circle to the left of
a blue square"), question-answer pairs about colour, shape, count, relative
position and presence (yes/no), and a dialog (the questions in a fixed order).

The dialogs also hold follow-up rounds that only the history can answer, as in
VisDial: "what about the square?" asks for the square's colour right after "what
color is the circle?", and for the number of squares right after "how many circles
are there?". The question alone does not say which; `Scene.history_dependent`
marks these rounds, so a dialog model can be scored on them with and without its
history. Scene `i` depends only on `(seed, i)`, so longer runs extend shorter ones.
"""

import dataclasses

import numpy as np

from keras_rnn_kit.data.easy_vqa_dataset import VQASplit
from keras_rnn_kit.utils.validation import check_positive_int

# Layouts tried before `_place` gives up (each tries 100 spots per object).
_PLACEMENT_ATTEMPTS = 200

COLORS = {
    "red": (220, 40, 40),
    "green": (40, 160, 60),
    "blue": (40, 80, 220),
    "yellow": (230, 200, 30),
    "purple": (150, 60, 190),
}
SHAPES = ("circle", "square", "triangle")
RELATIONS = ("to the left of", "to the right of", "above", "below")
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six")
# An elliptical follow-up: colour or count, depending on the previous question.
FOLLOW_UP = "what about the {}?"


@dataclasses.dataclass(frozen=True)
class SceneObject:
    """One shape: its colour, kind, centre `(x, y)` in pixels and half-size."""

    color: str
    shape: str
    x: int
    y: int
    radius: int

    @property
    def name(self) -> str:
        return f"{self.color} {self.shape}"

    def box(self) -> tuple[int, int, int, int]:
        """`(x0, y0, x1, y1)`, inclusive pixel bounds."""
        r = self.radius
        return self.x - r, self.y - r, self.x + r, self.y + r


@dataclasses.dataclass(frozen=True)
class Scene:
    """A generated scene.

    Attributes:
        image: `(size, size, 3)` `uint8` array.
        objects: tuple of `SceneObject`, sorted left to right.
        caption: one-sentence description.
        questions: tuple of question strings.
        answers: tuple of one-word answers, one per question.
        history_dependent: tuple of bool, one per question: True for a follow-up
            (`FOLLOW_UP`) that refers to the previous round.
    """

    image: np.ndarray
    objects: tuple
    caption: str
    questions: tuple
    answers: tuple
    history_dependent: tuple

    def dialog(self) -> list[tuple[str, str]]:
        """The question-answer rounds in the generator's fixed order."""
        return list(zip(self.questions, self.answers, strict=True))


def _relation(a: SceneObject, b: SceneObject) -> str | None:
    """How `a` lies relative to `b`, when their boxes are clearly separated."""
    ax0, ay0, ax1, ay1 = a.box()
    bx0, by0, bx1, by1 = b.box()
    horizontal = abs(a.x - b.x) >= abs(a.y - b.y)
    if horizontal and ax1 < bx0:
        return "to the left of"
    if horizontal and bx1 < ax0:
        return "to the right of"
    if not horizontal and ay1 < by0:
        return "above"
    if not horizontal and by1 < ay0:
        return "below"
    return None


def _draw(image: np.ndarray, obj: SceneObject) -> None:
    size = image.shape[0]
    ys, xs = np.mgrid[0:size, 0:size]
    dx, dy, r = xs - obj.x, ys - obj.y, obj.radius
    if obj.shape == "circle":
        mask = dx * dx + dy * dy <= r * r
    elif obj.shape == "square":
        mask = (np.abs(dx) <= r) & (np.abs(dy) <= r)
    else:  # triangle, apex up: half-width grows from 0 at the top to r at the base
        mask = (dy >= -r) & (dy <= r) & (2 * np.abs(dx) <= dy + r)
    image[mask] = COLORS[obj.color]


class SceneGenerator:
    """Generates `Scene`s reproducibly from a seed.

    Args:
        image_size: int >= 16, side of the square images.
        min_objects: int > 0, fewest shapes per scene.
        max_objects: int >= min_objects, most shapes per scene (at most 4).
        seed: int, the generator's seed.

    Example:

    >>> scene = SceneGenerator(image_size=32, max_objects=2, seed=3).scene(0)
    >>> scene.image.shape, len(scene.questions) == len(scene.answers)
    ((32, 32, 3), True)
    """

    def __init__(
        self,
        image_size: int = 64,
        min_objects: int = 1,
        max_objects: int = 3,
        seed: int = 0,
    ):
        self.image_size = check_positive_int("image_size", image_size)
        if image_size < 16:
            raise ValueError(f"`image_size` must be at least 16, got {image_size}.")
        self.min_objects = check_positive_int("min_objects", min_objects)
        self.max_objects = check_positive_int("max_objects", max_objects)
        if not min_objects <= max_objects <= 4:
            raise ValueError(
                "`max_objects` must lie in [min_objects, 4], got "
                f"min_objects={min_objects}, max_objects={max_objects}."
            )
        self.seed = int(seed)

    def answer_vocabulary(self) -> list[str]:
        """Every answer the generator can produce, in a fixed order."""
        counts = list(NUMBER_WORDS[: self.max_objects + 1])
        return ["yes", "no", *COLORS, *SHAPES, *counts]

    def scene(self, index: int) -> Scene:
        """Returns scene number `index` (deterministic in `(seed, index)`)."""
        rng = np.random.default_rng([self.seed, index])
        count = int(rng.integers(self.min_objects, self.max_objects + 1))
        objects = self._place(rng, count)
        image = np.full((self.image_size, self.image_size, 3), 255, np.uint8)
        for obj in objects:
            _draw(image, obj)
        # Follow-ups draw from their own stream, so the other rounds do not move.
        follow_rng = np.random.default_rng([self.seed, index, 1])
        rounds = self._questions(rng, follow_rng, objects)
        questions, answers, history_dependent = zip(*rounds, strict=True)
        return Scene(
            image=image,
            objects=objects,
            caption=self._caption(objects),
            questions=questions,
            answers=answers,
            history_dependent=history_dependent,
        )

    def generate(self, num_scenes: int) -> list[Scene]:
        """Returns scenes `0 .. num_scenes - 1`."""
        check_positive_int("num_scenes", num_scenes)
        return [self.scene(i) for i in range(num_scenes)]

    def _place(self, rng, count: int) -> tuple:
        size = self.image_size
        low, high = max(3, size // 12), max(4, size // 6)
        kinds = [(c, s) for c in COLORS for s in SHAPES]
        for _ in range(_PLACEMENT_ATTEMPTS):
            picks = rng.choice(len(kinds), size=count, replace=False)
            objects = []
            for pick in picks:
                for _ in range(100):
                    r = int(rng.integers(low, high + 1))
                    x, y = (int(v) for v in rng.integers(r + 1, size - r - 1, size=2))
                    obj = SceneObject(*kinds[pick], x=x, y=y, radius=r)
                    if all(_apart(obj, other) for other in objects):
                        objects.append(obj)
                        break
            if len(objects) == count:
                return tuple(sorted(objects, key=lambda o: (o.x, o.y)))
        raise ValueError(
            f"Could not place {count} non-overlapping objects in a {size}x{size} "
            f"image after {_PLACEMENT_ATTEMPTS} attempts: `image_size` is too small "
            f"for `max_objects`={self.max_objects}. Use image_size >= 32 or fewer "
            "objects."
        )

    @staticmethod
    def _caption(objects) -> str:
        first = f"a {objects[0].name}"
        if len(objects) == 1:
            return first
        relation = _relation(objects[0], objects[1]) or "next to"
        caption = f"{first} {relation} a {objects[1].name}"
        for obj in objects[2:]:
            caption += f" and a {obj.name}"
        return caption

    def _questions(self, rng, follow_rng, objects):
        """Returns `(question, answer, history_dependent)` rounds."""
        qa = []
        shapes = [o.shape for o in objects]
        colors = [o.color for o in objects]
        target = objects[int(rng.integers(len(objects)))]
        # 1. Colour of a shape that appears once, then of another such shape.
        # A dialog has at most one follow-up, and colour and count follow-ups
        # come about equally often, so the question alone cannot tell which.
        if shapes.count(target.shape) == 1:
            qa.append((f"what color is the {target.shape}?", target.color, False))
            others = [
                o for o in objects if o is not target and shapes.count(o.shape) == 1
            ]
            if others:
                other = others[int(follow_rng.integers(len(others)))]
                qa.append((FOLLOW_UP.format(other.shape), other.color, True))
        asked_color = bool(qa) and qa[-1][2]
        # 2. Shape of a colour that appears once.
        if colors.count(target.color) == 1:
            qa.append(
                (f"what shape is the {target.color} object?", target.shape, False)
            )
        # 3. Counts.
        qa.append(("how many shapes are there?", NUMBER_WORDS[len(objects)], False))
        shape = SHAPES[int(rng.integers(len(SHAPES)))]
        count = NUMBER_WORDS[shapes.count(shape)]
        qa.append((f"how many {shape}s are there?", count, False))
        # ... then, on a coin flip, of another shape in the scene.
        other_shapes = sorted({s for s in shapes if s != shape})
        if other_shapes and not asked_color and follow_rng.integers(2):
            other_shape = other_shapes[int(follow_rng.integers(len(other_shapes)))]
            other_count = NUMBER_WORDS[shapes.count(other_shape)]
            qa.append((FOLLOW_UP.format(other_shape), other_count, True))
        # 4. Relative position of two objects, when clearly separated.
        if len(objects) >= 2:
            a, b = (objects[i] for i in rng.choice(len(objects), 2, replace=False))
            relation = _relation(a, b)
            if relation is not None:
                vertical = relation in ("above", "below")
                options = ("above", "below") if vertical else RELATIONS[:2]
                asked = options[int(rng.integers(2))]
                qa.append(
                    (
                        f"is the {a.name} {asked} the {b.name}?",
                        "yes" if relation == asked else "no",
                        False,
                    )
                )
        # 5. Presence (yes/no) of a random colour-shape pair.
        color = list(COLORS)[int(rng.integers(len(COLORS)))]
        present = any(o.color == color and o.shape == shape for o in objects)
        qa.append((f"is there a {color} {shape}?", "yes" if present else "no", False))
        return qa


def _apart(a: SceneObject, b: SceneObject, gap: int = 2) -> bool:
    ax0, ay0, ax1, ay1 = a.box()
    bx0, by0, bx1, by1 = b.box()
    return ax1 + gap < bx0 or bx1 + gap < ax0 or ay1 + gap < by0 or by1 + gap < ay0


def scenes_to_vqa_split(scenes: list[Scene], answer_vocabulary: list[str]) -> VQASplit:
    """Flattens scenes into a `VQASplit` (one row per question) for `VQAModel`.

    The follow-up rounds (`Scene.history_dependent`) are left out: without the
    dialog they have no single answer.

    Args:
        scenes: list of `Scene`.
        answer_vocabulary: e.g. `SceneGenerator.answer_vocabulary()`; an answer
            outside it raises `ValueError`.

    Returns:
        A `VQASplit` whose `image_ids` are the scene positions.
    """
    answer_to_id = {a: i for i, a in enumerate(answer_vocabulary)}
    questions, answers, image_index = [], [], []
    for row, scene in enumerate(scenes):
        rounds = zip(scene.dialog(), scene.history_dependent, strict=True)
        for (question, answer), dependent in rounds:
            if dependent:
                continue
            if answer not in answer_to_id:
                raise ValueError(
                    "`answer_vocabulary` must contain every answer, missing "
                    f"{answer!r}."
                )
            questions.append(question)
            answers.append(answer)
            image_index.append(row)
    return VQASplit(
        images=np.stack([scene.image for scene in scenes]),
        image_ids=np.arange(len(scenes)),
        questions=questions,
        answers=answers,
        answer_ids=np.array([answer_to_id[a] for a in answers], np.int64),
        image_index=np.array(image_index, np.int64),
        answer_vocabulary=list(answer_vocabulary),
    )
