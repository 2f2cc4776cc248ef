"""Clips per second of the synthetic renderer (sampling + rendering to uint8, no disk).

Usage: python bench/data_throughput.py [--preset circles] [--clips 4096] [--repeats 3] [--size 64]
One line per other preset (circles, shapes, patterns), then `clips/s: N` for the chosen one
(default: circles, the CLI's default).
"""
import argparse
import time

import numpy as np
import torch

from text2video.data import ClipSource
from text2video.presets import PRESETS, get_preset
from text2video.synth import VideoConfig


def throughput(preset: str, clips: int, repeats: int, batch: int = 512, size: int = 64) -> float:
    source = ClipSource(get_preset(preset), video=VideoConfig(frames=16, height=size, width=size))
    rng = np.random.default_rng(0)
    source.sample(batch, rng)  # warm-up: first-touch allocation and thread start-up
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(clips // batch):
            source.sample(batch, rng)
        best = max(best, (clips // batch) * batch / (time.perf_counter() - start))
    return best


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="circles")
    p.add_argument("--clips", type=int, default=4096)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--size", type=int, default=64, help="frame side in pixels")
    args = p.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, 16x{args.size}x{args.size} RGB clips")
    for other in PRESETS:
        if other != args.preset:
            print(f"{other}: {throughput(other, args.clips, args.repeats, size=args.size):.0f} clips/s")
    print(f"clips/s: {throughput(args.preset, args.clips, args.repeats, size=args.size):.0f}")


if __name__ == "__main__":
    main()
