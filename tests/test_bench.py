"""The benchmark suite: its quick mode runs every benchmark end to end and writes every section."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_benchmark_run_writes_every_section_with_its_command(tmp_path):
    done = subprocess.run([sys.executable, "bench/run_all.py", "--quick", "--out", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    text = (tmp_path / "RESULTS.md").read_text()
    for heading in ("Machine", "Data", "Training speed", "Training memory", "Generation", "Time to quality"):
        assert f"\n## {heading}" in text
    assert text.count("python bench/") >= 6 and "failed" not in text
