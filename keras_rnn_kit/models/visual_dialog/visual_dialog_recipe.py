"""The visual-dialog recipe behind `rnnkit train visual-dialog` and its example.

`VisualDialogRecipe` reads easy-VQA's questions as six-round dialogs about each
image (shipped inside the `easy-vqa` package), builds the dialog preprocessor
from the training rounds and a hierarchical-encoder (`hre`) model that ranks
easy-VQA's 13 answers, and scores R@k, MRR, mean rank and NDCG on the test
split's rounds.

Example:

>>> recipe = VisualDialogRecipe()
>>> prepared = recipe.load(None, tiny=True)
>>> prepared.description
'easy_vqa dialogs: 96 training rounds, 24 test'
>>> recipe.build(prepared, tiny=True).preprocessor is prepared.preprocessor
True
"""

import dataclasses
from typing import ClassVar

import numpy as np

from keras_rnn_kit.data.easy_vqa_dataset import easy_vqa_answers
from keras_rnn_kit.data.easy_vqa_dataset import load_easy_vqa
from keras_rnn_kit.data.image_io import load_image_files
from keras_rnn_kit.data.visdial_easy_vqa import DialogExamples
from keras_rnn_kit.data.visdial_easy_vqa import dialog_view
from keras_rnn_kit.metrics.retrieval import retrieval_metrics
from keras_rnn_kit.models.image_encoder import ImageEncoder
from keras_rnn_kit.models.recipe import PreparedData
from keras_rnn_kit.models.recipe import Recipe
from keras_rnn_kit.models.recipe import sized_examples
from keras_rnn_kit.models.visual_dialog.visual_dialog_backbone import (
    VisualDialogBackbone,
)
from keras_rnn_kit.models.visual_dialog.visual_dialog_model import VisualDialogModel
from keras_rnn_kit.models.visual_dialog.visual_dialog_preprocessor import (
    VisualDialogPreprocessor,
)
from keras_rnn_kit.models.visual_dialog.visual_dialog_training import dialog_dataset
from keras_rnn_kit.utils.validation import check_choice


@dataclasses.dataclass
class VisualDialogData(PreparedData):
    """`PreparedData` for visual dialog.

    Attributes:
        train_split: the training `DialogExamples`.
        preprocessor: the `VisualDialogPreprocessor` built from the training
            rounds (lengths from both splits; the model shares it).
    """

    train_split: DialogExamples | None = None
    preprocessor: VisualDialogPreprocessor | None = None


@dataclasses.dataclass(frozen=True)
class VisualDialogRecipe(Recipe):
    """Visual dialog: images, questions and histories -> `VisualDialogModel`.

    Attributes:
        rounds: rounds per dialog.
        units: the encoders' units (the embedding has half as many).
        filters: the image encoder's convolution filters.
        encoder: `"hre"` (hierarchical) or `"late_fusion"`.
    """

    name: ClassVar[str] = "visual-dialog"
    data_help: ClassVar[str] = "`easy_vqa` (default: easy-VQA's questions as dialogs)"
    options: ClassVar[tuple[str, ...]] = ("question", "history")

    epochs: int = 6
    rounds: int = 6
    units: int = 64
    filters: tuple[int, ...] = (16, 32, 64)
    encoder: str = "hre"

    def load(self, data, tiny=False, seed=0) -> VisualDialogData:
        check_choice("data", data or "easy_vqa", ("easy_vqa",))
        cap = 16 if tiny else None
        train = dialog_view(load_easy_vqa("train", max_images=cap), self.rounds)
        test = dialog_view(
            load_easy_vqa("test", max_images=cap and cap // 4), self.rounds
        )
        preprocessor = VisualDialogPreprocessor.from_dialogs(
            train,
            image_size=32 if tiny else int(train.images.shape[1]),
            lengths_from=[test],
        )
        batches = dialog_dataset(preprocessor, train, 1024, shuffle=True, seed=seed)
        return VisualDialogData(
            f"easy_vqa dialogs: {len(train)} training rounds, {len(test)} test",
            sized_examples(batches, len(train)),
            test,
            train_split=train,
            preprocessor=preprocessor,
        )

    def build(self, prepared, tiny=False, epochs=None, batch_size=None):
        preprocessor = prepared.preprocessor
        units = 8 if tiny else self.units
        image_size = preprocessor.image_size
        backbone = VisualDialogBackbone(
            preprocessor.vocabulary_size,
            encoder=self.encoder,
            embedding_dim=units // 2,
            units=units,
            image_encoder=ImageEncoder(
                filters=(8, 16) if tiny else self.filters, image_size=image_size
            ),
            image_size=image_size,
            answer_length=preprocessor.answer_length,
        )
        candidates = prepared.train_split.candidates
        model = VisualDialogModel(backbone, preprocessor, candidates=candidates)
        model.compile()
        return model

    def evaluate(self, model, test: DialogExamples):
        batches = dialog_dataset(model.preprocessor, test, 256, shuffle=False)
        scores = model.predict(batches, verbose=0)
        return retrieval_metrics(np.asarray(scores), test.answer_ids)

    def predict(self, model, inputs, options):
        question = options.get("question")
        if not question:
            raise ValueError(
                "`--question` is required for visual-dialog: rnnkit predict "
                'visual-dialog MODEL.keras --question "what color is it?" --history '
                '"what shape is it? circle" IMAGE.png'
            )
        rounds = [r.strip() for r in options.get("history", "").split("|") if r.strip()]
        # A model saved before it kept its candidates ranks easy-VQA's answers.
        candidates = None if model.candidates else [easy_vqa_answers()] * len(inputs)
        ranked, _ = model.rank_answers(
            load_image_files(inputs, model.backbone.image_size),
            [question] * len(inputs),
            [rounds or [""]] * len(inputs),
            candidates,
        )
        return [
            f"{path}\t{best[0]}\t{', '.join(best[:3])}"
            for path, best in zip(inputs, ranked, strict=True)
        ]
