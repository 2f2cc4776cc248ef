"""Tokenizer and text encoder: case, hyphens, articles, unknown words, composition."""
import pytest
import torch

from text2video.errors import UserError
from text2video.text import TextEncoder, Vocabulary, tokenize


@pytest.mark.parametrize(
    "prompt, tokens",
    [
        ("Circle moving UP-RIGHT", ["circle", "moving", "up", "right"]),
        ("a circle moving up right", ["circle", "moving", "up", "right"]),
        ("The small red square moving left quickly", ["small", "red", "square", "moving", "left", "quickly"]),
        ("  circle   moving\tdown ", ["circle", "moving", "down"]),
    ],
)
def test_tokenizer_lowercases_splits_and_drops_articles(prompt, tokens):
    assert tokenize(prompt) == tokens


def test_hyphen_and_space_give_the_same_ids():
    vocab = Vocabulary.from_grammar()
    assert vocab.encode("circle moving up-right") == vocab.encode("A circle moving Up Right")


def test_unknown_word_names_it_and_lists_the_vocabulary():
    vocab = Vocabulary.from_grammar()
    with pytest.raises(UserError, match=r"unknown word 'hexagon'.*known words: small, large, red"):
        vocab.encode("hexagon moving up")


def test_empty_prompt_is_an_error():
    with pytest.raises(UserError, match="empty prompt"):
        Vocabulary.from_grammar().encode("  the  ")


def test_vocabulary_round_trips_through_json():
    vocab = Vocabulary.from_grammar()
    assert Vocabulary.from_json(vocab.to_json()) == vocab
    assert "up-right" not in vocab.words and {"up", "right"} <= set(vocab.words)


def test_held_out_phrase_is_built_from_its_words():
    """"up right" is encoded from the vectors of "up" and "right": changing either changes it."""
    torch.manual_seed(0)
    vocab = Vocabulary.from_grammar()
    enc = TextEncoder(len(vocab))
    ids = vocab.batch(["circle moving up-right", "circle moving up", "circle moving right"])
    base = enc(ids)
    with torch.no_grad():
        enc.embed.weight[vocab.index("up")] += 1.0
    moved = enc(ids)
    assert not torch.allclose(base[0], moved[0]) and not torch.allclose(base[1], moved[1])
    assert torch.allclose(base[2], moved[2])


def test_padding_does_not_change_the_encoding():
    torch.manual_seed(0)
    vocab = Vocabulary.from_grammar()
    enc = TextEncoder(len(vocab))
    alone = enc(vocab.batch(["circle moving up"]))
    padded = enc(vocab.batch(["circle moving up", "small red square moving left quickly"]))[:1]
    assert torch.allclose(alone, padded, atol=1e-6)
