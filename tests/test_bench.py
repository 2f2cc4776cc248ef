"""The benchmark suite: its quick mode runs every benchmark end to end and writes every section."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_quick_benchmark_run_writes_every_section_with_its_command(tmp_path):
    done = subprocess.run([sys.executable, "bench/run_all.py", "--quick", "--out", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    text = (tmp_path / "RESULTS.md").read_text()
    for heading in ("Machine", "Data", "Training speed", "Training memory", "Generation", "Time to quality"):
        assert f"\n## {heading}" in text
    assert text.count("python bench/") >= 6 and "failed" not in text


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
