"""Property-based tests: any text given as a prompt, a vocabulary or a number on the command line
gets a result or the package's UserError (one line and exit code 2 from the CLI), never another
exception. Derandomized and with few examples, so the file runs in seconds and never flakes.
"""
import argparse
import contextlib
import io
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from text2video import cli
from text2video.checkpoint import export
from text2video.errors import UserError
from text2video.synth import ATTRIBUTES, parse_prompt
from text2video.text import ARTICLES, Vocabulary, tokenize
from text2video.train import Trainer, get_config

FUZZ = settings(max_examples=60, derandomize=True, database=None, deadline=None)
VOCAB = Vocabulary.from_grammar()
SEPARATORS = st.sampled_from([" ", "  ", "-", "\t", " - ", "\n", "\u3000", "\x1f"])  # all split words


@st.composite
def grammar_text(draw) -> tuple[str, list[str]]:
    """(a prompt of vocabulary words in any case, with articles and any separators, its words)."""
    words = draw(st.lists(st.sampled_from(VOCAB.words), min_size=1, max_size=8))
    parts = []
    for word in words:
        if draw(st.booleans()):
            parts.append(draw(st.sampled_from(["a", "An", "THE"])))
        parts.append(draw(st.sampled_from([word, word.upper(), word.title()])))
    text = draw(st.sampled_from(["", " ", "\t"]))
    for part in parts:
        text += part + draw(SEPARATORS)
    return text, words


# prompts a user might type, good and bad: grammar words, with junk spliced in, or any text at all
PROMPTS = st.one_of(
    grammar_text().map(lambda t: t[0]),
    st.tuples(grammar_text(), st.text(max_size=6), st.integers(0, 40)).map(lambda t: t[0][0][:t[2]] + t[1] + t[0][0][t[2]:]),
    st.text(max_size=40),
)


@FUZZ
@given(grammar_text())
def test_grammar_words_encode_whatever_their_case_separators_and_articles(case):
    text, words = case
    assert VOCAB.encode(text) == [VOCAB.index(w) for w in words]


@FUZZ
@given(PROMPTS)
def test_any_text_encodes_to_known_ids_or_says_why(text):
    try:
        ids = VOCAB.encode(text)
    except UserError as e:
        assert str(e).startswith(("unknown word", "empty prompt"))
        return
    assert ids and all(1 <= i < len(VOCAB) for i in ids)


@FUZZ
@given(st.text())
def test_tokens_are_never_empty_articles_or_split_further(text):
    for token in tokenize(text):
        assert token and token not in ARTICLES
        assert tokenize(token) == [token]


@FUZZ
@given(st.lists(grammar_text().map(lambda t: t[0]), min_size=1, max_size=5))
def test_a_batch_is_each_prompts_ids_padded_with_zeros(prompts):
    batch = VOCAB.batch(prompts)
    assert batch.shape == (len(prompts), max(len(VOCAB.encode(p)) for p in prompts))
    for row, prompt in zip(batch.tolist(), prompts):
        ids = VOCAB.encode(prompt)
        assert row == ids + [0] * (len(row) - len(ids))


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                    max_leaves=12)


@FUZZ
@given(st.one_of(JSON, st.fixed_dictionaries({"words": JSON})))
def test_any_json_is_a_vocabulary_or_a_user_error(data):
    try:
        vocab = Vocabulary.from_json(data)
    except UserError:
        return
    assert Vocabulary.from_json(vocab.to_json()) == vocab


@FUZZ
@given(PROMPTS)
def test_any_text_parses_into_attributes_or_says_why(text):
    try:
        attributes = parse_prompt(text)
    except UserError:
        return
    assert set(attributes) <= set(ATTRIBUTES)


@pytest.mark.parametrize("parse, accepts", [
    (cli._positive, lambda x: isinstance(x, int) and x > 0),
    (cli._positive_float, lambda x: 0 < x < math.inf),
    (cli._seed, lambda x: isinstance(x, int) and 0 <= x <= cli.MAX_SEED),
])
def test_numeric_options_accept_what_they_say_or_refuse(parse, accepts):
    texts = st.one_of(st.text(max_size=12), st.integers().map(str), st.floats().map(str))

    @FUZZ
    @given(texts)
    def check(text):
        try:
            value = parse(text)
        except argparse.ArgumentTypeError as e:
            assert repr(text) in str(e)
            return
        assert accepts(value)

    check()


# --- the CLI, in this process ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    Trainer(get_config("tiny"), "circles", root / "run", seed=0).fit(steps=1, progress=False)
    return export(root / "run", root / "model")


def run_cli(argv) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = cli.main(argv)
        except SystemExit as e:  # argparse's own errors
            code = e.code
    return code, err.getvalue()


def assert_result_or_one_line_error(code, err, command):
    assert code in (0, 2), err
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and err.startswith(f"text2video {command}: error: "), err


@FUZZ
@given(PROMPTS)
def test_generate_makes_clips_or_one_line_error_for_any_prompt(model_dir, tmp_path_factory, prompt):
    out = tmp_path_factory.getbasetemp() / "fuzz-clips"
    code, err = run_cli(["generate", "--model", str(model_dir), "--out-dir", str(out), "--ext", ".npy", "--", prompt])
    assert_result_or_one_line_error(code, err, "generate")
    if code == 0:
        clip = out / f"{'_'.join(prompt.split())}_0.npy"
        assert np.load(clip).shape == (4, 16, 16, 3)
        clip.unlink()


@FUZZ
@given(PROMPTS)
def test_render_draws_or_one_line_error_for_any_prompt(tmp_path_factory, prompt):
    out = tmp_path_factory.getbasetemp() / "fuzz-render.npy"
    code, err = run_cli(["render", "--frames", "4", "--size", "32", "--out", str(out), "--", prompt])
    assert_result_or_one_line_error(code, err, "render")
    if code == 0:
        assert np.load(out).shape == (1, 4, 32, 32, 3)  # (N, T, H, W, 3)
        out.unlink()
