"""`python -m text2video evaluate`: score real clips (`--real`, a sanity run) or a trained model
(`--model DIR`) on a preset's prompts, print the table and optionally write JSON and a figure.

Only argparse is imported here; the evaluator itself loads when the command runs.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import UserError


def add_parser(subparsers) -> None:
    e = subparsers.add_parser("evaluate", help="measure whether clips show what their prompts say")
    source = e.add_mutually_exclusive_group(required=True)
    source.add_argument("--real", action="store_true", help="score real clips rendered from each prompt (sanity run)")
    source.add_argument("--model", metavar="DIR", help="score the model saved in DIR (reads DIR/config.json)")
    e.add_argument("--preset", help="circles, shapes or patterns (default: the model's preset, else circles)")
    e.add_argument("--prompts", nargs="+", metavar="PROMPT", help="evaluate only these prompts of the preset")
    e.add_argument("--max-prompts", type=int, default=16, metavar="K",
                   help="without --prompts: all prompts if at most K, else K of them, half held-out (0: all)")
    e.add_argument("--n", type=int, default=64, help="clips per prompt (default 64)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--json", metavar="FILE", help="write the report as JSON, and its figure as FILE with .png")
    e.add_argument("--cache-dir", default=".cache/text2video", help="where the trained classifier is kept")
    e.add_argument("--no-classifier", action="store_true", help="analytic checks and diversity only")
    e.add_argument("--frames", type=int, default=16, help="with --real: frames per clip (default 16)")
    e.add_argument("--size", type=int, default=64, help="with --real: frame height and width (default 64)")
    e.set_defaults(run=run)


def _writable(path: str) -> Path:
    """Fail before the work, not after it, when the report cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"--json {path} is a directory; give a file name such as {path / 'report.json'}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot write --json {path}: {e.strerror or e}") from None
    if not os.access(path.parent, os.W_OK):
        raise UserError(f"cannot write --json {path}: {path.parent} is not writable")
    return path


def saved_model(directory: str, preset_name: str | None):
    """(generate, preset name, video config, split) of a saved model. Of its config.json this
    reads only `preset` (a name or {"name": ...}), `video` and `split`."""
    from ..files import read_json
    from ..presets import trained_on
    from ..synth import VideoConfig

    try:
        from .. import load
    except ImportError:
        raise UserError("no model loader is available yet (text2video.load); use --real to score real clips") from None
    model = load(directory)
    config = getattr(model, "config", None) or read_json(Path(directory) / "config.json", "model config")
    preset, split = trained_on(config)
    if preset_name and preset and preset_name != preset:
        raise UserError(f"--preset {preset_name} does not match the model's preset {preset}")
    try:
        video = VideoConfig.from_json(config["video"]) if "video" in config else VideoConfig()
    except TypeError as e:
        raise UserError(f"{directory}/config.json has a malformed video config ({e})") from None
    return (lambda prompts, n, seed: model.generate(prompts, n=n, seed=seed)), preset_name or preset, video, split


def run(args) -> int:
    from ..presets import get_preset
    from ..synth import VideoConfig
    from . import classifier, pipeline, report

    json_path = _writable(args.json) if args.json else None
    if args.n <= 0:
        raise UserError(f"--n must be a positive number of clips per prompt, got {args.n}")
    if args.real:
        video, split = VideoConfig(frames=args.frames, height=args.size, width=args.size), None
        preset = get_preset(args.preset or "circles")
        generate = pipeline.real_generator(preset, video)
    else:
        generate, name, video, split = saved_model(args.model, args.preset)
        if not name:
            raise UserError(f"{args.model}/config.json names no preset; pass --preset")
        preset = get_preset(name)
    evaluation = pipeline.evaluate(
        generate, preset, args.prompts, args.n, args.seed, video, split, args.max_prompts,
        None if args.no_classifier else classifier.ClassifierConfig(), args.cache_dir,
    )
    evaluation.report["source"] = "real" if args.real else str(args.model)
    print(report.format_table(evaluation.report))
    if json_path:
        written = report.write(evaluation, json_path)
        print("wrote " + " and ".join(map(str, written)))
    return 0
