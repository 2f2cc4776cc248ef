"""Clips for training and evaluation: sampled on the fly, or written to and read from disk.

`ClipSource` draws clips of a preset's training or held-out split; `make_dataset` writes them
as checksummed uint8 shards plus a JSON manifest; `VideoDataset` reads them back and
`SyntheticVideos` streams the same distribution without touching the disk; `RealClips` gives
the training loop its batches from either.
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from einops import rearrange
from torch.utils.data import Dataset, IterableDataset, get_worker_info

from .errors import UserError
from .files import atomic_write, read_json, sha256, write_json
from .presets import PRESETS, Preset, Split, draw, get_preset
from .synth import ATTRIBUTES, GENERATOR_VERSION, Attributes, VideoConfig, parse_prompt, render, sample_clips

FORMAT = "text2video-dataset"
FORMAT_VERSION = 1
SHARD_CLIPS = 512
SPLITS = ("train", "heldout", "all")


def to_model_range(videos: np.ndarray) -> torch.Tensor:
    """uint8 (N, T, H, W, 3) -> float (N, 3, T, H, W) in [-1, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(videos))
    return rearrange(x, "n t h w c -> n c t h w").float().div_(127.5).sub_(1.0)


def to_uint8(videos: torch.Tensor) -> np.ndarray:
    """float (N, 3, T, H, W) in [-1, 1] -> uint8 (N, T, H, W, 3)."""
    x = ((videos.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return rearrange(x, "n c t h w -> n t h w c").cpu().numpy()


@dataclass
class ClipSource:
    """Random clips of one split of a preset, e.g. ClipSource(get_preset("circles"), "train")."""

    preset: Preset
    split_name: str = "train"
    video: VideoConfig = VideoConfig()
    split: Split | None = None

    def __post_init__(self):
        if self.split_name not in SPLITS:
            raise UserError(f"split {self.split_name!r} is not one of {', '.join(SPLITS)}")
        self.split = self.split or self.preset.holdout
        train, held = self.preset.partition(self.split)
        self.combinations = {"train": train, "heldout": held, "all": train + held}[self.split_name]

    @property
    def prompts(self) -> list[str]:
        """Every prompt of the split, each phrasing of a combination apart."""
        return sorted({p for a in self.combinations for p in self.preset.prompts(a)})

    def sample(self, n: int, rng: np.random.Generator, attributes: list[Attributes] | None = None):
        """(uint8 videos (n, T, H, W, 3), ClipBatch): random combinations unless given."""
        attributes = attributes or draw(self.combinations, n, rng)
        batch = sample_clips(attributes, self.video, rng)
        return render(batch), batch


def make_dataset(
    out: str | Path,
    preset: str,
    n: int,
    seed: int = 0,
    split_name: str = "train",
    video: VideoConfig = VideoConfig(),
    split: Split | None = None,
    progress: bool = True,
) -> Path:
    """Write n clips as shards plus manifest.json; same arguments -> identical bytes."""
    from tqdm.auto import tqdm

    if n <= 0:
        raise UserError(f"--n must be a positive number of clips, got {n}")
    source = ClipSource(get_preset(preset), split_name, video, split)
    out = Path(out)
    with contextlib.suppress(OSError):  # shards are replaced next: the old dataset ends here
        (out / "manifest.json").unlink()
    rng = np.random.default_rng(seed)
    shards, clips = [], {k: [] for k in ("prompt", *ATTRIBUTES, "speed_value", "start_x", "start_y", "heldout")}
    with tqdm(total=n, desc=f"{preset}/{split_name}", unit="clip", disable=not progress) as bar:
        for i, lo in enumerate(range(0, n, SHARD_CLIPS)):
            videos, batch = source.sample(min(SHARD_CLIPS, n - lo), rng)
            name = f"shard-{i:05d}.npy"
            with atomic_write(out / name) as f:
                np.save(f, videos)
            shards.append({"file": name, "clips": len(videos), "sha256": sha256(out / name)})
            prompts = source.preset.phrase(batch.attributes, rng)
            for a, prompt, speed, start in zip(batch.attributes, prompts, batch.speed, batch.start):
                clips["prompt"].append(prompt)
                for k in ATTRIBUTES:
                    clips[k].append(getattr(a, k))
                clips["speed_value"].append(round(float(speed), 6))
                clips["start_x"].append(round(float(start[0]), 6))
                clips["start_y"].append(round(float(start[1]), 6))
                clips["heldout"].append(source.split.is_heldout(a))
            bar.update(len(videos))
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generator_version": GENERATOR_VERSION,
        "preset": source.preset.to_json(),
        "split": source.split.to_json(),
        "which": split_name,
        "seed": seed,
        "n": n,
        "video": video.to_json(),
        "shards": shards,
        "clips": clips,
    }
    write_json(out / "manifest.json", manifest)  # last: a dataset without one is unfinished
    return out


class VideoDataset(Dataset):
    """A dataset directory written by `make_dataset`.

    Items: {"video": float (3, T, H, W) in [-1, 1], "prompt": str, "attributes": {name: str}}.
    Opening it checks the manifest and every shard's size and, with verify=True, its checksum.
    """

    def __init__(self, root: str | Path, verify: bool = True):
        self.root = Path(root)
        if not (self.root / "manifest.json").exists() and any(self.root.glob("shard-*.npy")):
            raise UserError(f"dataset {self.root} has shards but no manifest.json: its writing was cut short; "
                            "run make-dataset again")
        m = read_json(self.root / "manifest.json", "dataset manifest")
        where = self.root / "manifest.json"
        if m.get("format") != FORMAT or m.get("format_version") != FORMAT_VERSION:
            raise UserError(f"{where} is not a text2video dataset manifest (format {FORMAT} v{FORMAT_VERSION})")
        if m.get("generator_version") != GENERATOR_VERSION:
            raise UserError(
                f"{where} was made by generator version {m.get('generator_version')}, this is "
                f"{GENERATOR_VERSION}; make the dataset again"
            )
        try:
            self.video = VideoConfig.from_json(m["video"])
            self.split = Split.from_json(m["split"])
            self.clips = m["clips"]
            counts = [int(s["clips"]) for s in m["shards"]]
            files = [self.root / s["file"] for s in m["shards"]]
            sums = [s["sha256"] for s in m["shards"]]
        except (KeyError, TypeError, ValueError) as e:
            raise UserError(f"{where} is missing or has a malformed field ({e})") from None
        if sum(counts) != m.get("n") or any(len(v) != m.get("n") for v in self.clips.values()):
            raise UserError(f"{where} does not match its shards: clip counts disagree")
        self.clips.setdefault("motion", ["moving"] * m["n"])  # written before motions other than straight
        self.manifest = m
        self.offsets = np.cumsum([0] + counts)
        shape = (self.video.frames, self.video.height, self.video.width, 3)
        self.shards = [self._open(f, (c, *shape), s, verify) for f, c, s in zip(files, counts, sums)]

    @staticmethod
    def _open(path: Path, shape: tuple, checksum: str, verify: bool) -> np.ndarray:
        try:
            array = np.load(path, mmap_mode="r")
        except FileNotFoundError:
            raise UserError(f"dataset shard {path} is missing") from None
        except (ValueError, OSError, EOFError) as e:
            raise UserError(f"dataset shard {path} is truncated or corrupt ({e})") from None
        if array.shape != shape or array.dtype != np.uint8:
            raise UserError(f"dataset shard {path} holds {array.dtype} {array.shape}, manifest says uint8 {shape}")
        if verify and sha256(path) != checksum:
            raise UserError(f"dataset shard {path} does not match its checksum in manifest.json: it was altered")
        return array

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def attributes(self, i: int) -> dict[str, str]:
        return {k: self.clips[k][i] for k in ATTRIBUTES}

    def clip(self, i: int) -> np.ndarray:
        """uint8 (T, H, W, 3)."""
        if not 0 <= i < len(self):
            raise IndexError(f"clip {i} outside a dataset of {len(self)}")
        s = int(np.searchsorted(self.offsets, i, side="right")) - 1
        return np.array(self.shards[s][i - self.offsets[s]])  # a copy: the memmap is read-only

    def __getitem__(self, i: int) -> dict:
        video = to_model_range(self.clip(i)[None])[0]
        return {"video": video, "prompt": self.clips["prompt"][i], "attributes": self.attributes(i)}


class SyntheticVideos(IterableDataset):
    """Endless batches from a ClipSource, rendered on the fly: the same distribution as a
    dataset directory, without disk. Yields {"video": (B, 3, T, H, W), "prompt": [B], ...}.

    Each DataLoader worker and each `rank` gets its own random stream from `seed`.
    """

    def __init__(self, source: ClipSource, batch_size: int, seed: int = 0, rank: int = 0):
        if batch_size <= 0:
            raise UserError(f"batch size must be positive, got {batch_size}")
        self.source, self.batch_size, self.seed, self.rank = source, batch_size, seed, rank

    def __iter__(self):
        worker = get_worker_info()
        rng = np.random.default_rng([self.seed, self.rank, worker.id if worker else 0])
        while True:
            videos, batch = self.source.sample(self.batch_size, rng)
            yield {
                "video": to_model_range(videos),
                "prompt": self.source.preset.phrase(batch.attributes, rng),
                "attributes": [a.to_json() for a in batch.attributes],
            }


class RealClips:
    """Batches of real clips for training, with their prompts and wrong prompts, on the fly from a
    preset or from a dataset directory. From disk the clips come in epochs: a new order of all of
    them each pass, the same on every rank (from `seed` and the epoch), and with several ranks
    (rank `rank` of `world`) each takes its own slice of the global batch, as a DistributedSampler."""

    def __init__(self, data: str, video: VideoConfig, split: Split | None, rng: np.random.Generator,
                 rank: int = 0, world: int = 1, seed: int = 0, near_miss: float = 0.0):
        self.rng, self.rank, self.world, self.seed, self.near_miss = rng, rank, world, seed, near_miss
        if data in PRESETS:
            self.source = ClipSource(get_preset(data), "train", video, split)
            self.dataset = None
        else:
            self.dataset = VideoDataset(data)
            if self.dataset.video != video:
                raise UserError(f"dataset {data} holds {self.dataset.video}, the model wants {video}")
            name = self.dataset.manifest["preset"]["name"]
            self.source = ClipSource(get_preset(name), "train", video, self.dataset.split)
        self.preset, self.split = self.source.preset, self.source.split
        self.prompts = self.source.prompts
        if len(self.prompts) < 2:
            raise UserError("training needs at least two different training prompts")
        self._orders: dict[int, np.ndarray] = {}
        said = [parse_prompt(p) for p in self.prompts]
        # the training prompts that differ from each in one attribute: "counter-clockwise" for "clockwise"
        self.siblings = [[j for j, b in enumerate(said) if sum(a.get(k) != b.get(k) for k in ATTRIBUTES) == 1]
                         for a in said]

    def check(self, batch_size: int) -> None:
        if self.dataset is not None and batch_size > len(self.dataset):
            raise UserError(f"batch size {batch_size} is larger than the dataset ({len(self.dataset)} clips)")

    def sample_prompts(self, n: int) -> list[str]:
        """Up to n prompts picked evenly from the training prompts and then the held-out ones."""
        prompts = self.prompts + ClipSource(self.preset, "heldout", self.source.video, self.split).prompts
        return prompts[:: max(1, len(prompts) // n)][:n]

    def last_step(self, steps: int | None, epochs: float | None, batch_size: int) -> int | None:
        """The step training ends at: `steps`, or sooner where `epochs` passes over the dataset in
        batches of `batch_size` clips (the global batch) end first; None when neither is given."""
        if epochs is None:
            return steps
        if self.dataset is None:
            raise UserError(f"--epochs counts passes over a dataset directory, and preset {self.preset.name!r} "
                            "renders new clips every step: give --steps or --minutes, or make a dataset with "
                            "make-dataset")
        if not epochs > 0:
            raise UserError(f"epochs must be a positive number, got {epochs}")
        by_epochs = max(1, math.ceil(epochs * len(self.dataset) / batch_size))
        return by_epochs if steps is None else min(steps, by_epochs)

    def epoch_order(self, epoch: int) -> np.ndarray:
        if epoch not in self._orders:
            self._orders = {epoch: np.random.default_rng([self.seed, epoch]).permutation(len(self.dataset))}
        return self._orders[epoch]

    def batch(self, n: int, step: int = 0) -> tuple[torch.Tensor, list[str], list[str]]:
        """(videos (n, 3, T, H, W) in [-1, 1], prompts, wrong prompts) for training step `step`."""
        if self.dataset is None:
            videos, clips = self.source.sample(n, self.rng)
            prompts = self.preset.phrase(clips.attributes, self.rng)
            x = to_model_range(videos)
        else:
            self.check(n * self.world)
            # this rank's share of the step's global batch, clip positions counted over all epochs
            first = step * n * self.world + self.rank * n
            epochs, places = np.divmod(np.arange(first, first + n), len(self.dataset))
            idx = [int(self.epoch_order(int(e))[p]) for e, p in zip(epochs, places)]
            x = to_model_range(np.stack([self.dataset.clip(i) for i in idx]))
            prompts = [self.dataset.clips["prompt"][i] for i in idx]
        return x, prompts, self.wrong_prompts(prompts)

    def wrong_prompts(self, prompts: list[str]) -> list[str]:
        """Another training prompt for each: with chance `near_miss` one that differs in a single
        attribute where there is one, else any other."""
        k, n = len(self.prompts), len(prompts)
        shift = self.rng.integers(1, k, n)  # never zero: the wrong prompt always differs
        if not self.near_miss:  # no further draws: other presets' random streams stay as they were
            return [self.prompts[(self.prompts.index(p) + s) % k] for p, s in zip(prompts, shift)]
        near = self.rng.random(n) < self.near_miss
        pick = self.rng.random(n)
        wrong = []
        for p, s, close, u in zip(prompts, shift, near, pick):
            i = self.prompts.index(p)
            others = self.siblings[i]
            wrong.append(self.prompts[others[int(u * len(others))]] if close and others else self.prompts[(i + s) % k])
        return wrong
