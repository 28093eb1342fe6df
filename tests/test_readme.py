"""README.md stays true: its two set-up commands, CLI lines and Python snippets."""

import os
import re
import shlex

import pytest

from keras_rnn_kit import cli
from tests.test_case import REPO_ROOT
from tests.test_case import run_python

with open(os.path.join(REPO_ROOT, "README.md"), encoding="utf-8") as _f:
    README = _f.read()


def _blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def test_readme_opens_with_the_demo_and_test_commands():
    first = _blocks("bash")[0].strip().splitlines()
    assert [line.split("#")[0].strip() for line in first[:2]] == [
        "make demo",
        "make test",
    ]
    assert README.index("```bash") < README.index("\n## ")
    with open(os.path.join(REPO_ROOT, "Makefile"), encoding="utf-8") as f:
        makefile = f.read()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    with open(os.path.join(REPO_ROOT, ".ci", "run"), encoding="utf-8") as f:
        assert re.search(r"^make test$", f.read(), re.M)


def _rnnkit_lines():
    lines = []
    for block in _blocks("bash"):
        for line in block.splitlines():
            command = line.split("  #")[0].strip()
            if command.startswith("rnnkit "):
                lines.append(command)
    return lines


@pytest.mark.parametrize("line", _rnnkit_lines())
def test_every_rnnkit_line_parses(line):
    # Parsing checks every subcommand, option and choice the README shows exists;
    # running them is the CLI tests' job (tests/test_cli.py, tests/test_demo.py).
    words = shlex.split(line)
    args = cli.build_parser().parse_args(words[1:])
    assert args.command == words[1] and callable(args.run)


@pytest.mark.slow
def test_python_snippets_run_in_order():
    snippets = _blocks("python")
    assert len(snippets) >= 4
    output = run_python("\n".join(snippets), timeout=600)
    assert "(2, 1)" in output and "(1, 32)" in output  # the shape comments hold
    # "The food was really good" is learned from the generated reviews.
    assert "SentimentPrediction(labels=['positive', " in output
    assert re.search(r"vanilla .* ratio = \d\.\d+e-0[5-9]", output)
    # A recipe variant trains as its application (captioning, show and tell).
    assert "['bleu_1', 'bleu_2', 'bleu_3', 'bleu_4', 'final_loss']" in output
