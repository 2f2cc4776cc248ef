"""The benchmark suite: its quick mode runs every benchmark end to end and writes every section."""
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_quick_benchmark_run_writes_every_section_with_its_command(tmp_path):
    done = subprocess.run([sys.executable, "bench/run_all.py", "--quick", "--out", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    text = (tmp_path / "RESULTS.md").read_text()
    for heading in ("Machine", "Data", "Training speed", "Training memory", "Generation", "Time to quality"):
        assert f"\n## {heading}" in text
    assert text.count("python bench/") >= 6 and "failed" not in text


def _bench_module(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_held_out_parts_draws_the_clips_of_generate_and_swaps_one_part():
    from text2video import load

    parts = _bench_module("held_out_parts")
    model = load(ROOT / "model" / "circles")
    held, seen = "circle moving up-right", "circle moving down"
    own = parts.draw(model, held, held, n=4, seed=3)
    assert np.array_equal(own, model.generate(held, n=4, seed=3))
    swapped = parts.draw(model, seen, held, n=4, seed=3)  # the look of "down", the path of "up-right"
    assert not np.array_equal(swapped, own)
    assert np.array_equal(parts.draw(model, seen, seen, n=4, seed=3), model.generate(seen, n=4, seed=3))


def test_judge_words_counts_the_asked_value_ranked_first_per_attribute():
    import torch

    from text2video.presets import get_preset
    from text2video.synth import attributes_for
    from text2video.text import Vocabulary

    judge = _bench_module("judge_words")
    vocab, preset = Vocabulary.from_grammar(), get_preset("shapes")
    prompts = ["small red circle moving up", "large blue square moving left quickly", "small red triangle moving down"]
    right = torch.zeros(3, len(vocab))
    for row, prompt in zip(right, prompts):
        for word in attributes_for(prompt).to_json().values():
            if word in vocab.words:
                row[vocab.index(word)] = 1.0
    assert judge.accuracy(right, vocab, prompts, preset) == {"shape": 100.0, "colour": 100.0, "size": 100.0}
    always_circle = right.clone()
    always_circle[:, vocab.index("circle")] = 5.0  # names every clip a circle: right on 1 of 3
    assert judge.accuracy(always_circle, vocab, prompts, preset)["shape"] == pytest.approx(100 / 3)


def test_judge_words_reads_every_word_head_a_run_trained(tmp_path):
    from text2video.train import Trainer, get_config

    run = tmp_path / "run"
    cfg = get_config("tiny", image_words=1.0, window=8, window_words=1.0)
    Trainer(cfg, "shapes", run, seed=0).fit(steps=1, progress=False)
    done = subprocess.run([sys.executable, "bench/judge_words.py", "--run", str(run), "--n", "6"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    for head in ("video", "image", "window"):
        for kind in ("generated", "real"):
            assert f"{head} head, {kind}: shape " in done.stdout


def test_checkpoint_curve_scores_each_checkpoint_once_and_keeps_the_removed_ones(tmp_path):
    from text2video.train import Trainer, get_config

    run = tmp_path / "run"
    Trainer(get_config("tiny"), "circles", run, seed=0).fit(steps=15, progress=False)  # checkpoints at 5, 10, 15
    command = [sys.executable, "bench/checkpoint_curve.py", str(run), "--n", "2"]
    first = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-3000:]
    assert [line.split()[1] for line in first.stdout.splitlines()[1:]] == ["10", "15"]  # step 5 was removed
    scored = run / "curve" / "step-0000015.json"
    before = scored.stat().st_mtime_ns
    shutil.rmtree(run / "checkpoints" / "step-0000010")
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.stdout == first.stdout and scored.stat().st_mtime_ns == before
