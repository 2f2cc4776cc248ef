"""Command line: `python -m text2video <command>` (also the `text2video` script).

Each command imports what it needs when it runs. A UserError becomes one line on stderr and
exit code 2; anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import argparse
import math
import os
import sys

from .errors import UserError


MAX_SAMPLES = 256
MAX_SEED = 2**32 - 1  # clip noise keeps the low 32 bits of a seed


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line like every other error of the CLI."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number(kind, accepts, what: str):
    """An argparse type: `kind` of the text, if `accepts` it; else an error saying `what` is wanted."""
    def parse(value: str):
        try:
            x = kind(value)
        except ValueError:
            x = None
        if x is None or not accepts(x):
            raise argparse.ArgumentTypeError(f"must be {what}, got {value!r}")
        return x

    return parse


_positive = _number(int, lambda n: n > 0, "a positive whole number")
_positive_float = _number(float, lambda x: 0 < x < math.inf, "a positive finite number")
_seed = _number(int, lambda n: 0 <= n <= MAX_SEED, f"a whole number from 0 to {MAX_SEED}")


def cmd_make_dataset(args) -> int:
    from .data import make_dataset
    from .presets import Split
    from .synth import VideoConfig

    video = VideoConfig(frames=args.frames, height=args.size, width=args.size)
    split = Split.parse(args.holdout) if args.holdout else None
    out = make_dataset(args.out, args.preset, args.n, args.seed, args.split, video, split)
    print(f"wrote {args.n} clips to {out}")
    return 0


def cmd_render(args) -> int:
    import numpy as np

    from .synth import VideoConfig, attributes_for, render, sample_clips

    attrs = attributes_for(args.prompt)
    video = VideoConfig(frames=args.frames, height=args.size, width=args.size)
    clips = render(sample_clips([attrs] * args.num_samples, video, np.random.default_rng(args.seed)))
    print(_write_file(clips, args.out, args.scale, args.fps))
    return 0


def _write_file(clips, out: str, scale: int, fps: float, labels: list[str] | None = None, columns: int | None = None):
    """clips (N, T, H, W, 3) to one file: an .npy holds them as they are, a video tiles them in a grid,
    each clip under its label if `labels` are given."""
    from pathlib import Path

    from .video_io import captioned, grid, save_video, upscale

    if Path(out).suffix.lower() == ".npy":
        return save_video(out, upscale(clips, scale), fps)
    if labels:
        return save_video(out, grid(captioned(upscale(clips, scale), labels), columns), fps)
    return save_video(out, upscale(grid(clips) if len(clips) > 1 else clips[0], scale), fps)


def _write_clips(clips, args) -> list:
    """One file (--out, as _write_file; several prompts: a labelled grid, a row of --num-samples clips
    per prompt) or one file per clip (--out-dir); returns the paths written."""
    from pathlib import Path

    from .video_io import save_video, upscale

    n = args.num_samples
    prompts = [p for p in args.prompt for _ in range(n)]
    if args.out_dir:
        stems = ["_".join(p.split()) for p in prompts]  # no tabs or newlines in file names
        return [save_video(Path(args.out_dir) / f"{stem}_{i % n}{args.ext}", upscale(c, args.scale), args.fps)
                for i, (stem, c) in enumerate(zip(stems, clips))]
    labels = prompts if len(args.prompt) > 1 else None
    return [_write_file(clips, args.out, args.scale, args.fps, labels, n if n > 1 else None)]


def cmd_generate(args) -> int:
    from pathlib import Path

    import torch

    from .sample import load
    from .video_io import FORMATS

    if not 1 <= args.num_samples <= MAX_SAMPLES:
        raise UserError(f"--num-samples must be between 1 and {MAX_SAMPLES}, got {args.num_samples}")
    ext = Path(args.out).suffix.lower() if args.out else args.ext
    if ext not in FORMATS:  # checked before the model loads: a typo should fail fast
        raise UserError(f"cannot write {ext or 'a file without extension'}: the extension must be one of {', '.join(FORMATS)}")
    # A clip is ~2 ms of work on one thread; a second thread only waits when another job holds
    # a core (bench/generate_speed.py: 190 ms a clip on two threads of the busy 2-core machine).
    torch.set_num_threads(1)
    model = load(args.model)
    clips = model.generate(args.prompt, n=args.num_samples, seed=args.seed)
    for path in _write_clips(clips, args):
        print(path)
    return 0


def _torchrun_ranks() -> tuple[int, int, int]:
    """(rank, world size, local rank) from the environment torchrun gives each process; (0, 1, 0)
    for a plain `python -m text2video train`."""
    env = os.environ
    return int(env.get("RANK", 0)), int(env.get("WORLD_SIZE", 1)), int(env.get("LOCAL_RANK", 0))


def _check_train_args(args) -> None:
    """What can be checked before any network is built."""
    from pathlib import Path

    import torch

    from .presets import PRESETS

    if args.data not in PRESETS and not Path(args.data).is_dir():
        raise UserError(f"--data {args.data!r} is neither a data preset ({', '.join(PRESETS)}) nor a dataset directory")
    if args.device != "auto":
        try:
            kind = torch.device(args.device).type
        except RuntimeError:
            raise UserError(f"--device {args.device!r} is not a device; use auto, cpu, cuda, cuda:N or mps") from None
        if kind == "cuda" and not torch.cuda.is_available() or kind == "mps" and not torch.backends.mps.is_available():
            raise UserError(f"--device {args.device}: this machine has none; use auto or cpu")
    if not args.resume and (Path(args.out) / "checkpoints" / "latest.json").exists():
        raise UserError(f"{args.out} holds a run already; add --resume to continue it, or give another --out")


def cmd_train(args) -> int:
    from . import distributed
    from .train import Trainer, get_config, parse_setting

    overrides = dict(parse_setting(text) for text in args.set or [])
    overrides.update({k: v for k, v in (("batch_size", args.batch_size), ("lr", args.lr)) if v is not None})
    cfg = get_config(args.preset, **overrides)
    if args.steps is None and args.minutes is None and args.epochs is None:
        raise UserError("give a training length: --steps N, --minutes M or --epochs E")
    _check_train_args(args)
    dist, device = distributed.init(*_torchrun_ranks(), args.device)
    try:
        trainer = Trainer(cfg, args.data, args.out, seed=args.seed, device=device, holdout=args.holdout, dist=dist,
                          compile=args.compile)
        if args.resume:
            if not trainer.resume():
                raise UserError(f"--resume: {args.out} has no checkpoint to resume from")
            if dist.main:
                print(f"resumed {args.out} at step {trainer.step}", file=sys.stderr)
        path = trainer.fit(steps=args.steps, minutes=args.minutes, epochs=args.epochs)
    finally:
        distributed.shutdown(dist)
    if dist.main:
        print(f"trained {trainer.step} steps in {trainer.elapsed / 60:.1f} min; model: {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="text2video", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser("make-dataset", help="write synthetic clips of a preset to a directory")
    d.add_argument("--preset", default="circles", help="circles or shapes (default circles)")
    d.add_argument("--n", type=_positive, default=10000, help="number of clips (default 10000)")
    d.add_argument("--seed", type=_seed, default=0)
    d.add_argument("--out", required=True, help="directory to write shards and manifest.json to")
    d.add_argument("--split", default="train", choices=("train", "heldout", "all"),
                   help="which combinations to draw (default train)")
    d.add_argument("--holdout", action="append", metavar="PHRASE",
                   help="held-out rule in prompt words, repeatable, e.g. --holdout 'red square' "
                        "(default: the preset's own split)")
    d.add_argument("--frames", type=_positive, default=16)
    d.add_argument("--size", type=_positive, default=64, help="frame height and width in pixels")
    d.set_defaults(run=cmd_make_dataset)

    r = sub.add_parser("render", help="draw real clips of a prompt with the synthetic generator (no model)")
    r.add_argument("prompt", help="e.g. 'circle moving up-right'")
    r.add_argument("--num-samples", type=_positive, default=1)
    r.add_argument("--seed", type=_seed, default=0)
    r.add_argument("--out", required=True, help="file to write: .gif, .mp4, .avi, .npy, or .png (the middle frame)")
    r.add_argument("--fps", type=_positive_float, default=8.0)
    r.add_argument("--scale", type=_positive, default=1, help="nearest-neighbour upscaling for viewing")
    r.add_argument("--frames", type=_positive, default=16)
    r.add_argument("--size", type=_positive, default=64)
    r.set_defaults(run=cmd_render)

    g = sub.add_parser("generate", help="make clips of prompts with a trained model")
    g.add_argument("prompt", nargs="+", help="e.g. 'circle moving up-right'; several: a labelled grid, a row each")
    g.add_argument("--model", default="model/circles", help="model or run directory (default model/circles)")
    g.add_argument("--num-samples", type=int, default=1, help=f"clips a prompt, 1 to {MAX_SAMPLES} (default 1)")
    g.add_argument("--seed", type=_seed, default=0)
    out = g.add_mutually_exclusive_group(required=True)
    out.add_argument("--out", help="one file, clips in a grid: .gif, .mp4, .avi, .npy, or .png (the middle frame)")
    out.add_argument("--out-dir", help="a directory: one file per clip, of type --ext")
    g.add_argument("--ext", default=".gif", help="file type with --out-dir (default .gif)")
    g.add_argument("--fps", type=_positive_float, default=8.0)
    g.add_argument("--scale", type=_positive, default=1, help="nearest-neighbour upscaling for viewing")
    g.set_defaults(run=cmd_generate)

    t = sub.add_parser("train", help="train the text-to-video GAN")
    t.add_argument("--preset", default="cpu",
                   help="training preset: cpu (default), patterns, shapes, gpu, gpu128, tutorial, tiny")
    t.add_argument("--data", default="circles", help="a data preset (circles, shapes: made on the fly) or a dataset directory")
    t.add_argument("--out", required=True, help="run directory: log, samples, checkpoints")
    t.add_argument("--minutes", type=_positive_float, help="training time budget (evaluation and sampling not counted)")
    t.add_argument("--steps", type=_positive, help="number of steps (with --minutes or --epochs: whichever ends first)")
    t.add_argument("--epochs", type=_positive_float,
                   help="passes over the clips of a dataset directory (--data DIR); an epoch is len/batch steps")
    t.add_argument("--seed", type=_seed, default=0)
    t.add_argument("--batch-size", type=_positive,
                   help="clips per step over all processes (under torchrun each takes an equal share)")
    t.add_argument("--lr", type=_positive_float)
    t.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a field of the preset's TrainConfig or ModelConfig, repeatable: --set window=16")
    t.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), or a torch device")
    t.add_argument("--holdout", action="append", metavar="PHRASE", help="held-out rule in prompt words, repeatable")
    t.add_argument("--resume", action="store_true", help="continue the run in --out from its latest checkpoint")
    t.add_argument("--compile", action="store_true", help="torch.compile the networks (slow first steps; off by default)")
    t.set_defaults(run=cmd_train)

    from .evaluate.command import add_parser as add_evaluate_parser

    add_evaluate_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except UserError as e:
        print(f"text2video {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"text2video {args.command}: interrupted", file=sys.stderr)
        return 130
