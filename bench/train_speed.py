"""Training speed of each preset: clips per second over a few steps after a warm-up step,
including drawing the real clips on the fly (what a run with --data circles does).

Usage: python bench/train_speed.py [--preset cpu --preset tutorial ...] [--steps 5] [--from-step N]
       [--batch-size N] [--device auto] [--compile] [--no-amp] [--no-channels-last]
(AMP and channels-last are on by default with CUDA, as in training.) --from-step times the steps
as they run from step N on: presets with `path_after` draw no clips for the generator before it,
so their first steps are faster than the rest of a run; the default, past every preset's
`path_after`, times the run's steady pace.
The last line is `clips/s: N` for the last preset.
"""
import argparse
import tempfile
import time

import torch

from text2video.train import Trainer, get_config

STEADY_STEP = 1000  # past every preset's path_after: the steps a run spends most of its time in


def clips_per_second(preset: str, steps: int, batch_size: int | None = None, device: str = "auto",
                     from_step: int = STEADY_STEP, **options) -> float:
    """Steps from_step onwards, with the step-dependent branches (path_after, the upsampler's
    every other step) as they run there; the weights are the untrained ones, which does not
    change the work. options: Trainer's compile, amp, channels_last."""
    overrides = {"batch_size": batch_size} if batch_size else {}
    with tempfile.TemporaryDirectory() as out:  # nothing is written: no fit(), no checkpoint
        trainer = Trainer(get_config(preset, **overrides), "circles", out, seed=0, device=device, **options)
        sync = torch.cuda.synchronize if trainer.device.type == "cuda" else lambda: None
        trainer.step = from_step
        trainer.train_step()  # warm-up: allocation, cuDNN autotuning, compilation
        sync()
        start = time.perf_counter()
        for _ in range(steps):
            trainer.train_step()
            trainer.step += 1  # the upsampler trains every other step, as in fit()
        sync()
        return steps * trainer.cfg.batch_size / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", action="append", help="training preset, repeatable (default: cpu, tutorial, gpu, gpu128)")
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--from-step", type=int, default=STEADY_STEP,
                   help=f"time the steps from this one on (default {STEADY_STEP}, past every preset's path_after; "
                        "0: a run's first steps)")
    p.add_argument("--batch-size", type=int, help="override every preset's batch")
    p.add_argument("--device", default="auto")
    p.add_argument("--compile", action="store_true")
    p.add_argument("--no-amp", dest="amp", action="store_false", default=None)
    p.add_argument("--no-channels-last", dest="channels_last", action="store_false", default=None)
    args = p.parse_args()
    if args.from_step < 0:
        p.error(f"--from-step must be a step number >= 0, got {args.from_step}")
    options = {"compile": args.compile, "amp": args.amp, "channels_last": args.channels_last}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}")
    for preset in args.preset or ["cpu", "tutorial", "gpu", "gpu128"]:
        rate = clips_per_second(preset, args.steps, args.batch_size, args.device, args.from_step, **options)
        print(f"{preset}: {rate:.1f} clips/s", flush=True)
    print(f"clips/s: {rate:.1f}")


if __name__ == "__main__":
    main()
