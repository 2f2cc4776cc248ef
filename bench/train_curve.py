"""Time to quality: train from scratch and evaluate at points of training wall time.

Usage: python bench/train_curve.py --minutes 10 [--every 2] [--preset cpu] [--data circles]
       [--seed 0] [--n 64] [--out runs/curve]
Training time excludes evaluation and sampling. One row per point; the last line is
`seen: X% heldout: Y% minutes: M` for the end of training.
"""
import argparse
import json

from text2video.evaluate import evaluate
from text2video.sample import VideoModel
from text2video.train import Trainer, get_config


def score(trainer: Trainer, n: int, judge: bool) -> dict:
    model = VideoModel(trainer.G_ema, trainer.U, trainer.vocab, trainer.cfg.model, trainer.device)
    kwargs = {} if judge else {"judge": None}
    report = evaluate(model.generate, trainer.real.preset, n=n, split=trainer.real.split, video=trainer.video,
                      progress=False, **kwargs).report
    return report["overall"]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, required=True)
    p.add_argument("--every", type=float, default=2.0, help="minutes of training between evaluations")
    p.add_argument("--preset", default="cpu")
    p.add_argument("--design", choices=("tutorial",), help="the tutorial preset at --preset's sizes and batch")
    p.add_argument("--data", default="circles")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n", type=int, default=64, help="clips per prompt")
    p.add_argument("--judge", action="store_true", help="also run the learned classifier")
    p.add_argument("--out", default="runs/curve")
    args = p.parse_args()

    cfg = get_config(args.preset)
    if args.design:
        sizes = ("frames", "size", "core", "hidden", "g_channels", "d_channels", "up_channels")
        cfg = get_config(args.design, batch_size=cfg.batch_size, **{k: getattr(cfg.model, k) for k in sizes})
    trainer = Trainer(cfg, args.data, args.out, seed=args.seed)
    print(f"{'minutes':>7} {'steps':>6} {'seen':>6} {'heldout':>7} {'spread':>6}")
    points, t = [], 0.0
    while t < args.minutes - 1e-9:
        t = min(args.minutes, t + args.every)
        trainer.fit(minutes=t, progress=False)
        overall = score(trainer, args.n, args.judge)
        seen, held = overall["seen"], overall["heldout"]
        row = {"minutes": round(trainer.elapsed / 60, 2), "steps": trainer.step, "seen": seen["correct"],
               "heldout": held["correct"], "spread": seen["spread_ratio"]}
        points.append(row)
        print(f"{row['minutes']:7.2f} {row['steps']:6d} {100 * row['seen']:5.1f}% {100 * row['heldout']:6.1f}% "
              f"{row['spread']:6.2f}", flush=True)
    (trainer.out / "curve.json").write_text(json.dumps(points, indent=1))
    last = points[-1]
    print(f"seen: {100 * last['seen']:.1f}% heldout: {100 * last['heldout']:.1f}% minutes: {last['minutes']:.1f}")


if __name__ == "__main__":
    main()
