from collections import Counter

from benchmarks import vqa_seeds
from keras_rnn_kit.data.easy_vqa_dataset import load_easy_vqa


def test_majority_baseline_counts_the_most_common_training_answer():
    train = load_easy_vqa("train", max_images=40)
    test = load_easy_vqa("test", max_images=10)
    answer = Counter(train.answers).most_common(1)[0][0]
    expected = test.answers.count(answer) / len(test)
    assert vqa_seeds.majority_accuracy(max_images=40) == expected
    assert 0.0 < expected < 1.0


def test_one_tiny_run_per_seed_and_the_target_from_the_worst_seed():
    record = vqa_seeds.run(seeds=(3,), quick=True, epochs=1, max_images=20)
    (only,) = record["runs"]
    assert only["seed"] == 3 and only["epochs"] == 1
    assert record["min_accuracy"] == only["test_accuracy"]
    assert record["max_train_seconds"] == only["train_seconds"]
    met = only["test_accuracy"] >= vqa_seeds.TARGET_ACCURACY and (
        only["train_seconds"] <= vqa_seeds.MAX_TRAIN_SECONDS
    )
    assert record["target_met"] == met
    rows = vqa_seeds.table(record).splitlines()
    assert len(rows) == 4 and "seed 3 (1 epochs)" in rows[2]
    assert f"{record['majority_accuracy']:.4f}" in rows[3]
