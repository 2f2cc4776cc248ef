"""The notebook helpers: captioned GIFs inline, frame strips, live training, evaluator report."""
import base64
import re
from pathlib import Path

import imageio.v3 as iio
import IPython.display
import numpy as np
import pytest

from text2video import UserError, notebook

SHIPPED = Path(__file__).resolve().parents[1] / "model" / "circles"


class Shown:
    """Stands in for IPython's display: records what would be shown and every update of it."""

    def __init__(self):
        self.items, self.updates = [], []

    def __call__(self, obj, display_id=None):
        self.items.append(obj)
        return self

    def update(self, obj):
        self.updates.append(obj)


@pytest.fixture
def shown(monkeypatch):
    recorder = Shown()
    monkeypatch.setattr(IPython.display, "display", recorder)
    return recorder


def clips(n=3, t=5, side=8):
    return np.random.default_rng(0).integers(0, 256, (n, t, side, side, 3), dtype=np.uint8)


def gifs(markup: str) -> list[np.ndarray]:
    return [iio.imread(base64.b64decode(b), index=None, extension=".gif")
            for b in re.findall(r'src="data:image/gif;base64,([^"]+)"', markup)]


def test_show_displays_one_captioned_gif_per_clip(shown):
    notebook.show(clips(3), ["circle moving up", "circle moving left", "a <b> & c"])
    markup = shown.items[0].data
    assert len(gifs(markup)) == 3
    assert "circle moving up" in markup and "circle moving left" in markup and "a &lt;b&gt; &amp; c" in markup


def test_gifs_hold_every_frame_at_its_own_size_drawn_scaled():
    markup = notebook.clips_html(clips(1, t=5, side=8), scale=3)
    assert gifs(markup)[0].shape[:3] == (5, 8, 8)
    assert 'width="24" height="24"' in markup


def test_a_single_clip_is_one_gif():
    assert len(gifs(notebook.clips_html(clips(1)[0], "one"))) == 1


def test_one_string_captions_every_clip():
    assert notebook.clips_html(clips(3), "circle moving up").count("circle moving up</span>") == 3


def test_clips_wrap_into_rows_of_columns():
    assert notebook.clips_html(clips(5), columns=2).count("<tr>") == 3


def test_captions_must_match_the_clips():
    with pytest.raises(UserError, match="2 captions for 3 clips"):
        notebook.clips_html(clips(3), ["a", "b"])


def test_clips_must_be_uint8_videos():
    with pytest.raises(UserError, match="uint8"):
        notebook.clips_html(clips(2).astype(np.float32))


def test_frames_strip_has_one_axes_per_frame():
    fig = notebook.frames_strip(clips(1, t=6)[0])
    assert len(fig.axes) == 6


def test_frames_strip_picks_frames_evenly_for_each_clip_under_its_caption():
    fig = notebook.frames_strip(clips(2, t=16), ["first", "second"], frames=4)
    assert len(fig.axes) == 8
    assert [ax.get_title() for ax in fig.axes[:4]] == ["t=0", "t=5", "t=10", "t=15"]
    assert {"first", "second"} <= {sub._suptitle.get_text() for sub in fig.subfigs}


def test_train_live_redraws_the_loss_plot_until_the_step_count(shown, tmp_path):
    from text2video.train import Trainer, get_config

    trainer = Trainer(get_config("tiny"), "circles", tmp_path / "run", seed=0)
    notebook.train_live(trainer, steps=4, every=2)
    assert trainer.step == 4
    plots = [u for u in shown.updates if isinstance(u, IPython.display.Image)]
    assert len(plots) == 2 and plots[-1].data == (tmp_path / "run" / "loss.png").read_bytes()
    assert notebook.last_log_row(tmp_path / "run")["step"] == 4


def test_train_live_counts_epochs_over_a_dataset_directory(shown, tmp_path):
    from text2video.data import make_dataset
    from text2video.synth import VideoConfig
    from text2video.train import Trainer, get_config

    data = make_dataset(tmp_path / "data", "circles", 8, video=VideoConfig(frames=4, height=16, width=16),
                        progress=False)
    trainer = Trainer(get_config("tiny"), str(data), tmp_path / "run", seed=0)
    notebook.train_live(trainer, epochs=1.5, every=2)
    assert trainer.step == 3  # 12 clips of 8, 4 a step


def test_evaluate_model_uses_the_split_saved_with_the_model(shown):
    evaluation = notebook.evaluate_model(SHIPPED, n=2, prompts=["circle moving up-right"])
    [row] = evaluation.report["prompts"]
    assert evaluation.report["preset"] == "circles" and row["heldout"] and row["clips"] == 2
    notebook.show_report(evaluation)
    assert len(gifs(shown.items[0].data)) == 1


def test_compare_shows_one_row_of_clips_per_model(shown):
    import text2video

    model = text2video.load(SHIPPED)
    notebook.compare({"ours": model, "again": model}, "circle moving up-right", n=2)
    markup = shown.items[0].data
    assert markup.count("<tr>") == 2 and len(gifs(markup)) == 4 and markup.count("again</span>") == 2


def test_the_helpers_load_ipython_and_matplotlib_only_when_called():
    import subprocess
    import sys

    code = ("import sys, text2video; text2video.show; "
            "print(sorted(m for m in ('IPython', 'matplotlib', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_each_clip_is_captioned_with_the_evaluators_verdict_on_its_prompt(shown):
    from text2video.synth import VideoConfig, attributes_for, render, sample_clips

    real = render(sample_clips([attributes_for("circle bouncing vertically")] * 2, VideoConfig(), np.random.default_rng(0)))
    assert notebook.verdicts(real, ["circle bouncing vertically"] * 2) == ["correct", "correct"]
    assert notebook.verdicts(real[:1], ["circle moving up"])[0].startswith("fails ")


def test_show_judged_plays_every_prompts_clips_under_their_verdicts(shown):
    import text2video

    notebook.show_judged(text2video.load(SHIPPED), ["circle moving up", "circle moving left"], n=2)
    markup = shown.items[0].data
    assert len(gifs(markup)) == 4 and "circle moving up: correct" in markup and "circle moving left: correct" in markup
