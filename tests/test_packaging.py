"""The wheel lists every package; export/ installs as keras_rnn_kit.export."""

import os
import tomllib

from tests.test_case import REPO_ROOT


def _pyproject():
    with open(os.path.join(REPO_ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)


def _package_dirs(root, prefix):
    found = set()
    for folder, _, files in os.walk(os.path.join(REPO_ROOT, root)):
        if "__init__.py" in files and "__pycache__" not in folder:
            rel = os.path.relpath(folder, os.path.join(REPO_ROOT, root))
            found.add(prefix if rel == "." else f"{prefix}.{rel.replace(os.sep, '.')}")
    return found


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    on_disk = _package_dirs("keras_rnn_kit", "keras_rnn_kit") | _package_dirs(
        "export", "keras_rnn_kit.export"
    )
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages"
    assert listed - on_disk == set(), "these listed packages have no folder"


def test_export_folder_installs_as_keras_rnn_kit_export():
    import keras_rnn_kit.export

    assert _pyproject()["tool"]["setuptools"]["package-dir"] == {
        "keras_rnn_kit": "keras_rnn_kit",
        "keras_rnn_kit.export": "export",
    }
    assert os.path.samefile(
        os.path.dirname(keras_rnn_kit.export.__file__),
        os.path.join(REPO_ROOT, "export"),
    )


def test_console_script_points_at_the_cli():
    assert _pyproject()["project"]["scripts"] == {"rnnkit": "keras_rnn_kit.cli:main"}


def test_the_suite_runs_every_docstring_example():
    """Every module with a `>>>` example sits under a collected doctest path."""
    options = _pyproject()["tool"]["pytest"]["ini_options"]
    assert "--doctest-modules" in options["addopts"].split()
    with_examples = set()
    for root in ("keras_rnn_kit", "export"):
        for folder, _, files in os.walk(os.path.join(REPO_ROOT, root)):
            for name in files:
                if name.endswith(".py"):
                    with open(os.path.join(folder, name), encoding="utf-8") as f:
                        if ">>> " in f.read():
                            with_examples.add(root)
    assert with_examples == {"keras_rnn_kit", "export"}
    assert with_examples <= set(options["testpaths"])
