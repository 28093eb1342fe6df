"""Tests for keras_rnn_kit/data/scene_generator.py."""

import re

import numpy as np
import pytest

from keras_rnn_kit.data.scene_generator import COLORS
from keras_rnn_kit.data.scene_generator import FOLLOW_UP
from keras_rnn_kit.data.scene_generator import NUMBER_WORDS
from keras_rnn_kit.data.scene_generator import SceneGenerator
from keras_rnn_kit.data.scene_generator import scenes_to_vqa_split


@pytest.fixture(scope="module")
def scenes():
    return SceneGenerator(image_size=48, min_objects=1, max_objects=3, seed=7).generate(
        60
    )


def _find(objects, name):
    matches = [o for o in objects if o.name == name]
    assert len(matches) == 1, f"{name!r} must name exactly one object"
    return matches[0]


def test_same_seed_same_scenes_and_prefix_stability():
    a = SceneGenerator(seed=5).generate(5)
    b = SceneGenerator(seed=5).generate(3)
    c = SceneGenerator(seed=6).generate(3)
    for x, y in zip(a, b, strict=False):
        np.testing.assert_array_equal(x.image, y.image)
        assert x.questions == y.questions and x.answers == y.answers
    assert any(not np.array_equal(x.image, z.image) for x, z in zip(a, c, strict=False))


def test_pixels_show_each_object_in_its_colour(scenes):
    for scene in scenes:
        painted = (scene.image != 255).any(axis=-1)
        expected = np.zeros_like(painted)
        for obj in scene.objects:
            # The centre pixel of circles, squares and triangles is inside.
            assert tuple(scene.image[obj.y, obj.x]) == COLORS[obj.color]
            x0, y0, x1, y1 = obj.box()
            expected[y0 : y1 + 1, x0 : x1 + 1] = True
        # Nothing is painted outside the objects' boxes.
        assert not (painted & ~expected).any()


def test_objects_vary_and_do_not_overlap(scenes):
    counts = {len(s.objects) for s in scenes}
    radii = {o.radius for s in scenes for o in s.objects}
    assert counts == {1, 2, 3} and len(radii) > 3
    for scene in scenes:
        names = [o.name for o in scene.objects]
        assert len(set(names)) == len(names)
        for i, a in enumerate(scene.objects):
            for b in scene.objects[i + 1 :]:
                ax0, ay0, ax1, ay1 = a.box()
                bx0, by0, bx1, by1 = b.box()
                assert ax1 < bx0 or bx1 < ax0 or ay1 < by0 or by1 < ay0


def _follow_up_answer(objects, previous_question, shape):
    """What "what about the <shape>?" asks, read from the previous question."""
    if re.fullmatch(r"what color is the \w+\?", previous_question):
        return next(o.color for o in objects if o.shape == shape)
    assert re.fullmatch(r"how many \w+s are there\?", previous_question)
    return NUMBER_WORDS[sum(o.shape == shape for o in objects)]


def test_answers_agree_with_the_object_list(scenes):
    kinds = {"count": 0, "relation": 0, "color": 0, "shape": 0, "presence": 0}
    for scene in scenes:
        objects = scene.objects
        for i, (question, answer) in enumerate(scene.dialog()):
            follow_up = re.fullmatch(
                FOLLOW_UP.format(r"(\w+)").replace("?", r"\?"), question
            )
            assert scene.history_dependent[i] == bool(follow_up)
            if follow_up:
                previous = scene.questions[i - 1]
                assert answer == _follow_up_answer(objects, previous, follow_up[1])
            elif m := re.fullmatch(r"what color is the (\w+)\?", question):
                kinds["color"] += 1
                assert answer == next(o.color for o in objects if o.shape == m[1])
            elif m := re.fullmatch(r"what shape is the (\w+) object\?", question):
                kinds["shape"] += 1
                assert answer == next(o.shape for o in objects if o.color == m[1])
            elif question == "how many shapes are there?":
                kinds["count"] += 1
                assert answer == NUMBER_WORDS[len(objects)]
            elif m := re.fullmatch(r"how many (\w+)s are there\?", question):
                assert answer == NUMBER_WORDS[sum(o.shape == m[1] for o in objects)]
            elif m := re.fullmatch(
                r"is the (\w+ \w+) (to the left of|to the right of|above|below) "
                r"the (\w+ \w+)\?",
                question,
            ):
                kinds["relation"] += 1
                a, b = _find(objects, m[1]), _find(objects, m[3])
                truth = {
                    "to the left of": a.x < b.x,
                    "to the right of": a.x > b.x,
                    "above": a.y < b.y,
                    "below": a.y > b.y,
                }[m[2]]
                assert answer == ("yes" if truth else "no")
            elif m := re.fullmatch(r"is there a (\w+) (\w+)\?", question):
                kinds["presence"] += 1
                present = any(o.name == f"{m[1]} {m[2]}" for o in objects)
                assert answer == ("yes" if present else "no")
            else:
                pytest.fail(f"unexpected question {question!r}")
    assert all(n > 0 for n in kinds.values()), kinds


def test_captions_name_every_object_and_the_first_relation(scenes):
    for scene in scenes:
        for obj in scene.objects:
            assert f"a {obj.name}" in scene.caption
        if len(scene.objects) >= 2 and "to the left of" in scene.caption:
            first, second = scene.objects[:2]
            assert first.x < second.x


def test_follow_ups_need_the_history_and_come_in_both_kinds(scenes):
    kinds = {"color": 0, "count": 0}
    for scene in scenes:
        assert sum(scene.history_dependent) <= 1
        for i in np.flatnonzero(scene.history_dependent):
            assert i > 0 and not scene.history_dependent[i - 1]
            shape = re.fullmatch(r"what about the (\w+)\?", scene.questions[i])[1]
            # The shape is in the scene and differs from the one just asked about.
            assert any(o.shape == shape for o in scene.objects)
            assert shape not in scene.questions[i - 1]
            kind = "color" if scene.answers[i] in COLORS else "count"
            kinds[kind] += 1
    # Both readings of the same question occur, so only the history disambiguates.
    assert min(kinds.values()) >= 0.5 * max(kinds.values()) > 0, kinds


def test_vqa_split_flattens_dialogs_without_the_follow_ups(scenes):
    generator = SceneGenerator(image_size=48, max_objects=3, seed=7)
    split = scenes_to_vqa_split(scenes[:8], generator.answer_vocabulary())
    assert any(any(s.history_dependent) for s in scenes[:8])
    assert len(split) == sum(
        len(s.questions) - sum(s.history_dependent) for s in scenes[:8]
    )
    for i, question in enumerate(split.questions):
        scene = scenes[split.image_index[i]]
        assert question in scene.questions
        assert not question.startswith("what about")
        assert split.answer_vocabulary[split.answer_ids[i]] == split.answers[i]
    with pytest.raises(ValueError, match="`answer_vocabulary`"):
        scenes_to_vqa_split(scenes[:8], ["yes", "no"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"image_size": 8}, "`image_size`"),
        ({"min_objects": 0}, "`min_objects`"),
        ({"min_objects": 3, "max_objects": 2}, "`max_objects`"),
        ({"max_objects": 5}, "`max_objects`"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SceneGenerator(**kwargs)


def test_too_small_image_for_the_objects_raises_instead_of_hanging():
    # 16x16 cannot hold two apart objects of radius >= 3; this once looped forever.
    generator = SceneGenerator(image_size=16, min_objects=2, max_objects=2, seed=0)
    with pytest.raises(ValueError, match="`image_size` is too small for `max_objects`"):
        generator.scene(0)
