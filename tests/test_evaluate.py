"""The evaluator passes real clips and fails broken ones for the right reason.

Broken clips are made with numpy from rendered real clips: noise, a frozen frame, time run
backwards, two objects, a shrinking object, the wrong colour. The learned classifier is trained
for a few steps on tiny clips here; its accuracy is measured by `evaluate --real` (see
docs/EVALUATOR.md), not by these tests.
"""
import dataclasses
import json

import numpy as np
import pytest

import text2video
from text2video.cli import main
from text2video.data import ClipSource
from text2video.errors import UserError
from text2video.evaluate import analytic, classifier, diversity, evaluate, evaluate_clips, patterns, real_generator, resolve_prompts
from text2video.evaluate.report import format_table, write
from text2video.presets import get_preset
from text2video.synth import SIZES, Attributes, VideoConfig, attributes_for, render, sample_clips

TINY_JUDGE = classifier.ClassifierConfig(steps=2, batch=4, eval_clips=8)
PATTERNS_VIDEO = VideoConfig()  # turns are judged at 64x64: a circle's mark is under a pixel at 32


def real(preset="shapes", n=64, seed=0, video=VideoConfig()):
    return ClipSource(get_preset(preset), "all", video).sample(n, np.random.default_rng(seed))


@pytest.fixture(scope="module")
def shapes():
    return real("shapes", n=96, seed=11)


def failed(verdicts) -> set[str]:
    """Checks that fail for at least one clip."""
    return {c for c, ok in verdicts.checks.items() if not ok.all()}


@pytest.mark.parametrize("preset, n", [("circles", 64), ("shapes", 200)])
def test_real_clips_are_at_least_99_percent_correct(preset, n):
    videos, batch = real(preset, n, seed=3)
    assert evaluate_clips(videos, batch.attributes).correct.mean() >= 0.99


@pytest.mark.parametrize("video", [VideoConfig(frames=8, height=32, width=32), VideoConfig(frames=12, height=48, width=96)])
def test_real_clips_pass_at_other_resolutions(video):
    videos, batch = real("circles", 64, seed=4, video=video)
    assert evaluate_clips(videos, batch.attributes, video).correct.mean() >= 0.99


def test_noise_shows_no_object(shapes):
    videos, batch = shapes
    noise = np.random.default_rng(0).integers(0, 256, videos.shape, dtype=np.uint8)
    v = evaluate_clips(noise, batch.attributes)
    assert not v.correct.any()
    assert set(v.reasons) == {"presence"}


def test_a_frozen_clip_does_not_travel(shapes):
    videos, batch = shapes
    frozen = np.repeat(videos[:, :1], videos.shape[1], axis=1)
    v = evaluate_clips(frozen, batch.attributes)
    assert not v.correct.any()
    assert failed(v) == {"direction", "speed"}
    assert (v.measurements["travel"] < analytic.MIN_TRAVEL).all()


def test_a_clip_played_backwards_moves_the_wrong_way(shapes):
    videos, batch = shapes
    v = evaluate_clips(videos[:, ::-1], batch.attributes)
    assert not v.correct.any()
    assert failed(v) == {"direction"}
    assert (v.measurements["direction_error"] > 170).all()


def test_a_second_object_is_clutter(shapes):
    videos, batch = shapes
    # Pair clips whose objects never come close, so that each frame shows two separate shapes:
    # centroids further apart than two of the largest triangles' reach (2/sqrt(3) half-widths).
    i, j = np.triu_indices(len(videos), 1)
    gap = np.linalg.norm(batch.path[i] - batch.path[j], axis=-1).min(1)  # pixels
    keep = np.flatnonzero(gap > 2 * 1.16 * max(SIZES.values()) * 64 + 2)[:24]
    assert len(keep) == 24
    i, j = i[keep], j[keep]
    two = np.maximum(videos[i], videos[j])
    v = evaluate_clips(two, [batch.attributes[k] for k in i])
    assert not v.correct.any()
    assert "clutter" in failed(v) and not v.checks["clutter"].any()
    assert v.checks["presence"].all()


def test_a_shrinking_object_fails_size_stability():
    # The same path drawn large, then medium, then small: a third of the clip at each size.
    attrs = [Attributes(shape=s, colour="white", size="large", direction=d, speed="normal")
             for s in ("circle", "square", "triangle") for d in ("left", "down-right")]
    batch = sample_clips(attrs, VideoConfig(), np.random.default_rng(5))
    sizes = [render(dataclasses.replace(batch, attributes=[dataclasses.replace(a, size=s) for a in attrs]))
             for s in ("large", "medium", "small")]
    thirds = np.array_split(np.arange(batch.path.shape[1]), 3)
    shrinking = np.concatenate([clips[:, t] for clips, t in zip(sizes, thirds)], axis=1)
    v = evaluate_clips(shrinking, attrs)
    assert not v.correct.any()
    assert not v.checks["size_stability"].any()
    assert v.checks["direction"].all() and v.checks["shape"].all()


def test_a_wrong_colour_fails_only_colour(shapes):
    videos, batch = shapes
    asked = [dataclasses.replace(a, colour="blue" if a.colour != "blue" else "red") for a in batch.attributes]
    v = evaluate_clips(videos, asked)
    assert not v.correct.any()
    assert set(v.reasons) == {"colour"}


def test_a_wrong_shape_fails_only_shape(shapes):
    videos, batch = shapes
    other = {"circle": "triangle", "square": "triangle", "triangle": "circle"}
    asked = [dataclasses.replace(a, shape=other[a.shape]) for a in batch.attributes]
    v = evaluate_clips(videos, asked)
    assert set(v.reasons) == {"shape"}


def test_identical_clips_are_flagged_as_collapsed():
    videos, batch = real("circles", 32, seed=6)
    same = np.repeat(videos[:1], 32, axis=0)
    d = diversity.diversity(same, np.repeat(batch.start[:1], 32, 0), videos, batch.start)
    assert d["collapsed"] and d["duplicate_share"] == 1.0
    assert d["spread_ratio"] == pytest.approx(0.0, abs=1e-9)


def test_real_clips_of_one_prompt_are_not_collapsed():
    source = ClipSource(get_preset("shapes"), "all")
    a = Attributes(shape="triangle", colour="green", size="small", direction="up", speed="slowly")
    videos, batch = source.sample(64, np.random.default_rng(7), [a] * 64)
    ref, ref_batch = source.sample(64, np.random.default_rng(8), [a] * 64)
    d = diversity.diversity(videos, batch.start, ref, ref_batch.start)
    assert not d["collapsed"] and d["duplicate_share"] == 0.0
    assert 0.7 < d["spread_ratio"] < 1.4 and 0.8 < d["pairwise_ratio"] < 1.25


def test_frechet_distance_is_zero_between_a_set_and_itself_and_grows_with_a_shift():
    feats = np.random.default_rng(0).normal(size=(200, 8))
    assert classifier.frechet_distance(feats, feats) == pytest.approx(0.0, abs=1e-6)
    assert classifier.frechet_distance(feats, feats + 1.0) == pytest.approx(8.0, rel=1e-3)


def test_speed_bands_are_read_off_the_travelled_distance():
    assert list(classifier.speed_band(np.array([0.1, 0.29, 0.31, 0.49, 0.51, 0.9]))) == [
        "slowly", "slowly", "normal", "normal", "quickly", "quickly"]


def test_prompts_resolve_to_one_combination_and_know_their_group():
    circles = get_preset("circles")
    [case] = resolve_prompts(circles, ["a circle moving up right"])
    assert case.prompt == "circle moving up-right" and case.heldout
    [case] = resolve_prompts(circles, ["white circle moving down"])  # the preset's fixed colour may be said
    assert case.attributes.direction == "down" and not case.heldout


@pytest.mark.parametrize("prompt, message", [
    ("red circle moving up", "not a prompt of preset 'circles'"),
    ("circle moving sideways", "unknown word 'sideways'"),
])
def test_a_prompt_outside_the_preset_is_a_user_error(prompt, message):
    with pytest.raises(UserError, match=message):
        resolve_prompts(get_preset("circles"), [prompt])


def test_default_prompts_of_a_large_preset_are_half_held_out():
    cases = resolve_prompts(get_preset("shapes"), None, max_prompts=16)
    assert len(cases) == 16 and sum(c.heldout for c in cases) == 8


def test_classifier_is_trained_once_then_loaded_from_the_cache(tmp_path, small_video):
    circles = get_preset("circles")
    net, meta = classifier.load_or_train(circles, small_video, tmp_path, TINY_JUDGE, progress=False)
    again, meta_again = classifier.load_or_train(circles, small_video, tmp_path, TINY_JUDGE, progress=False)
    assert not meta["cached"] and meta_again["cached"]
    assert set(meta["real_accuracy"]) == {"shape", "colour", "size", "direction", "speed", "motion"}
    videos, _ = real("circles", 6, video=small_video)
    assert np.allclose(classifier.predict(net, videos)[0], classifier.predict(again, videos)[0], atol=1e-5)
    [entry] = tmp_path.iterdir()
    assert {p.name for p in entry.iterdir()} == {"weights.safetensors", "meta.json"}


@pytest.mark.parametrize("damaged", ["weights.safetensors", "meta.json"])
def test_a_damaged_classifier_cache_is_retrained_not_fatal(tmp_path, small_video, damaged, capsys):
    circles = get_preset("circles")
    classifier.load_or_train(circles, small_video, tmp_path, TINY_JUDGE, progress=False)
    [entry] = tmp_path.iterdir()
    (entry / damaged).write_bytes(b"\x00garbage")
    net, meta = classifier.load_or_train(circles, small_video, tmp_path, TINY_JUDGE, progress=False)
    assert not meta["cached"] and "training it again" in capsys.readouterr().err
    _, meta_again = classifier.load_or_train(circles, small_video, tmp_path, TINY_JUDGE, progress=False)
    assert meta_again["cached"]  # the damaged entry was replaced


def test_a_cached_classifier_whose_weights_changed_is_retrained(tmp_path, small_video, capsys):
    circles = get_preset("circles")
    classifier.load_or_train(circles, small_video, tmp_path, TINY_JUDGE, progress=False)
    [entry] = tmp_path.iterdir()
    weights = entry / "weights.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0x40  # one bit of the last weight: the file still loads, the checksum tells
    weights.write_bytes(bytes(data))
    _, meta = classifier.load_or_train(circles, small_video, tmp_path, TINY_JUDGE, progress=False)
    err = capsys.readouterr().err
    assert not meta["cached"] and "checksum" in err and len(err.strip().splitlines()) == 1


def test_evaluating_real_clips_reports_seen_and_held_out_prompts(tmp_path, small_video):
    circles = get_preset("circles")
    ev = evaluate(real_generator(circles, small_video), circles, n=4, video=small_video,
                  judge=TINY_JUDGE, cache_dir=tmp_path / "cache", progress=False)
    r = ev.report
    assert r["overall"]["all"]["correct"] >= 0.99
    assert r["overall"]["heldout"]["prompts"] == 1 and r["overall"]["seen"]["prompts"] == 7
    assert "frechet_distance" in r["overall"]["all"] and "FVD-style" in r["classifier"]["note"]
    table = format_table(r)
    assert "held-out prompts (1)" in table
    up_right = next(line for line in table.splitlines() if line.strip().startswith("circle moving up-right"))
    angle = next(p for p in r["prompts"] if p["prompt"] == "circle moving up-right")["median"]["direction_error"]
    assert angle < 5 and f"{angle:5.1f}°" in up_right  # real clips go the asked way: the median error is small
    json_path, png = write(ev, tmp_path / "out" / "report.json")
    assert json.loads(json_path.read_text())["preset"] == "circles"
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_a_generator_that_returns_the_wrong_shape_is_a_user_error(small_video):
    circles = get_preset("circles")
    bad = lambda prompts, n, seed: np.zeros((len(prompts) * n, 2, 8, 8, 3), np.uint8)
    with pytest.raises(UserError, match="the evaluator needs uint8"):
        evaluate(bad, circles, n=2, video=small_video, judge=None, progress=False)


def test_cli_scores_real_clips_and_writes_json_and_figure(tmp_path, capsys):
    out = tmp_path / "r.json"
    code = main(["evaluate", "--real", "--preset", "circles", "--n", "3", "--size", "32", "--frames", "8",
                 "--no-classifier", "--prompts", "circle moving up", "circle moving up-right", "--json", str(out)])
    assert code == 0
    assert "100.0% correct" in capsys.readouterr().out
    assert json.loads(out.read_text())["overall"]["all"]["clips"] == 6 and out.with_suffix(".png").exists()


def test_cli_scores_a_model_through_its_loader(tmp_path, monkeypatch, capsys, small_video):
    class Model:  # stands in for text2video.load(DIR): a model that draws real clips
        config = {"preset": {"name": "circles"}, "video": small_video.to_json()}
        generate = staticmethod(lambda prompts, n, seed: real_generator(get_preset("circles"), small_video)(prompts, n, seed))

    monkeypatch.setattr(text2video, "load", lambda directory: Model(), raising=False)
    code = main(["evaluate", "--model", str(tmp_path), "--n", "2", "--no-classifier", "--prompts", "circle moving left"])
    assert code == 0 and "100.0% correct of 2 clips" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--real", "--n", "0"], "--n must be a positive number"),
    (["--real", "--prompts", "circle moving sideways"], "unknown word 'sideways'"),
    (["--real", "--json", "."], "is a directory"),
])
def test_cli_errors_are_one_line_with_exit_code_2(args, message, capsys):
    assert main(["evaluate", "--no-classifier", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_cli_without_a_model_loader_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.delattr(text2video, "load", raising=False)
    assert main(["evaluate", "--model", str(tmp_path), "--no-classifier"]) == 2
    assert "no model loader is available yet" in capsys.readouterr().err


# --- patterns: real clips pass, and each pattern's wrong twin fails for the right reason ------


def pattern_clips(prompt, n=24, seed=0, **attrs):
    a = dataclasses.replace(attributes_for(prompt), **attrs)
    return sample_clips([a] * n, PATTERNS_VIDEO, np.random.default_rng(seed))


def test_real_clips_of_every_pattern_are_at_least_99_percent_correct():
    combos = get_preset("patterns").combinations()
    videos, batch = ClipSource(get_preset("patterns"), "all").sample(len(combos) * 8, np.random.default_rng(9),
                                                                     combos * 8)
    assert evaluate_clips(videos, batch.attributes).correct.mean() >= 0.99


@pytest.mark.parametrize("prompt", ["large red triangle rotating clockwise", "small square rotating counter-clockwise",
                                    "large yellow square expanding", "small triangle zigzagging horizontally",
                                    "small green triangle bouncing vertically quickly"])
def test_real_pattern_clips_of_other_shapes_pass(prompt):
    batch = pattern_clips(prompt, n=16, seed=2)
    assert evaluate_clips(render(batch), batch.attributes).correct.all()


def judged_as(batch, videos, prompt):
    return evaluate_clips(videos, [attributes_for(prompt)] * len(videos))


def test_a_straight_clip_is_not_a_bounce():
    batch = pattern_clips("circle moving down")
    v = judged_as(batch, render(batch), "circle bouncing vertically")
    assert not v.correct.any() and set(v.reasons) == {"reversal"}
    assert (v.measurements["reversals"] == 0).all()


def test_a_bounce_that_turns_away_from_the_edge_is_not_a_bounce():
    batch = pattern_clips("circle bouncing vertically")
    batch.path[..., 1] = batch.path[:, :, 1].mean(1, keepdims=True) + (batch.path[..., 1] - batch.path[:, :, 1].mean(1, keepdims=True)) * 0.5
    v = evaluate_clips(render(batch), batch.attributes)  # the same turn, halved about its middle: far from the edge
    assert not v.correct.any() and set(v.reasons) <= {"speed", "reversal"} and not v.checks["reversal"].any()


def test_a_straight_clip_is_not_a_zigzag():
    batch = pattern_clips("circle moving up", n=64)
    keep = batch.speed > 0.36  # it does progress far enough: only the swing is missing
    videos = render(batch)[keep]
    v = judged_as(batch, videos, "circle zigzagging vertically")
    assert keep.sum() >= 8 and not v.correct.any() and set(v.reasons) == {"zigzag"}


def test_a_still_marked_circle_is_not_rotating():
    batch = pattern_clips("circle rotating clockwise")
    still = np.repeat(render(batch)[:, :1], PATTERNS_VIDEO.frames, axis=1)
    v = judged_as(batch, still, "circle rotating clockwise")
    assert not v.correct.any() and set(v.reasons) == {"rotation"}
    assert (np.abs(v.measurements["turn"]) < 5).all()


def test_a_plain_disc_is_not_rotating():
    batch = pattern_clips("circle rotating clockwise")
    plain = render(dataclasses.replace(batch, attributes=[Attributes()] * len(batch.attributes)))  # no mark
    v = judged_as(batch, plain, "circle rotating clockwise")
    assert not v.correct.any() and set(v.reasons) == {"rotation"}
    assert (v.measurements["mark"] < patterns.MIN_MARK).all()


@pytest.mark.parametrize("shape", ["circle", "square", "triangle"])
def test_the_wrong_sense_of_rotation_fails_only_rotation(shape):
    batch = pattern_clips(f"{shape} rotating clockwise")
    v = judged_as(batch, render(batch), f"{shape} rotating counter-clockwise")
    assert not v.correct.any() and set(v.reasons) == {"rotation"}
    assert (v.measurements["turn"] >= 175).all()


def test_a_shrinking_clip_is_not_expanding():
    batch = pattern_clips("circle shrinking")
    v = judged_as(batch, render(batch), "circle expanding")
    assert not v.correct.any() and set(v.reasons) == {"growth"}


def test_a_steady_size_is_not_shrinking():
    batch = pattern_clips("circle rotating clockwise")
    v = judged_as(batch, render(dataclasses.replace(batch, attributes=[Attributes()] * 24)), "circle shrinking")
    assert not v.correct.any() and set(v.reasons) == {"growth"}
