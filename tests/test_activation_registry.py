"""The activation registry: names, aliases, helpful errors, user registrations, filters."""

from __future__ import annotations

import math

import pytest
import torch

import actlab
from actlab.activations import (
    ACTIVATIONS,
    Activation,
    ActivationInfo,
    ParamSpec,
    activation_class,
    activation_info,
    canonical_activation_name,
    create_activation,
    list_activations,
    register_activation,
)


@pytest.fixture
def scratch_names():
    """Names registered by a test are removed afterwards."""
    names: list[str] = []
    yield names
    for n in names:
        if n in ACTIVATIONS:
            ACTIVATIONS.remove(n)


@pytest.mark.parametrize(
    "alias, canonical",
    [("lrelu", "leaky_relu"), ("swish1", "silu"), ("gelu_erf", "gelu"), ("LReLU", "leaky_relu"),
     ("leaky-relu", "leaky_relu"), ("Leaky ReLU", "leaky_relu"), ("linear", "identity")],
)
def test_aliases_resolve_to_the_same_activation(alias, canonical):
    assert canonical_activation_name(alias) == canonical
    assert type(create_activation(alias)) is activation_class(canonical)
    key = alias.lower().replace("-", "_").replace(" ", "_")
    assert key == canonical or key in activation_info(canonical).aliases


def test_swish_and_silu_are_distinct_but_equal_at_init():
    x = torch.linspace(-5, 5, 101)
    assert type(create_activation("swish")) is not type(create_activation("silu"))
    torch.testing.assert_close(create_activation("swish")(x), create_activation("silu")(x))
    assert [p.name for p in activation_info("swish").params] == ["beta"]


@pytest.mark.parametrize("typo, suggestion", [("relu7", "relu6"), ("mishh", "mish"), ("gelu_tan", "gelu_tanh")])
def test_unknown_name_raises_value_error_with_closest_names(typo, suggestion):
    with pytest.raises(ValueError) as err:
        create_activation(typo)
    assert repr(typo) in str(err.value)
    assert repr(suggestion) in str(err.value)


def test_unknown_constructor_argument_names_the_valid_ones():
    with pytest.raises(ValueError, match="negative_slope"):
        create_activation("leaky_relu", slope=0.1)


def test_hyperparameters_are_keyword_only():
    # the Dubey et al. VGG bug: nn.LeakyReLU(64) silently set negative_slope = 64
    with pytest.raises(TypeError):
        activation_class("leaky_relu")(64)


def test_create_returns_fresh_instances():
    a, b = create_activation("prelu"), create_activation("prelu")
    assert a is not b and a.alpha is not b.alpha


@pytest.mark.parametrize("name", ["relu", "lrelu", "swish"])
def test_duplicate_registration_raises(name):
    info = ActivationInfo(name=name, formula="x", latex="x")
    with pytest.raises(ValueError, match="already registered"):
        register_activation(info, lambda x: x)


def test_duplicate_alias_of_new_name_raises(scratch_names):
    with pytest.raises(ValueError, match="already registered"):
        register_activation(ActivationInfo(name="zz_new_act", formula="x", latex="x", aliases=("silu",)), lambda x: x)
    assert "zz_new_act" not in ACTIVATIONS


def test_user_registered_function_works(scratch_names):
    info = ActivationInfo(name="zz_cube_soft", formula="x^3 / (1 + x^2)", latex=r"\frac{x^3}{1+x^2}",
                          aliases=("zz_cs",), monotonic=True, f0=0.0, df0=0.0, category="user")
    register_activation(info, lambda x: x**3 / (1 + x**2))
    scratch_names.append("zz_cube_soft")
    m = actlab.create_activation("zz_cs")
    x = torch.tensor([-2.0, 0.0, 1.0])
    torch.testing.assert_close(m(x), torch.tensor([-1.6, 0.0, 0.5]))
    assert "zz_cube_soft" in list_activations("zz_*")
    assert activation_info("zz_cs") is info


def test_user_registered_class_with_parameter(scratch_names):
    @register_activation(ActivationInfo(name="zz_scaled", formula="a x", latex="a x",
                                        params=(ParamSpec("a", 2.0),), category="user"))
    class Scaled(Activation):
        formula = staticmethod(lambda x, a: a * x)

        def __init__(self, *, a: float = 2.0, **kw) -> None:
            super().__init__(**kw)
            self.add_param("a", a)

    scratch_names.append("zz_scaled")
    assert Scaled.info.name == "zz_scaled"
    m = create_activation("zz_scaled", shape="channel", num_channels=3)
    assert m.a.shape == (3,)
    torch.testing.assert_close(m(torch.ones(2, 3, 4)), torch.full((2, 3, 4), 2.0))
    assert "zz_scaled" in list_activations(trainable=True)


def test_list_filters():
    every = list_activations()
    assert every == sorted(every) and len(every) == len(set(every))
    assert list_activations("relu*") == sorted(n for n in every if n.startswith("relu"))
    assert "leaky_relu" in list_activations("lrelu")  # patterns match aliases
    trainable, fixed = list_activations(trainable=True), list_activations(trainable=False)
    assert set(trainable) | set(fixed) == set(every) and not set(trainable) & set(fixed)
    assert {"prelu", "swish", "srs", "pdelu", "pau"} <= set(trainable)
    assert {"relu", "silu", "leaky_relu", "elliott"} <= set(fixed)


def test_dubey_benchmark_set_is_registered():
    dubey18 = ["sigmoid", "tanh", "elliott", "relu", "lrelu", "prelu", "elu", "selu", "gelu", "celu",
               "softplus", "swish", "abrelu", "lisht", "srs", "mish", "pau", "pdelu"]
    for n in dubey18:
        assert n in ACTIVATIONS


def test_info_rows_are_consistent():
    for n in list_activations():
        info = activation_info(n)
        assert info.name == n
        lo, hi = info.output_range
        assert lo <= info.f0 <= hi or not info.elementwise
        assert math.isfinite(lo) == info.bounded_below and math.isfinite(hi) == info.bounded_above


def test_srs_constraint_keeps_ratio_above_one_over_e():
    m = create_activation("srs")
    with torch.no_grad():
        m.ratio_raw.fill_(-50.0)  # as far as training could push it
        m.beta_raw.fill_(3.0)
    ratio = (m.value("alpha") / m.value("beta")).item()
    assert ratio > 1 / math.e
    x = torch.linspace(-1e3, 1e3, 20001)
    assert torch.isfinite(m(x)).all()
    with pytest.raises(ValueError, match="1/e"):
        create_activation("srs", alpha=1.0, beta=3.0, min_ratio=0.3)
    with pytest.raises(ValueError, match="alpha/beta"):
        create_activation("srs", alpha=1.0, beta=3.0)


def test_pdelu_exponent_is_exact_and_base_clamped():
    m = create_activation("pdelu")
    assert m.exponent == 10.0
    x = torch.tensor([-30.0, -12.0, -10.0], dtype=torch.float64)
    torch.testing.assert_close(m.double()(x), torch.full((3,), -1.0, dtype=torch.float64))


@pytest.mark.parametrize("bad", [
    dict(params=ParamSpec("a", 1.0)),  # a bare ParamSpec, not a tuple
    dict(params=(("a", 1.0),)),
    dict(aliases="lrelu2"),  # a str would be split into letters
    dict(smoothness="smooth"),
    dict(bounded_below=True),  # disagrees with output_range (-inf, inf)
])
def test_malformed_info_rows_fail_at_definition(bad):
    with pytest.raises((TypeError, ValueError)):
        ActivationInfo(name="zz_bad", formula="x", latex="x", **bad)
