"""Helpers of the fault tests (test_unsafe_loading, test_atomic_writes, test_resume,
test_numerical_faults, test_integrity, test_validation, test_determinism): the CLI in-process,
training subprocesses, and comparisons of training states. docs/RELIABILITY.md lists every case."""
import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import torch
from safetensors.torch import load_file

from text2video.cli import main
from text2video.files import read_json
from text2video.train import get_config

TINY = get_config("tiny")
EVERY = TINY.checkpoint_every
# One thread here and in the subprocesses: the same arithmetic in both, and no spinning threads
# fighting other jobs for the cores.
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def cli(argv, capsys) -> tuple[int, str]:
    """main() in this process: (exit code, stderr); argparse's own errors exit through SystemExit."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:
        code = e.code
    return code, capsys.readouterr().err


def assert_one_line_error(code, err, message):
    assert code == 2, err
    assert message in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def train_argv(out, *args) -> list[str]:
    return [str(a) for a in ("train", "--preset", "tiny", "--data", "circles", "--seed", 0, "--out", out, *args)]


def latest_step(out) -> int | None:
    pointer = out / "checkpoints" / "latest.json"
    return json.loads(pointer.read_text())["step"] if pointer.exists() else None


def logged_steps(out) -> list[int]:
    steps = []
    for line in (out / "log.jsonl").read_text().splitlines():
        with contextlib.suppress(ValueError):  # a kill may cut the last line short
            steps.append(json.loads(line)["step"])
    return steps


def wait_for(condition, proc, timeout=120.0):
    """Poll until condition() holds; fail if the process ends first or time runs out."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"training ended early with code {proc.returncode}"
        assert time.monotonic() < deadline, "training made no progress in time"
        time.sleep(0.02)


def start_training(out, tmp_path, *args, prefix=("-m", "text2video")):
    err = open(tmp_path / "stderr.txt", "w")
    # SIGINT back to its default in the child, even when the tests run where it is ignored
    return subprocess.Popen([sys.executable, *prefix, *train_argv(out, *args)], env=ENV, stdout=subprocess.DEVNULL,
                            stderr=err, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def temporaries(root) -> list:
    return [p for p in root.rglob("*") if ".tmp" in p.name]


def flat(obj, prefix=""):
    """(path, leaf) pairs of nested dicts and lists, for comparing optimizer states."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from flat(v, f"{prefix}/{k}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from flat(v, f"{prefix}/{i}")
    else:
        yield prefix, obj


def assert_same_training_state(a, b):
    """Two checkpoint directories hold bit-identical weights, optimizer states and RNG states."""
    for name in ("model.safetensors", "discriminators.safetensors"):
        ta, tb = load_file(a / name), load_file(b / name)
        assert ta.keys() == tb.keys()
        for k in ta:
            assert torch.equal(ta[k], tb[k]), f"{name}: {k} differs"
    oa, ob = (dict(flat(torch.load(d / "optimizers.pt", weights_only=True))) for d in (a, b))
    assert oa.keys() == ob.keys()
    for k in oa:
        same = torch.equal(oa[k], ob[k]) if isinstance(oa[k], torch.Tensor) else oa[k] == ob[k]
        assert same, f"optimizer state {k} differs"
    sa, sb = read_json(a / "state.json"), read_json(b / "state.json")
    assert (sa["step"], sa["rng"]) == (sb["step"], sb["rng"])


class Payload:
    """Unpickling this calls open(marker, "w"): it would create the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")

