"""Expected training memory of a preset: weights, gradients, Adam state and the moving average,
plus the peak of activations saved for backward over one training step.

Without a GPU the activations are counted (saved-tensor hooks, fp32, one process) at two small
batches and extrapolated linearly to the preset's batch: an estimate that leaves out the
allocator's slack, cuDNN workspaces and short-lived temporaries. With CUDA it also runs one
step at the preset's batch, with AMP as training does, and reports torch.cuda.max_memory_allocated.

Usage: python bench/memory.py [--preset gpu --preset gpu128] [--device auto]
The last line is `GiB: N` for the last preset (measured on CUDA, else estimated).
"""
import argparse
import tempfile
import weakref

import torch

from text2video.train import Trainer, get_config

GIB = 2**30


class Box:
    """What autograd keeps instead of a saved tensor: its collection says the tensor was let go."""

    __slots__ = ("tensor", "__weakref__")

    def __init__(self, tensor):
        self.tensor = tensor


class SavedTensors:
    """Live bytes of tensors autograd keeps for backward (parameters and shared storage counted
    once, parameters not at all), and their peak."""

    def __init__(self, params):
        self.skip = {p.untyped_storage().data_ptr() for p in params}
        self.refs, self.live, self.peak = {}, 0, 0

    def pack(self, t: torch.Tensor):
        key = t.untyped_storage().data_ptr()
        if key in self.skip:
            return t
        if key not in self.refs:
            self.refs[key] = [0, t.untyped_storage().nbytes()]
            self.live += self.refs[key][1]
            self.peak = max(self.peak, self.live)
        self.refs[key][0] += 1
        box = Box(t)
        weakref.finalize(box, self.release, key)
        return box

    def release(self, key):
        self.refs[key][0] -= 1
        if self.refs[key][0] == 0:
            self.live -= self.refs.pop(key)[1]

    @staticmethod
    def unpack(box):
        return box.tensor if isinstance(box, Box) else box


def trainer(preset: str, batch: int | None, device: str) -> Trainer:
    overrides = {"batch_size": batch} if batch else {}
    return Trainer(get_config(preset, **overrides), "circles", tempfile.mkdtemp(), seed=0, device=device)


def weights_bytes(t: Trainer) -> int:
    """Trained weights x4 (weight, gradient, two Adam moments), the moving average and buffers x1."""
    trained = [p for net in t.critics.values() for p in net.parameters() if p.requires_grad]
    trained += list(t.U.parameters())
    other = list(t.G_ema.parameters()) + [b for net in (*t.critics.values(), t.U) for b in net.buffers()]
    return sum(4 * p.numel() * p.element_size() for p in trained) + sum(x.numel() * x.element_size() for x in other)


def activations(preset: str, batch: int) -> int:
    t = trainer(preset, batch, "cpu")
    t.train_step()  # warm-up: lazily built state
    saved = SavedTensors([p for net in (*t.critics.values(), t.U) for p in net.parameters()])
    with torch.autograd.graph.saved_tensors_hooks(saved.pack, saved.unpack):
        t.train_step()
    return saved.peak


def estimate(preset: str) -> dict:
    cfg = get_config(preset)
    small, large = (2, 4) if cfg.batch_size <= 4 else (4, 8)
    a, b = activations(preset, small), activations(preset, large)
    per_clip = (b - a) / (large - small)
    act = b + per_clip * (cfg.batch_size - large)
    static = weights_bytes(trainer(preset, small, "cpu"))
    return {"preset": preset, "batch": cfg.batch_size, "weights_gib": static / GIB,
            "activations_gib": act / GIB, "per_clip_mib": per_clip / 2**20, "total_gib": (static + act) / GIB}


def measure_cuda(preset: str) -> float:
    t = trainer(preset, None, "cuda")
    t.train_step()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    t.train_step()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated() / GIB


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", action="append", help="training preset, repeatable (default: gpu and gpu128)")
    p.add_argument("--device", default="auto", help="auto: also measure on CUDA when there is one")
    args = p.parse_args()
    cuda = torch.cuda.is_available() and args.device in ("auto", "cuda")
    print(f"{'preset':>8} {'batch':>5} {'weights':>8} {'activations':>11} {'per clip':>9} {'estimate':>9}"
          + (f" {'measured':>9}" if cuda else ""))
    for preset in args.preset or ["gpu", "gpu128"]:
        e = estimate(preset)
        row = (f"{preset:>8} {e['batch']:5d} {e['weights_gib']:7.2f}G {e['activations_gib']:10.2f}G "
               f"{e['per_clip_mib']:7.1f}M {e['total_gib']:8.2f}G")
        gib = e["total_gib"]
        if cuda:
            gib = measure_cuda(preset)
            row += f" {gib:8.2f}G"
        print(row, flush=True)
    print(f"GiB: {gib:.2f}")


if __name__ == "__main__":
    main()
