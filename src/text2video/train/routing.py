"""What each discriminator is shown of the sprite design: clips whose gradient reaches the path
only (video_path), still frames whose gradient reaches the look only (image_look), and where real
frames put their objects (look_at_real). The Trainer's phases call these; docs/HISTORY.md: why."""
from __future__ import annotations

import torch
from einops import rearrange
from torch import nn

from ..models import frame_centres
from ..synth import parse_prompt
from .config import TrainConfig


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


def still_frames(G: nn.Module, sprite: torch.Tensor, path: torch.Tensor | None, k: int,
                 at: torch.Tensor | None = None) -> torch.Tensor:
    """k random frames a clip, redrawn with the path held still: (B*k, 3, H, W) whose gradient
    shapes the sprite only (through frames a look discriminator also moved the path: clips stopped
    moving, or left the frame). `at` (B, k, 2): put the sprite there instead, in frame units; a
    pose's log-scale and angle (path (B, T, 4)) are those of k random frames of the generator's."""
    posed = path is not None and path.shape[-1] == 4
    if at is None or posed:
        idx = pick_frames(*path.shape[:2], k, path.device)
        pose = path.detach().gather(1, idx[..., None].expand(-1, -1, path.shape[-1]))  # (B, k, 2 or 4)
    if at is None:
        at = pose
    else:
        at = G.anchor(torch.cat([at, pose[..., 2:]], -1) if posed else at, sprite.detach())
    return rearrange(G.render(sprite, at), "b c k h w -> (b k) c h w")


def colourless(look: torch.Tensor) -> torch.Tensor:
    """The words look (B, 3 + FACETS + 1, and 3 more with the mark) with its colour's gradient cut."""
    return torch.cat([look[:, :3].detach(), look[:, 3:]], 1)


def generated(G: nn.Module, cfg: TrainConfig, step: int, z: torch.Tensor, ids: torch.Tensor,
              at: torch.Tensor | None = None, clips: bool = True,
              still: bool = True) -> tuple[list[tuple[torch.Tensor, torch.Tensor | None]] | None,
                                           tuple[torch.Tensor, torch.Tensor] | None,
                                           list[tuple[torch.Tensor, torch.Tensor]] | None]:
    """The generator's clips [(clips (B, 3, T, H, W), share (B,) or None: all 1)], None unless
    `clips`: the drawn clips, and with the motion module's kinds of path every clip again along
    each kind, without gradient, each with its odds, so the odds learn from how the kinds compare.
    If `still`, its still frames (`at` passed on) for the image discriminator and for the window
    discriminator: with the words look, the window's carry no gradient to the colour, as that
    discriminator reads no prompt (its realism score pulled red prompts to blue against the image
    discriminator's pull to red, docs/HISTORY.md). With video_window, [(clips, share (B,))]: the
    clips again with the places held still, turned clockwise and then counter-clockwise, each sense
    with its odds, for the windows that follow the object: they teach its turn and growth (moving
    the place, they stopped it; teaching the look, they drew an arrow that shows a turn instead of
    a circle). With video_path the clips carry the path's gradient only, and before
    cfg.path_after the path carries none: each part learns from the discriminator that judges it."""
    if cfg.model.design != "sprite":
        return [(G(z, ids), None)], None, None
    sprite = G.draw_sprite(z, ids)
    look = sprite.detach() if cfg.video_path else sprite
    cut = (lambda x: x.detach()) if step < cfg.path_after else (lambda x: x)

    def posed(sense: torch.Tensor | None = None, kind: int | None = None) -> torch.Tensor:
        return cut(G.place(z, ids, look, sense, kind))

    path = posed()
    frames = None
    if still:
        shown = still_frames(G, sprite, path, cfg.image_frames, at)
        words = cfg.model.look == "words" and cfg.window  # the window gets its own frames
        frames = (shown, still_frames(G, colourless(sprite), path, cfg.image_frames, at) if words else shown)
    posed_path = path.shape[-1] == 4
    said = G.motion.settings(ids) if clips and posed_path else {}  # the coins' odds: the sense's, the kinds'
    turning = None
    if clips and cfg.video_window and posed_path:
        # each clip turned both ways, each counting by its odds, so the odds learn from how the two
        # compare: a sense learnt through the turn's gradient had to stop turning to change, which
        # the windows scored worst (docs/HISTORY.md)
        odds = cut(said["clockwise"])
        turning = []
        for sense, share in ((1.0, odds), (-1.0, 1 - odds)):
            pose = posed(torch.full_like(odds, sense))
            turning.append((G.render(look, torch.cat([pose[..., :2].detach(), pose[..., 2:]], -1)), share.flatten()))
    if not clips:
        return None, frames, turning

    def whole(pose: torch.Tensor) -> torch.Tensor:
        # the turn is the windows' to teach: at the core side a circle's mark is a pixel, and the
        # whole clips' discriminator pushed a turn of 1.5 times the real one faster still
        return G.render(look, torch.cat([pose[..., :3], pose[..., 3:].detach()], -1) if turning else pose)

    drawn = [(whole(path), None)]
    if posed_path and not G.motion.straight:
        # every clip along each kind too, its score weighing only the kind's odds: the expected score
        # sum_k p_k D_k takes its gradient to the odds from these, and to the path from the drawn
        # clips; without the path's gradient they cost a forward pass, not a backward one
        kinds = cut(said["kinds"])
        with torch.no_grad():
            each = [whole(posed(kind=k)) for k in range(kinds.shape[1])]
        return drawn + [(clips, kinds[:, k]) for k, clips in enumerate(each)], frames, turning
    return drawn, frames, turning


def real_places(frames: torch.Tensor, k: int) -> torch.Tensor:
    """(B*k, 3, H, W) real frames -> (B, k, 2) where their objects are, in frame units [-1, 1]."""
    side = frames.shape[-1]
    centres = (2 * frame_centres(frames) + 1) / side - 1  # pixel middles, as pixel_centres
    return rearrange(centres, "(b k) xy -> b k xy", k=k)
