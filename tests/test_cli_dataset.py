"""`python -m text2video make-dataset` and `render` as a user runs them: every preset, every tutorial prompt, errors."""
import json
import subprocess
import sys

import pytest


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "text2video", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("preset", ["circles", "shapes", "patterns"])
def test_make_dataset_writes_a_readable_dataset(tmp_path, preset):
    out = tmp_path / preset
    r = run("make-dataset", "--preset", preset, "--n", "20", "--seed", "0", "--out", str(out), "--size", "32", "--frames", "8")
    assert r.returncode == 0, r.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["n"] == 20 and manifest["preset"]["name"] == preset
    assert len(manifest["clips"]["prompt"]) == 20


def test_make_dataset_takes_another_holdout(tmp_path):
    out = tmp_path / "d"
    r = run("make-dataset", "--preset", "shapes", "--n", "10", "--out", str(out), "--size", "32", "--frames", "4",
            "--holdout", "blue circle", "--holdout", "square moving left")
    assert r.returncode == 0, r.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["split"] == [{"colour": "blue", "shape": "circle"}, {"shape": "square", "direction": "left"}]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--preset", "hexagons"], "unknown preset 'hexagons'; known presets: circles, shapes, patterns"),
        (["--holdout", "purple circle"], "unknown word 'purple'"),
        (["--holdout", "circle"], "leaves the training set of preset 'circles' empty"),
    ],
)
def test_make_dataset_errors_are_one_line_with_exit_code_2(tmp_path, args, message):
    r = run("make-dataset", "--n", "5", "--out", str(tmp_path / "x"), *args)
    assert r.returncode == 2
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert not (tmp_path / "x" / "manifest.json").exists()


def test_render_draws_every_tutorial_prompt(tmp_path):
    from text2video.cli import main

    from test_grammar import TUTORIAL

    for i, prompt in enumerate(TUTORIAL):
        out = tmp_path / f"{i}.npy"
        assert main(["render", prompt, "--out", str(out), "--frames", "8", "--size", "32"]) == 0
        assert out.exists()
