"""A small video CNN that names the attributes of a clip: the evaluator's learned judge.

It is trained on real clips of every combination of a preset (held-out ones included: it judges
the model, it is not the model), cached on disk after its first training, and its penultimate
features give an FVD-style Fréchet distance. `analytic` is the other, training-free judge.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from einops import rearrange
from torch import nn

from ..data import ClipSource, to_model_range
from ..errors import UserError
from ..files import atomic_write, read_json, sha256, write_json
from ..grammar import HAS_SPEED
from ..presets import Preset
from ..synth import ATTRIBUTES, DOMAINS, GENERATOR_VERSION, SPEEDS, VideoConfig

CLASSIFIER_VERSION = "2"  # bump when the network or its training changes: old caches are ignored
DEFAULT_CACHE = Path(".cache/text2video")
REQUIRED_ACCURACY = 0.99
# Categorical heads. Speed is a band of a continuous distance whose edges are a fraction of a
# pixel apart; a classifier learns such sharp edges slowly, so the net regresses the distance
# and the band is read off it (`speed_band`), with the grammar's own edges, for the motions
# that have a speed; the others are "normal", as the grammar says.
CLASSES = ("shape", "colour", "size", "direction", "motion")


@dataclass(frozen=True)
class ClassifierConfig:
    """How the judge is trained: enough for >= 99% per head on 64x64 clips in a few CPU minutes."""

    steps: int = 1200
    batch: int = 32
    lr: float = 3e-3
    seed: int = 0
    eval_clips: int = 2048  # fresh real clips that measure its accuracy once trained
    width: int = 16
    features: int = 128


@contextlib.contextmanager
def one_thread():
    """Run torch on one thread, then restore the setting. The judge is small: one thread trains
    it at ~0.13 s a step whether or not the other core is busy, while two threads fighting a
    busy core (a model training next to it) were measured 9x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Track(nn.Module):
    """Where the object is in every frame: K learned centroids, each the mean pixel position
    weighted by a ReLU of a learned mix of the colour channels (a soft-argmax whose weights
    stay linear in the anti-aliased coverage, so positions are exact to a small fraction of a
    pixel, as speed bands need: their edges are a fraction of a pixel apart). Frames are
    2x2-pooled first, which keeps centroids exact and quarters the work."""

    def __init__(self, k: int = 2):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(k, 3))  # start as brightness above the black of [-1, 1]
        self.bias = nn.Parameter(torch.full((k,), 3.0))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 3, T, H, W) -> ((B, K, T, 2) centroid paths in [-1, 1], (B, K, 4) how each turns
        and grows: the mean sense of the turn of its angular moments of orders 1, 3 and 4 (as
        `analytic` reads a turn), in [-1, 1], and the log ratio of its last and first mass)."""
        x = nn.functional.avg_pool3d(x, (1, 2, 2))
        h, w = x.shape[-2:]
        mix = torch.einsum("bcthw,kc->bkthw", x, self.weight) + self.bias.view(-1, 1, 1, 1)
        raw = rearrange(torch.relu(mix), "b k t h w -> b k t (h w)")
        mass = raw.sum(-1)  # (B, K, T)
        heat = raw / (mass[..., None] + 1e-6)
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
        path = heat @ torch.stack([xs.flatten(), ys.flatten()], -1)
        z = torch.complex(xs.flatten() - path[..., :1], ys.flatten() - path[..., 1:])  # (B, K, T, h w)
        senses = []
        for k in (1, 3, 4):
            moment = (heat * (z * z.abs() ** 2 if k == 1 else z**k)).sum(-1)  # (B, K, T)
            step = moment[..., 1:] * moment[..., :-1].conj()
            senses.append(step.imag.sum(-1) / (step.abs().sum(-1) + 1e-9))
        growth = torch.log(mass[..., -1] + 1e-3) - torch.log(mass[..., 0] + 1e-3)
        return path, torch.stack([*senses, growth], -1)


def _with_velocity(path: torch.Tensor) -> torch.Tensor:
    """(B, K, T, 2) paths -> (B, K * (2T + 4)): each path, its least-squares velocity, that
    velocity's length and the path's length, the last three in hundredths of the frame per clip.
    A linear layer could find the velocity but not the lengths; handing them over lets the
    travel regression reach a small fraction of a pixel in a few hundred steps, for a bounce too."""
    t = torch.linspace(-1, 1, path.shape[2])
    velocity = 100 * torch.einsum("bktx,t->bkx", path - path.mean(2, keepdim=True), t / (t * t).sum())
    speed = velocity.norm(dim=-1, keepdim=True)
    length = 50 * path.diff(dim=2).norm(dim=-1).sum(2, keepdim=True)  # coordinates span 2: 50 makes hundredths
    motion = rearrange(torch.cat([velocity, speed, length], -1), "b k v -> b (k v)")
    return torch.cat([rearrange(path, "b k t xy -> b (k t xy)"), motion], 1)


class AttributeNet(nn.Module):
    """Clips (B, 3, T, H, W) in [-1, 1] -> penultimate features (B, F) and one logit head per
    attribute. A factorised (2+1)-D network: a 2D-CNN looks at a few frames at full
    resolution and its global max and mean pools say what the object is wherever it is; the
    `Track` path follows it through every frame and an MLP on the paths says where it goes.
    Full 3D convolutions cost ~10x more per step on a CPU for no gain on these clips."""

    def __init__(self, frames: int, width: int = 16, features: int = 128, looks: int = 4, k: int = 2):
        super().__init__()
        w = width
        self.looks = looks
        self.appearance = nn.Sequential(_block(3, w), _block(w, 2 * w), _block(2 * w, 4 * w), _block(4 * w, 4 * w))
        self.track = Track(k)
        self.motion = nn.Sequential(nn.Linear(k * (2 * frames + 8), 8 * w), nn.ReLU(inplace=True))
        self.features = nn.Sequential(nn.Linear(16 * w, features), nn.ReLU(inplace=True))
        self.heads = nn.ModuleDict({a: nn.Linear(features, len(DOMAINS[a])) for a in CLASSES})
        self.travel = nn.Linear(features, 1)  # percent of the side; the speed band follows from it

    def forward(self, x: torch.Tensor):
        b, t = x.shape[0], x.shape[2]
        frames = x[:, :, torch.linspace(0, t - 1, min(self.looks, t)).round().long()]
        m = self.appearance(rearrange(frames, "b c t h w -> (b t) c h w"))  # (B * looks, C, h, w)
        seen = rearrange(torch.cat([m.amax((2, 3)), m.mean((2, 3))], 1), "(b t) c -> b t c", b=b).mean(1)
        path, turns = self.track(x)
        f = self.features(torch.cat([seen, self.motion(torch.cat([_with_velocity(path), turns.flatten(1)], 1))], 1))
        return f, {a: head(f) for a, head in self.heads.items()}, self.travel(f).squeeze(1)


def speed_band(travel: np.ndarray) -> np.ndarray:
    """Speed names of travelled distances (fractions of the side): the band that holds each,
    the nearest band outside them all."""
    names = sorted(SPEEDS, key=lambda k: SPEEDS[k][0])
    inner_edges = [SPEEDS[k][0] for k in names[1:]]
    return np.asarray(names)[np.searchsorted(inner_edges, travel, side="right")]


def _loss(out, attributes, travel: np.ndarray) -> torch.Tensor:
    _, logits, predicted = out
    loss = sum(
        nn.functional.cross_entropy(logits[a], torch.tensor([DOMAINS[a].index(getattr(x, a)) for x in attributes]))
        for a in CLASSES
    )
    timed = torch.tensor([x.motion in HAS_SPEED for x in attributes])  # the distance of a turn means nothing
    error = nn.functional.smooth_l1_loss(predicted, torch.from_numpy(100 * travel).float(), reduction="none")
    return loss + (error * timed).sum() / timed.sum().clamp(min=1)


@torch.no_grad()
@one_thread()
def predict(net: AttributeNet, videos: np.ndarray, batch: int = 128) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """uint8 clips (N, T, H, W, 3) -> (features (N, F), attribute -> predicted value names (N,))."""
    net.eval()
    feats, names = [], {a: [] for a in ATTRIBUTES}
    for lo in range(0, len(videos), batch):
        f, logits, travel = net(to_model_range(videos[lo : lo + batch]))
        feats.append(f.numpy())
        for a in CLASSES:
            names[a].append(np.asarray(DOMAINS[a])[logits[a].argmax(1).numpy()])
        timed = np.isin(names["motion"][-1], HAS_SPEED)
        names["speed"].append(np.where(timed, speed_band(travel.numpy() / 100), "normal"))
    return np.concatenate(feats), {a: np.concatenate(v) for a, v in names.items()}


def accuracy(net: AttributeNet, source: ClipSource, n: int, rng: np.random.Generator) -> dict[str, float]:
    """Per-head accuracy on n fresh real clips of the source."""
    videos, batch = source.sample(n, rng)
    _, names = predict(net, videos)
    return {a: float(np.mean(names[a] == np.array([getattr(x, a) for x in batch.attributes]))) for a in ATTRIBUTES}


@one_thread()
def train(preset: Preset, video: VideoConfig, config: ClassifierConfig = ClassifierConfig(), progress: bool = True) -> tuple[AttributeNet, dict]:
    """Train on clips rendered on the fly from every combination of the preset; returns the net
    and its meta (real-clip accuracy per head, training time)."""
    from tqdm.auto import tqdm

    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    source = ClipSource(preset, "all", video)
    net = AttributeNet(video.frames, config.width, config.features)
    opt = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, config.lr, total_steps=config.steps, pct_start=0.1)
    start = time.perf_counter()
    net.train()
    for _ in tqdm(range(config.steps), desc=f"training the {preset.name} judge", disable=not progress):
        videos, batch = source.sample(config.batch, rng)
        loss = _loss(net(to_model_range(videos)), batch.attributes, batch.speed)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    _recalibrate(net, source, rng)
    seconds = time.perf_counter() - start
    real = accuracy(net, source, config.eval_clips, np.random.default_rng([config.seed, 1]))
    return net, {"train_seconds": round(seconds, 1), "real_accuracy": real, "eval_clips": config.eval_clips}


@torch.no_grad()
def _recalibrate(net: AttributeNet, source: ClipSource, rng: np.random.Generator, batches: int = 16) -> None:
    """Re-estimate BatchNorm statistics on the final weights: the running averages lag behind
    weights that moved fast at a high learning rate, and would make eval-mode verdicts noisy."""
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # a plain average over the batches below
    net.train()
    for _ in range(batches):
        net(to_model_range(source.sample(64, rng)[0]))
    net.eval()


def cache_key(preset: Preset, video: VideoConfig, config: ClassifierConfig) -> dict:
    """Everything the trained weights depend on; its hash names the cache entry."""
    combos = [a.to_json() for a in preset.combinations()]
    return {
        "classifier_version": CLASSIFIER_VERSION,
        "generator_version": GENERATOR_VERSION,
        "preset": preset.name,
        "combinations": hashlib.sha256(json.dumps(combos).encode()).hexdigest()[:16],
        "video": video.to_json(),
        "train": config.__dict__,
    }


def load_or_train(
    preset: Preset,
    video: VideoConfig,
    cache_dir: str | Path = DEFAULT_CACHE,
    config: ClassifierConfig = ClassifierConfig(),
    progress: bool = True,
) -> tuple[AttributeNet, dict]:
    """The cached judge for (preset, video, recipe), trained and cached on first use.

    Weights are safetensors, meta is JSON with the weights' SHA-256, both written atomically;
    meta is written last, so a half-written entry is retrained rather than loaded."""
    from safetensors.torch import save

    key = json.loads(json.dumps(cache_key(preset, video, config)))  # as it reads back from meta.json
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
    folder = Path(cache_dir) / f"judge-{preset.name}-{digest}"
    net = AttributeNet(video.frames, config.width, config.features)
    meta = _cached(folder, key, net)
    if meta is not None:
        return net.eval(), {**meta, "cached": True}
    net, meta = train(preset, video, config, progress)
    with atomic_write(folder / "weights.safetensors") as f:
        f.write(save({k: v.contiguous() for k, v in net.state_dict().items()}))
    meta = {"key": key, "weights_sha256": sha256(folder / "weights.safetensors"), **meta}
    write_json(folder / "meta.json", meta)
    return net.eval(), {**meta, "cached": False}


def _cached(folder: Path, key: dict, net: AttributeNet) -> dict | None:
    """The entry's meta with its weights loaded into net, or None: missing, stale, or damaged
    (a cache is retrained and replaced, never a reason to stop; damage gets a one-line notice)."""
    from safetensors.torch import load_file

    weights, meta_path = folder / "weights.safetensors", folder / "meta.json"
    if not (meta_path.exists() and weights.exists()):
        return None
    try:
        meta = read_json(meta_path, "classifier meta")
        if meta.get("key") != key:
            return None
        if meta.get("weights_sha256") != sha256(weights):
            raise ValueError("its weights do not match their checksum")
        net.load_state_dict(load_file(weights))
        return meta
    except Exception as e:  # safetensors and torch raise their own types for damaged files
        why = str(e).splitlines()[0][:120] if isinstance(e, ValueError) else type(e).__name__
        print(f"text2video: the cached judge in {folder} does not load ({why}); training it again", file=sys.stderr)
        return None


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to feature sets a (N, F) and b (M, F).

    trace(sqrt(Sa Sb)) is taken from the eigenvalues of sqrt(Sa) Sb sqrt(Sa), which is symmetric,
    so numpy suffices (no scipy)."""
    if len(a) < 2 or len(b) < 2:
        raise UserError("a Fréchet distance needs at least two clips on each side")
    mu_a, mu_b = a.mean(0), b.mean(0)
    sa, sb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    vals, vecs = np.linalg.eigh(sa)
    root_a = (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T
    cross = np.linalg.eigvalsh(root_a @ sb @ root_a)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(sa) + np.trace(sb) - 2 * np.sqrt(np.clip(cross, 0, None)).sum())
