"""``create_model`` checks keywords against the builder: a typo raises with the closest valid names."""

from __future__ import annotations

import functools
import inspect
import re

import pytest
from torch import nn

from actlab.models import create_model, list_models, model_info, register_model
from actlab.models._registry import MODELS

# Keywords every builder takes; the family-specific ones are where typos happen.
COMMON = ("num_classes", "in_chans", "act", "norm")


def _typo(word: str) -> str:
    """A plausible misspelling: the last two letters swapped (``width`` -> ``widht``), or one letter doubled."""
    swapped = word[:-2] + word[-1] + word[-2] if len(word) >= 3 else word
    return swapped if swapped != word else word + word[-1]


def _specific(name: str) -> list[str]:
    valid = model_info(name).arguments()
    assert valid is not None, f"{name}: its builder takes **kw, so create_model cannot check its keywords"
    return [k for k in valid if k not in COMMON]


@pytest.mark.parametrize("name", list_models())
def test_every_builder_names_its_keywords(name):
    """No built-in builder hides keywords behind ``**kw``; each keyword is documented in its docstring
    (or in the one it points to: "as for :func:`resnet18`", "see :class:`MoCapsNet`")."""
    info = model_info(name)
    valid = info.arguments()
    assert valid is not None and valid[:3] == ["num_classes", "in_chans", "act"]
    doc = info.builder.__doc__ or ""
    for ref in re.findall(r"(?:as for|see) :(?:func|class):`(\w+)`", doc):
        doc += inspect.getmodule(info.builder).__dict__[ref].__doc__ or ""
    missing = [k for k in _specific(name) if not re.search(rf"\b{k}\b", doc)]
    assert not missing, f"{name}: keywords not documented in the builder's docstring: {missing}"


@pytest.mark.parametrize("name", list_models())
def test_misspelt_keyword_raises_with_suggestion(name):
    valid = model_info(name).arguments()
    for kw in _specific(name) or ["num_classes"]:
        typo = _typo(kw)
        assert typo not in valid
        with pytest.raises(ValueError) as e:
            create_model(name, **{typo: 1})
        msg = str(e.value)
        assert f"model {name!r}" in msg and repr(typo) in msg
        assert re.search(rf"did you mean [^)]*{kw!r}", msg), msg
        assert "valid arguments: " + ", ".join(valid) in msg


@pytest.mark.parametrize("name", list_models())
def test_documented_keywords_are_accepted(name):
    """Each keyword, passed explicitly with its default value, still builds the (tiny) model."""
    info = model_info(name)
    params = inspect.signature(info.builder).parameters
    base = {"in_chans": info.test_shape[0], **info.test_kwargs}
    for kw in _specific(name):
        if kw in base or params[kw].default is inspect.Parameter.empty:
            continue
        assert isinstance(create_model(name, **{**base, kw: params[kw].default}), nn.Module), kw


def test_the_readme_typo_names_width():
    with pytest.raises(ValueError, match=r"'widht' \(did you mean 'width'\?\).*valid arguments: .*width"):
        create_model("mlp", widht=64)


def test_act_is_refused_by_a_builder_without_one():
    @register_model("_no_act_probe", family="test", paper="-", input_shape=(2,), has_activation=False)
    def probe(num_classes: int = 2, in_chans: int = 2) -> nn.Module:
        return nn.Linear(in_chans, num_classes)

    try:
        with pytest.raises(ValueError, match="'act'"):
            create_model("_no_act_probe", act="relu")
        assert isinstance(create_model("_no_act_probe"), nn.Linear)
    finally:
        MODELS.remove("_no_act_probe")


def test_open_ended_user_builder_is_not_checked_but_wraps_are():
    """A user's builder taking ``**kw`` leaves the check to itself; ``functools.wraps`` keeps the signature."""

    @register_model("_open_probe", family="test", paper="-", input_shape=(2,))
    def open_builder(num_classes: int = 2, in_chans: int = 2, **kw) -> nn.Module:
        return nn.Linear(in_chans, num_classes, **kw)

    def base(num_classes: int = 2, in_chans: int = 2, act=None, width: int = 3) -> nn.Module:
        return nn.Linear(in_chans, num_classes)

    @functools.wraps(base)
    def wrapped(*args, **kwargs):
        return base(*args, **kwargs)

    register_model("_wrapped_probe", family="test", paper="-", input_shape=(2,))(wrapped)
    try:
        assert model_info("_open_probe").arguments() is None
        assert isinstance(create_model("_open_probe", bias=False), nn.Linear)
        with pytest.raises(TypeError):  # the builder itself refuses it
            create_model("_open_probe", bais=False)
        assert model_info("_wrapped_probe").arguments() == ["num_classes", "in_chans", "act", "width"]
        with pytest.raises(ValueError, match="did you mean 'width'"):
            create_model("_wrapped_probe", widht=3)
    finally:
        MODELS.remove("_open_probe")
        MODELS.remove("_wrapped_probe")
