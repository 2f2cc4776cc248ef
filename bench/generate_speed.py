"""Generation speed: one 16x64x64 clip with a loaded model, and the CLI from process start to
GIF written, against `python -c "import torch"` on the same machine.

Usage: python bench/generate_speed.py [--model model/circles] [--repeats 50] [--runs 5]
Targets: one clip < 50 ms; the CLI at most 1.5 s more than importing torch. The last line sums
up both: `clip: X ms (1 thread), ... | cli: S s vs import torch T s, +D s`.
"""
import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

import text2video

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "circle moving up-right"


def clip_latency(model, threads: int, repeats: int, warmup: int = 5) -> list[float]:
    """Seconds per call of model.generate(PROMPT, n=1), one per repeat, after warm-up."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for seed in range(warmup):
            model.generate(PROMPT, n=1, seed=seed)
        times = []
        for seed in range(repeats):
            start = time.perf_counter()
            model.generate(PROMPT, n=1, seed=seed)
            times.append(time.perf_counter() - start)
        return times
    finally:
        torch.set_num_threads(before)


def process_seconds(argv: list[str], check=None) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    if check is not None and not check():
        raise SystemExit(f"{' '.join(argv)} did not write its output")
    return seconds


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="model/circles", help="relative to the repository root, or absolute")
    p.add_argument("--repeats", type=int, default=50, help="timed clips per thread setting")
    p.add_argument("--runs", type=int, default=5, help="process launches of each command")
    args = p.parse_args()

    model_dir = ROOT / args.model  # an absolute --model stays as it is
    model = text2video.load(model_dir)
    threads = sorted({1, torch.get_num_threads()})
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads by default, model {args.model}")
    print(f"\n(a) one 16x64x64 clip, model loaded: median of {args.repeats} after 5 warm-up calls")
    print(f"  {'threads':>7} {'median ms':>9} {'min ms':>7} {'max ms':>7}")
    medians = {}
    for n in threads:
        times = [1000 * t for t in clip_latency(model, n, args.repeats)]
        medians[n] = statistics.median(times)
        print(f"  {n:>7} {medians[n]:9.1f} {min(times):7.1f} {max(times):7.1f}")

    print(f"\n(b) process start to exit: median of {args.runs} launches, interleaved")
    with tempfile.TemporaryDirectory() as tmp:
        gif = Path(tmp) / "clip.gif"
        commands = {
            'python -c "import torch"': ([sys.executable, "-c", "import torch"], None),
            f'python -m text2video generate "{PROMPT}" --out X.gif':
                ([sys.executable, "-m", "text2video", "generate", PROMPT, "--model", str(model_dir), "--out", str(gif)],
                 gif.exists),
        }
        runs = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, (argv, check) in commands.items():
                gif.unlink(missing_ok=True)
                runs[name].append(process_seconds(argv, check))
    print(f"  {'command':<70} {'median s':>8} {'min s':>6}")
    for name, times in runs.items():
        print(f"  {name:<70} {statistics.median(times):8.2f} {min(times):6.2f}")
    torch_s, cli_s = (statistics.median(t) for t in runs.values())
    print(f"\nclip: {medians[1]:.1f} ms (1 thread), {medians[max(threads)]:.1f} ms ({max(threads)} threads) "
          f"[target < 50] | cli: {cli_s:.2f} s vs import torch {torch_s:.2f} s, +{cli_s - torch_s:.2f} s [target <= 1.5]")


if __name__ == "__main__":
    main()
