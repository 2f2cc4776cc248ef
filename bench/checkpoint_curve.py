"""Quality against training steps: score every checkpoint of one or more runs as
`evaluate --model RUN/checkpoints/step-N --no-classifier` does, one row per checkpoint.

Usage: python bench/checkpoint_curve.py RUN [RUN ...] [--n 64] [--seed 0] [--follow --until STEP]
A run keeps only its last two checkpoints, so to score all of them start this beside the
training with --follow: it scores each one as it is written, until every run has reached
--until. Scores are kept as RUN/curve/step-N.json and never computed twice.
"""
import argparse
import json
import sys
import time
from pathlib import Path

from text2video.checkpoint import latest_checkpoint
from text2video.errors import UserError
from text2video.evaluate import evaluate
from text2video.evaluate.command import saved_model
from text2video.evaluate.report import write
from text2video.presets import get_preset


def steps(run: Path) -> list[Path]:
    """The run's checkpoints, oldest first: those scored before (kept or not) and the complete
    ones still there, up to the one latest.json names."""
    latest = latest_checkpoint(run)
    kept = [p for p in (run / "checkpoints").glob("step-*") if latest and p.name <= latest.name]
    scored = [run / "checkpoints" / p.stem for p in (run / "curve").glob("step-*.json")]
    return sorted(set(kept + scored))


def step_of(checkpoint: Path | str) -> int:
    """step-0001000 -> 1000."""
    return int(Path(checkpoint).name.removeprefix("step-"))


def score(checkpoint: Path, n: int, seed: int) -> dict:
    """The report of one checkpoint, from RUN/curve/step-N.json when scored before."""
    path = checkpoint.parent.parent / "curve" / f"{checkpoint.name}.json"
    if not path.exists():
        generate, name, video, split = saved_model(str(checkpoint), None)
        evaluation = evaluate(generate, get_preset(name), n=n, seed=seed, video=video, split=split, judge=None,
                              progress=False)
        evaluation.report["source"] = str(checkpoint)
        path.parent.mkdir(exist_ok=True)
        write(evaluation, path)
    return json.loads(path.read_text())


def row(run: Path, checkpoint: Path, report: dict) -> str:
    overall = report["overall"]
    held, spread = overall.get("heldout"), overall["all"]["spread_ratio"]
    checks = overall["all"]["checks"]
    name = min(checks, key=checks.get)
    held_out = f"{100 * held['correct']:6.1f}%" if held else f"{'-':>7}"
    spread = f"{spread:6.2f}" if spread is not None else f"{'-':>6}"  # None: too few clips to tell
    weakest = "every check 100%" if checks[name] == 1 else f"{name} {100 * checks[name]:.1f}%"
    return (f"{run.name:<16} {step_of(checkpoint):>6} {100 * overall['seen']['correct']:5.1f}% {held_out} "
            f"{spread}  {weakest}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", type=Path, metavar="RUN", help="a training run's --out directory")
    p.add_argument("--n", type=int, default=64, help="clips per prompt (default 64)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--follow", action="store_true", help="wait for new checkpoints until every run reaches --until")
    p.add_argument("--until", type=int, help="with --follow: the last step to wait for")
    args = p.parse_args()
    if args.follow != (args.until is not None):
        raise UserError("--follow and --until go together: --follow --until STEP")
    for run in args.runs:
        if not run.is_dir() and not args.follow:  # followed, it may not have started yet
            raise UserError(f"{run} is not a directory; give a training run's --out directory")

    print(f"{'run':<16} {'step':>6} {'seen':>6} {'heldout':>7} {'spread':>6}  weakest check", flush=True)
    done: dict[Path, set[str]] = {run: set() for run in args.runs}
    while True:
        for run in args.runs:
            for checkpoint in steps(run):
                if checkpoint.name not in done[run]:
                    done[run].add(checkpoint.name)
                    print(row(run, checkpoint, score(checkpoint, args.n, args.seed)), flush=True)
        reached = all(any(step_of(name) >= args.until for name in names) for names in done.values()) \
            if args.follow else True
        if reached:
            return 0
        time.sleep(20)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except UserError as e:
        sys.exit(f"checkpoint_curve: error: {e}")
