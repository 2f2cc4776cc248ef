"""The prompt grammar: every prompt of the tutorial reads, synonyms agree, mistakes are explained."""
import pytest

from text2video.errors import UserError
from text2video.grammar import TUTORIAL_PROMPTS, Attributes, attributes_for, grammar_words, parse_prompt, tokenize

TUTORIAL = TUTORIAL_PROMPTS  # the 18 prompts the tutorial trains on, verbatim


@pytest.mark.parametrize("prompt", TUTORIAL)
def test_every_tutorial_prompt_names_one_clip(prompt):
    a = attributes_for(prompt)
    assert a.shape == "circle" and attributes_for(a.prompt()) == a


@pytest.mark.parametrize("prompt, motion, direction", [
    ("circle moving diagonally up-right", "moving", "up-right"),
    ("circle bouncing horizontally", "bouncing", "horizontally"),
    ("circle zigzagging vertically", "zigzagging", "vertically"),
    ("circle rotating counter-clockwise", "rotating", "counter-clockwise"),
    ("circle expanding", "expanding", "none"),
])
def test_a_pattern_is_a_motion_and_its_complement(prompt, motion, direction):
    a = attributes_for(prompt)
    assert (a.motion, a.direction) == (motion, direction)


@pytest.mark.parametrize("other", ["circle rotating anticlockwise", "circle rotating counterclockwise",
                                   "Circle Rotating Counter Clockwise"])
def test_anticlockwise_means_counter_clockwise(other):
    assert parse_prompt(other) == parse_prompt("circle rotating counter-clockwise")
    assert tokenize(other) == tokenize("circle rotating counter-clockwise")


def test_optional_words_go_with_any_shape_and_pattern():
    a = attributes_for("the small red triangle bouncing vertically quickly")
    assert a == Attributes("triangle", "red", "small", "vertically", "quickly", "bouncing")
    assert attributes_for("a large blue square rotating clockwise").size == "large"


def test_new_words_come_after_the_old_ones_in_the_vocabulary():
    words = grammar_words()
    assert words[:17] == ["small", "large", "red", "green", "blue", "yellow", "cyan", "magenta", "white", "circle",
                          "square", "triangle", "moving", "up", "down", "left", "right"]
    assert {"diagonally", "bouncing", "zigzagging", "rotating", "shrinking", "expanding", "vertically",
            "horizontally", "clockwise", "counter"} <= set(words) and "anticlockwise" not in words


@pytest.mark.parametrize("prompt, message", [
    ("circle moving diagonally up", "'diagonally' in prompt"),
    ("circle rotating quickly clockwise", "rotating has no speed"),
    ("circle shrinking up", "shrinking takes nothing after it"),
    ("circle bouncing diagonally", "'diagonally' in prompt"),
    ("circle bouncing up", "bouncing takes vertically, horizontally"),
    ("circle rotating counter", "must come right before 'clockwise'"),
    ("circle wobbling", "unknown word 'wobbling'"),
    ("circle bouncing vertically horizontally", "two directions"),
])
def test_a_wrong_pattern_prompt_is_a_one_line_error(prompt, message):
    with pytest.raises(UserError, match=message) as e:
        parse_prompt(prompt)
    assert "\n" not in str(e.value)


def test_a_pattern_without_its_complement_says_what_it_takes():
    with pytest.raises(UserError, match="add one of vertically, horizontally"):
        attributes_for("circle zigzagging")


def test_make_demo_shows_the_tutorials_prompts_verbatim():
    import re
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    block = makefile[makefile.index("TUTORIAL :="):makefile.index("\n\n", makefile.index("TUTORIAL :="))]
    assert tuple(re.findall(r'"([^"]+)"', block)) == TUTORIAL_PROMPTS
