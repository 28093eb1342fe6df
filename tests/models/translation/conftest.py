"""The trained 20-pair translator, shared by the translation test modules."""

import pytest

from tests.models.translation.translation_fixtures import train_on_corpus


@pytest.fixture(scope="session")
def trained():
    return train_on_corpus()
