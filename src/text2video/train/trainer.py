"""The Trainer: one GAN step (discriminators on (real, prompt) against (generated, prompt) and
(real, wrong prompt), then the generator against them, then the upsampler on real pairs) and the
loop around it: logging, samples, checkpoints, resume. Its config is in `config`."""
from __future__ import annotations

import copy
import json
import math
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from einops import rearrange

from .. import checkpoint as ckpt
from ..data import ClipSource, RealClips
from ..distributed import Dist
from ..errors import UserError
from ..files import write_json
from ..models import (ImageDiscriminator, Upsampler, VideoDiscriminator, bag_of_words, centred_crops, downsample,
                      frame_centres, make_generator)
from ..presets import Split
from ..synth import VideoConfig, parse_prompt
from ..text import Vocabulary
from .config import TrainConfig
from .log import plot_losses, trim_log
from .losses import d_loss, g_loss, word_loss


def pick_device(name: str = "auto") -> torch.device:
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def pick_frames(b: int, t: int, k: int, device) -> torch.Tensor:
    """(B, k) indices of k distinct random frames in each of b clips of t frames (CPU RNG: seeded)."""
    return torch.rand(b, t).argsort(1)[:, :k].to(device)


def some_frames(video: torch.Tensor, k: int) -> torch.Tensor:
    """k random frames of every clip as images: (B, 3, T, H, W) -> (B*k, 3, H, W)."""
    b, _, t = video.shape[:3]
    idx = pick_frames(b, t, k, video.device)
    frames = video.gather(2, idx[:, None, :, None, None].expand(-1, 3, -1, *video.shape[3:]))
    return rearrange(frames, "b c k h w -> (b k) c h w")


def asks_another_look(prompts: list[str], wrong: list[str]) -> torch.Tensor:
    """(B,) True where the wrong prompt asks a shape, colour or size its prompt does not."""
    said = [(parse_prompt(p), parse_prompt(w)) for p, w in zip(prompts, wrong)]
    return torch.tensor([any(a.get(k) != b.get(k) for k in ("shape", "colour", "size")) for a, b in said])


class Trainer:
    """Trains one replica; with `dist` from torchrun, several ranks train one model: cfg.batch_size
    is the global batch, split evenly, and gradients are averaged over ranks before every step.
    `amp` and `channels_last` default to on with CUDA; `compile` compiles the networks' forwards."""

    def __init__(self, cfg: TrainConfig, data: str, out: str | Path, seed: int = 0, device: str = "auto",
                 holdout: list[str] | None = None, dist: Dist | None = None, compile: bool = False,
                 amp: bool | None = None, channels_last: bool | None = None):
        self.cfg, self.out, self.seed = cfg, Path(out), seed
        self.dist = dist or Dist()
        self.batch = self.dist.share(cfg.batch_size)  # clips per rank and step
        self.device = pick_device(device)
        torch.manual_seed(seed)
        self.rng = np.random.default_rng(seed)
        m = cfg.model
        self.video = VideoConfig(frames=m.frames, height=m.size, width=m.size)
        split = Split.parse(holdout) if holdout else None
        shared = np.random.default_rng([seed, self.dist.world]) if self.dist.world > 1 else None  # same on all ranks
        self.real = RealClips(data, self.video, split, self.rng, self.dist.rank, self.dist.world, shared)
        self.real.check(cfg.batch_size)  # before any network is built
        self.vocab = Vocabulary.from_grammar()
        self.G = make_generator(m, len(self.vocab)).to(self.device)
        self.U = Upsampler(m.up_channels).to(self.device)
        self.Dv = VideoDiscriminator(m, len(self.vocab)).to(self.device) if m.design != "tutorial" else None
        # a generator that draws at full size has its frames judged at full size: shapes stay sharp
        self.image_full = self.G.side == m.size
        self.Di = ImageDiscriminator(m, m.size if self.image_full else m.core, len(self.vocab), project=cfg.image_text,
                                     words=cfg.image_words > 0).to(self.device)
        self.Dw = ImageDiscriminator(m, cfg.window, len(self.vocab), project=cfg.window_text,
                                     words=cfg.window_words > 0).to(self.device) if cfg.window else None
        nets = [n for n in (self.G, self.U, self.Dv, self.Di, self.Dw) if n is not None]
        channels_last = self.device.type == "cuda" if channels_last is None else channels_last
        if channels_last:
            for net in nets:  # NHWC convs suit tensor cores; the same weights and state_dict keys
                net.to(memory_format=torch.channels_last)
        self.dist.broadcast(nets)  # every rank starts from rank 0's weights
        self.dist.reseed(self.rng, seed)
        critics = [p for d in (self.Dv, self.Di, self.Dw) if d is not None for p in d.parameters()]
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        params = [p for p in self.G.parameters() if p.requires_grad]
        if cfg.path_lr_scale != 1:  # a group of its own (only then: a saved optimizer state keeps its layout)
            path = {id(p) for p in [*self.G.path.parameters(), *self.G.path_text.parameters()]}
            params = [{"params": [p for p in params if id(p) not in path]},
                      {"params": [p for p in params if id(p) in path], "lr": cfg.lr * cfg.path_lr_scale}]
        self.opt_g = torch.optim.Adam(params, cfg.lr, cfg.betas)
        self.opt_d = torch.optim.Adam(critics, cfg.lr * cfg.d_lr_scale, cfg.betas)
        self.opt_u = torch.optim.Adam(self.U.parameters(), 1e-3)
        self.step, self.elapsed = 0, 0.0
        # bf16 autocast where supported (no loss scaling needed); fp16 with a scaler on older GPUs
        self.amp = self.device.type == "cuda" if amp is None else amp
        fp16 = self.device.type == "cuda" and not torch.cuda.is_bf16_supported()
        self.amp_dtype = torch.float16 if fp16 else torch.bfloat16
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp and fp16)
        self.fixed_noise = torch.randn(4, *self.G.noise_shape, generator=torch.Generator().manual_seed(seed))
        if compile:  # in place: each module's __call__ is compiled, its state_dict keys stay as they are
            for net in (self.G, self.U, self.Di, self.Dw, self.Dv and self.Dv.tower):
                if net is not None:
                    net.compile()

    # --- what a checkpoint holds ---------------------------------------------------------
    @property
    def models(self) -> dict:
        return {"generator": self.G_ema, "upsampler": self.U}

    @property
    def critics(self) -> dict:
        nets = (("video_d", self.Dv), ("image_d", self.Di), ("window_d", self.Dw), ("generator_train", self.G))
        return {k: v for k, v in nets if v is not None}

    @property
    def optimizers(self) -> dict:
        return {"g": self.opt_g, "d": self.opt_d, "u": self.opt_u}

    def model_config(self) -> dict:
        return {
            "model": self.cfg.model.to_json(),
            "video": self.video.to_json(),
            "preset": self.real.preset.to_json(),
            "split": self.real.split.to_json(),
            "vocabulary": self.vocab.to_json(),
            "train": self.cfg.to_json(),
            "seed": self.seed,
            "step": self.step,
            "train_seconds": round(self.elapsed, 1),
        }

    def save(self) -> Path:
        """Rank 0 writes the checkpoint; every rank returns its path once it is complete."""
        if not self.dist.main:
            self.dist.barrier()
            return self.out / "checkpoints" / f"step-{self.step:07d}"
        state = {"elapsed": self.elapsed, "rng": ckpt.rng_to_json(torch.get_rng_state(), self.rng)}
        path = ckpt.save_checkpoint(self.out, self.step, self.model_config(), self.models, self.critics,
                                    self.optimizers, state)
        self.dist.barrier()
        return path

    def resume(self) -> bool:
        latest = ckpt.latest_checkpoint(self.out)
        if latest is None:
            return False
        state = ckpt.load_checkpoint(latest, self.models, self.critics, self.optimizers)
        self.step, self.elapsed = state["step"], state["elapsed"]
        torch.set_rng_state(ckpt.rng_from_json(state["rng"], self.rng))
        if self.dist.main:
            trim_log(self.out / "log.jsonl", self.step)
        if self.dist.world > 1:  # the checkpoint holds rank 0's streams; the others restart from the step
            self.real.index_rng = np.random.default_rng([self.seed, self.dist.world, self.step])
            self.dist.reseed(self.rng, self.seed, self.step)
        return True

    # --- one step ------------------------------------------------------------------------
    def _autocast(self):
        return torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.amp)

    def _backward(self, loss: torch.Tensor, opt: torch.optim.Optimizer) -> None:
        opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.dist.average_gradients([p for group in opt.param_groups for p in group["params"]])
        self.scaler.step(opt)
        self.scaler.update()

    @torch.no_grad()
    def _update_ema(self) -> None:
        # a short warm-up: early on the average follows the generator closely
        decay = min(self.cfg.ema, (1 + self.step) / (10 + self.step))
        for avg, live in zip(self.G_ema.parameters(), self.G.parameters()):
            avg.lerp_(live, 1 - decay)
        for avg, live in zip(self.G_ema.buffers(), self.G.buffers()):
            avg.copy_(live)

    def at_core(self, video: torch.Tensor) -> torch.Tensor:
        """What the discriminators see: clips averaged down to the core side."""
        return downsample(video, video.shape[-1] // self.cfg.model.core)

    def frames_for_image_d(self, full: torch.Tensor, core: torch.Tensor, k: int) -> torch.Tensor:
        """k random frames per clip, at full size when the generator draws at full size."""
        return some_frames(full if self.image_full else core, k)

    def still_frames(self, sprite: torch.Tensor, path: torch.Tensor | None,
                     at: torch.Tensor | None = None) -> torch.Tensor:
        """k random frames a clip, redrawn with the path held still: (B*k, 3, H, W) whose gradient
        shapes the sprite only. (Through the frames a look discriminator also moves the path:
        measured so, clips stopped moving, or were moved off the frame.) `at` (B, k, 2): put the
        sprite there instead, in frame units [-1, 1], as the path would place it (path unused)."""
        if at is None:
            idx = pick_frames(*path.shape[:2], self.cfg.image_frames, path.device)
            at = path.detach().gather(1, idx[..., None].expand(-1, -1, 2))  # (B, k, 2)
        else:
            at = self.G.anchor(at, sprite.detach())
        return rearrange(self.G.render(sprite, at), "b c k h w -> (b k) c h w")

    def generated(self, z: torch.Tensor, ids: torch.Tensor, at: torch.Tensor | None = None,
                  clips: bool = True) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """The generator's clips (B, 3, T, H, W), None unless `clips`, and, where a look
        discriminator judges still frames (image_look, window), those frames (still_frames, `at`
        passed on); with video_path the clips carry the path's gradient only, so each part learns
        from the discriminator that judges it."""
        cfg = self.cfg
        if cfg.model.design != "sprite":
            return self.G(z, ids), None
        sprite = self.G.draw_sprite(z, ids)
        look = sprite.detach() if cfg.video_path else sprite
        path = self.G.place(z, ids, look)
        if self.step < cfg.path_after:
            path = path.detach()
        still = self.still_frames(sprite, path, at) if self.Dw is not None or cfg.image_look else None
        return (self.G.render(look, path) if clips else None), still

    def real_places(self, frames: torch.Tensor) -> torch.Tensor:
        """(B*k, 3, H, W) real frames -> (B, k, 2) where their objects are, in frame units [-1, 1]."""
        side = frames.shape[-1]
        centres = (2 * frame_centres(frames) + 1) / side - 1  # pixel middles, as pixel_centres
        return rearrange(centres, "(b k) xy -> b k xy", k=self.cfg.image_frames)

    def r1_penalty(self, real: torch.Tensor, real64: torch.Tensor, ids: torch.Tensor,
                   frame_ids: torch.Tensor) -> torch.Tensor:
        """Mean squared norm of the gradient of each discriminator's score at real inputs, summed
        over discriminators: it keeps them smooth where the data is, so an early, too-sure
        discriminator cannot leave the generator with steep and useless gradients."""
        scores, inputs = [], []
        with self._autocast():
            if self.Dv is not None:
                clips = real.detach().requires_grad_(True)
                scores.append(self.Dv(clips, ids).float().sum())
                inputs.append(clips)
            if self.cfg.image_frames:
                frames = self.frames_for_image_d(real64, real, self.cfg.image_frames).detach().requires_grad_(True)
                scores.append(self.Di(frames, frame_ids).float().sum())
                inputs.append(frames)
        grads = torch.autograd.grad(scores, inputs, create_graph=True)
        return sum(g.float().pow(2).flatten(1).sum(1).mean() for g in grads)

    def train_step(self) -> dict:
        cfg, dev = self.cfg, self.device
        real64, prompts, wrong = self.real.batch(self.batch)
        real64 = real64.to(dev)
        real = downsample(real64, cfg.model.size // cfg.model.core)
        ids, wrong_ids = self.vocab.batch(prompts).to(dev), self.vocab.batch(wrong).to(dev)
        bag = bag_of_words(ids, len(self.vocab))
        b, k = self.batch, cfg.image_frames
        frame_ids, frame_bag = ids.repeat_interleave(k, 0), bag.repeat_interleave(k, 0)  # per image-D frame
        noise = lambda: torch.randn(b, *self.G.noise_shape).to(dev)  # noqa: E731  (CPU RNG: seeded)
        at = None  # with look_at_real: where the real frames shown to the image discriminator have their objects

        with self._autocast():
            with torch.no_grad():
                if cfg.look_at_real:
                    sprite, path = self.G.parts(noise(), ids)
                    fake_full = self.G.render(sprite, path)
                else:
                    fake_full = self.G(noise(), ids)
                fake = self.at_core(fake_full)
            loss_d = torch.zeros((), device=dev)
            if self.Dv is not None:
                f_real, f_fake = self.Dv.features(real), self.Dv.features(fake)
                fakes = [self.Dv.score(f_fake, ids)] + ([self.Dv.score(f_real, wrong_ids)] if cfg.mismatch else [])
                loss_d = loss_d + d_loss(cfg.loss, self.Dv.score(f_real, ids), fakes)
                if cfg.words:
                    loss_d = loss_d + word_loss(cfg.words, self.Dv.words(f_real), bag)
            if k:
                frames_real = self.frames_for_image_d(real64, real, k)
                at = self.real_places(frames_real) if cfg.look_at_real else None
                frames_fake = self.frames_for_image_d(fake_full, fake, k) if at is None else \
                    self.still_frames(sprite, path, at)
                i_real, i_fake = self.Di.features(frames_real), self.Di.features(frames_fake)
                # scored real first: spectral norm's power iteration runs at every call, so order counts
                scores = [self.Di.score(i_real, frame_ids), self.Di.score(i_fake, frame_ids)]
                if cfg.image_path and at is not None:  # the still frames above are not where the path put them
                    scores.append(self.Di(self.frames_for_image_d(fake_full, fake, k), frame_ids))
                if cfg.image_mismatch:
                    other = asks_another_look(prompts, wrong).repeat_interleave(k).to(dev)
                    if other.any():
                        scores.append(self.Di.score(i_real[other], wrong_ids.repeat_interleave(k, 0)[other]))
                loss_d = loss_d + d_loss(cfg.loss, scores[0], scores[1:])
                if self.Dw is not None:
                    w_real = self.Dw.features(centred_crops(frames_real, cfg.window))
                    if cfg.window_real:
                        w_fake = self.Dw.features(centred_crops(frames_fake, cfg.window))
                        loss_d = loss_d + cfg.window_real * d_loss(cfg.loss, self.Dw.score(w_real, frame_ids),
                                                                   [self.Dw.score(w_fake, frame_ids)])
                    if cfg.window_words:
                        loss_d = loss_d + word_loss(cfg.window_words, self.Dw.words(w_real), frame_bag)
                if cfg.image_words:
                    loss_d = loss_d + word_loss(cfg.image_words, self.Di.words(i_real), frame_bag)
        if cfg.r1 and self.step % cfg.r1_every == 0:
            loss_d = loss_d + cfg.r1 * cfg.r1_every / 2 * self.r1_penalty(real, real64, ids, frame_ids)
        if not self.dist.all_finite(loss_d):
            return {"skipped": 1}
        self._backward(loss_d, self.opt_d)

        with self._autocast():
            z = noise()
            # with video_path the clips carry the path's gradient alone: before path_after, none, so
            # unless the diversity term (whose second clips carry gradient) needs them they are not
            # drawn nor judged (the image discriminator's still frames teach the look)
            moving = cfg.diversity > 0 or not (cfg.video_path and self.step < cfg.path_after)
            fake_full, still = self.generated(z, ids, at, clips=moving)
            fake = self.at_core(fake_full) if moving else None
            loss_g = torch.zeros((), device=dev)
            if self.Dv is not None and moving:
                f_fake = self.Dv.features(fake)
                loss_g = loss_g + g_loss(cfg.loss, self.Dv.score(f_fake, ids))
                if cfg.words:
                    loss_g = loss_g + word_loss(cfg.words, self.Dv.words(f_fake), bag)
            if k:
                i_fake = self.Di.features(still if cfg.image_look else self.frames_for_image_d(fake_full, fake, k))
                loss_g = loss_g + g_loss(cfg.loss, self.Di.score(i_fake, frame_ids))
                if self.Dw is not None:
                    w_fake = self.Dw.features(centred_crops(still, cfg.window))
                    if cfg.window_real:
                        loss_g = loss_g + cfg.window_real * g_loss(cfg.loss, self.Dw.score(w_fake, frame_ids))
                    if cfg.window_words:
                        loss_g = loss_g + word_loss(cfg.window_words, self.Dw.words(w_fake), frame_bag)
                if cfg.image_path and moving:  # the clips' sprite is detached (video_path)
                    loss_g = loss_g + g_loss(cfg.loss, self.Di(self.frames_for_image_d(fake_full, fake, k), frame_ids))
                if cfg.image_words:
                    loss_g = loss_g + word_loss(cfg.image_words, self.Di.words(i_fake), frame_bag)
            if cfg.diversity:
                # pairs of clips with one prompt and two noises should differ as much as the noises do
                half = b // 2
                z2 = torch.randn_like(z[:half])
                apart = (self.at_core(self.G(z2, ids[:half])) - fake[:half]).abs().mean() / (z2 - z[:half]).abs().mean()
                loss_g = loss_g + cfg.diversity / (apart + 1e-5)
        if not self.dist.all_finite(loss_g):
            return {"skipped": 1}
        self._backward(loss_g, self.opt_g)
        self._update_ema()

        out = {"loss_d": loss_d.item(), "loss_g": loss_g.item()}
        if self.G.side != cfg.model.size and self.step % cfg.upsampler_every == 0:
            # a few random frames suffice: the upsampler is a per-frame 2-D net
            idx = torch.randint(0, real.shape[2], (2,))
            with self._autocast():
                loss_u = F.l1_loss(self.U(real[:8, :, idx]), real64[:8, :, idx])
            self._backward(loss_u, self.opt_u)
            out["loss_up"] = loss_u.item()
        return out

    # --- the loop ------------------------------------------------------------------------
    def samples(self, path: Path) -> None:
        from ..sample import VideoModel
        from ..video_io import grid, save_video

        if not self.dist.main:
            return
        model = VideoModel(self.G_ema, self.U, self.vocab, self.cfg.model, self.device)
        prompts = self.real.source.prompts + ClipSource(self.real.preset, "heldout", self.video, self.real.split).prompts
        prompts = prompts[:: max(1, len(prompts) // 8)][:8]
        clips = model.generate_from_noise(prompts, self.fixed_noise)
        save_video(path, grid(clips, columns=len(self.fixed_noise)), fps=8)

    def fit(self, steps: int | None = None, minutes: float | None = None, progress: bool = True) -> Path:
        from tqdm.auto import tqdm

        if steps is None and minutes is None:
            raise UserError("give a training length: --steps N or --minutes M")
        main = self.dist.main
        if main:
            self.out.mkdir(parents=True, exist_ok=True)
            write_json(self.out / "config.json", {"train": self.cfg.to_json(), "seed": self.seed})
        budget = math.inf if minutes is None else minutes * 60
        bar = tqdm(total=steps, initial=self.step, desc="train", unit="step", disable=not (progress and main))
        log = open(self.out / "log.jsonl" if main else os.devnull, "a")  # ranks above 0 log nowhere
        skipped = 0
        with self.dist.deferred_interrupt() as interrupted:  # also while the interrupted run is saved
            try:
                while self._keep_going(steps, budget, interrupted.is_set()):
                    start = time.perf_counter()
                    self.G.train()
                    stats = self.train_step()
                    self.elapsed += time.perf_counter() - start
                    if "skipped" in stats:
                        skipped += 1
                        if skipped >= 10:
                            raise UserError(f"loss was NaN or infinite 10 steps running at step {self.step}; "
                                            "the last good checkpoint is kept, try a lower learning rate")
                        continue
                    skipped = 0
                    self.step += 1
                    bar.update(1)
                    if self.step % self.cfg.log_every == 0:
                        row = {"step": self.step, "seconds": round(self.elapsed, 2),
                               **{k: round(v, 4) for k, v in stats.items()}}
                        log.write(json.dumps(row) + "\n")
                        log.flush()
                        bar.set_postfix({k: f"{v:.3f}" for k, v in stats.items()}, refresh=False)
                    if self.step % self.cfg.sample_every == 0:
                        self.samples(self.out / "samples" / f"step-{self.step:07d}.gif")
                    if self.step % self.cfg.checkpoint_every == 0:
                        self.save()
            except KeyboardInterrupt:
                bar.close()
                self.save()
                raise
            finally:
                log.close()
        bar.close()
        path = self.save()
        self.samples(self.out / "samples" / f"step-{self.step:07d}.gif")
        if main:
            plot_losses(self.out)
        return path

    def _keep_going(self, steps: int | None, budget: float, interrupted: bool) -> bool:
        """Every rank decides alike: on the longest training time of any, and Ctrl-C on any stops all."""
        stop, self.elapsed = self.dist.agree(interrupted, self.elapsed)
        if stop:
            raise KeyboardInterrupt
        return (steps is None or self.step < steps) and self.elapsed < budget
