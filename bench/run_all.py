"""Every benchmark in one run, written to bench/RESULTS.md with the machine and the commands.

Usage: python bench/run_all.py [--quick] [--minutes 10] [--out runs/bench] [--results FILE]

Full run: about 20 minutes on 2 CPU cores, 10 of them the time-to-quality runs of our design
and the tutorial baseline, trained side by side (one thread each) for the same minutes. Figures
that compare two things come from the same run. --quick: the same code on tiny sizes in well
under a minute, written to OUT/RESULTS.md; a smoke test, its figures mean nothing.
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

import data_throughput
import memory
import train_speed
from text2video.train import get_config, pick_device

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    info = Path("/proc/cpuinfo")
    if info.exists():
        names = [line.split(":", 1)[1].strip() for line in info.read_text().splitlines() if line.startswith("model name")]
        cpu = names[0] if names else cpu
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    return {
        "CPU": cpu,
        "logical cores": os.cpu_count(),
        "torch": f"{torch.__version__}, {torch.get_num_threads()} threads",
        "CUDA": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none",
        "Python": platform.python_version(),
        "commit": (commit or "unknown") + (" with uncommitted changes" if dirty else ""),
    }


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def data_section(quick: bool) -> str:
    clips, repeats, batch = (64, 1, 64) if quick else (4096, 3, 512)
    sizes = {64: clips, 128: clips // 4}  # 128x128 clips take four times the work
    rows = [[p, size, f"{data_throughput.throughput(p, n, repeats, min(batch, n), size):,.0f}"]
            for size, n in sizes.items() for p in ("circles", "shapes")]
    commands = " and ".join(f"`python bench/data_throughput.py --clips {n} --repeats {repeats} --size {size}`"
                            for size, n in sizes.items())
    return (f"Commands: {commands}: best of {repeats} runs, in one process (as training draws them).\n\n"
            + table(["preset", "frame side", "clips/s (16 frames, RGB)"], rows))


def speed_section(quick: bool, presets: list[str]) -> str:
    steps, batch = (1, 4) if quick else (5, None)
    rows = []
    for preset in presets:
        rate = train_speed.clips_per_second(preset, steps, batch)
        b = batch or get_config(preset).batch_size
        rows.append([preset, b, f"{rate:.1f}", f"{rate / b:.2f}"])
    flags = " ".join(f"--preset {p}" for p in presets) + (f" --batch-size {batch}" if batch else "")
    return (f"Command: `python bench/train_speed.py --steps {steps} {flags}`: one process, real clips drawn on the "
            f"fly, {steps} steps after a warm-up step, from step {train_speed.STEADY_STEP:,} (past `path_after`), on "
            f"{pick_device().type}.\n\n"
            + table(["preset", "batch", "clips/s", "steps/s"], rows))


def memory_section(presets: list[str]) -> str:
    rows = []
    for preset in presets:
        e = memory.estimate(preset)
        rows.append([preset, e["batch"], f"{e['weights_gib']:.2f}", f"{e['activations_gib']:.2f}",
                     f"{e['per_clip_mib']:.1f}", f"{e['total_gib']:.2f}"])
    flags = " ".join(f"--preset {p}" for p in presets)
    return (f"Command: `python bench/memory.py {flags}`. Estimated, not measured: activations saved for backward are "
            "counted on CPU in fp32 at two small batches and extrapolated linearly to the preset's batch; bf16 "
            "autocast stores most of them at half the size, the allocator and cuDNN add some on top.\n\n"
            + table(["preset", "batch", "weights + grads + Adam (GiB)", "activations (GiB)", "per clip (MiB)",
                     "total (GiB)"], rows))


def generation_section(quick: bool) -> str:
    script = BENCH / "generate_speed.py"
    if not script.exists():  # the hook: this section fills in once the script is there
        return "Not measured: `bench/generate_speed.py` is not in this checkout yet."
    args = ["--repeats", "3", "--runs", "1"] if quick else []
    done = subprocess.run([sys.executable, str(script), *args], cwd=ROOT, capture_output=True, text=True)
    output = done.stdout.strip() if done.returncode == 0 else f"failed ({done.returncode}):\n{done.stderr[-2000:]}"
    return f"Command: `python bench/generate_speed.py {' '.join(args)}`\n\n```text\n{output}\n```"


def curves_section(quick: bool, minutes: float, out: Path) -> str:
    """Our design and the tutorial baseline, trained side by side for the same minutes."""
    if quick:
        designs = {"ours (tiny)": ["--preset", "tiny"], "tutorial (tiny)": ["--preset", "tiny", "--design", "tutorial"]}
        common = ["--minutes", "0.02", "--every", "0.02", "--n", "2"]
    else:
        designs = {"ours (cpu preset)": ["--preset", "cpu"], "tutorial baseline": ["--preset", "tutorial"]}
        common = ["--minutes", f"{minutes:g}", "--every", f"{minutes / 4:g}"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    commands, procs = {}, {}
    for i, (name, args) in enumerate(designs.items()):
        run = out / f"curve-{i}"
        shutil.rmtree(run, ignore_errors=True)  # a fresh run: train_curve trains from scratch
        cmd = ["bench/train_curve.py", *args, *common, "--out", os.path.relpath(run, ROOT)]
        commands[name] = "OMP_NUM_THREADS=1 python " + " ".join(cmd)
        procs[name] = (run, subprocess.Popen([sys.executable, *cmd], cwd=ROOT, env=env, text=True,
                                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    rows = []
    for name, (run, proc) in procs.items():
        output = proc.communicate()[0]
        if proc.returncode != 0:
            rows.append([name, f"failed ({proc.returncode}): {output.strip().splitlines()[-1:]}", "", "", "", ""])
            continue
        for p in json.loads((run / "curve.json").read_text()):
            rows.append([name, f"{p['minutes']:.2f}", p["steps"], f"{100 * p['seen']:.1f}%", f"{100 * p['heldout']:.1f}%",
                         f"{p['spread']:.2f}"])
    cmds = "\n".join(f"    {c}" for c in commands.values())
    return ("Both designs train from scratch at the same time, one thread each (as the README's results were "
            "made), and are evaluated at the same points of training time (evaluation not counted), without the "
            f"learned classifier:\n\n{cmds}\n\n"
            + table(["design", "minutes", "steps", "seen correct", "held-out correct", "start spread vs real"], rows))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes, seconds: a smoke test")
    p.add_argument("--minutes", type=float, default=10.0, help="training minutes of each time-to-quality run")
    p.add_argument("--out", default="runs/bench", help="directory for the training runs")
    p.add_argument("--results", help="markdown file to write (default bench/RESULTS.md, OUT/RESULTS.md with --quick)")
    args = p.parse_args()
    if args.quick:  # a smoke test shares the machine with other tests: no thread contention
        torch.set_num_threads(1)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    results = Path(args.results) if args.results else out / "RESULTS.md" if args.quick else BENCH / "RESULTS.md"
    started, clock = datetime.now(timezone.utc), time.perf_counter()
    train_presets = ["tiny", "cpu", "tutorial", "gpu", "gpu128"] if args.quick else ["cpu", "tutorial", "gpu", "gpu128"]
    memory_presets = ["tiny"] if args.quick else ["gpu", "gpu128"]

    sections = {"Machine": table(["", ""], [[k, v] for k, v in machine().items()])}
    for title, make in (
        ("Data: synthetic clips per second", lambda: data_section(args.quick)),
        ("Training speed per preset", lambda: speed_section(args.quick, train_presets)),
        ("Training memory per preset", lambda: memory_section(memory_presets)),
        ("Generation latency and CLI end-to-end time", lambda: generation_section(args.quick)),
        ("Time to quality: our design against the tutorial baseline",
         lambda: curves_section(args.quick, args.minutes, out)),
    ):
        print(f"{title} ...", flush=True)
        sections[title] = make()
    minutes = (time.perf_counter() - clock) / 60
    command = "python bench/run_all.py" + (" --quick" if args.quick else f" --minutes {args.minutes:g}")
    text = (f"# Benchmark results\n\nWritten by `{command}` on {started:%Y-%m-%d %H:%M} UTC in {minutes:.1f} "
            f"minutes{' (quick mode: a smoke test, the figures mean nothing)' if args.quick else ''}. Every figure "
            "below comes from this one run; figures that compare two things were measured in it side by side.\n\n"
            + "\n\n".join(f"## {title}\n\n{body}" for title, body in sections.items()) + "\n")
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(text)
    print(f"wrote {results} in {minutes:.1f} min")


if __name__ == "__main__":
    main()
