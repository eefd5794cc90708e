"""Every activation takes its hyperparameters by keyword only.

The survey code the zoo exists to correct passed channel counts positionally
(``nn.LeakyReLU(64)`` silently meant a slope of 64); here ``activation_class("pvlu")(64)`` must
raise instead.
"""

from __future__ import annotations

import inspect

import pytest

import actlab
from actlab.activations import activation_class


@pytest.mark.parametrize("name", actlab.list_activations())
def test_hyperparameters_are_keyword_only(name):
    cls = activation_class(name)
    for klass in cls.__mro__:
        if "__init__" not in vars(klass) or klass.__module__.startswith("torch"):
            continue
        params = list(inspect.signature(klass.__init__).parameters.values())[1:]
        positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        assert not positional, f"{klass.__qualname__}.__init__ takes {positional} positionally"
    with pytest.raises(TypeError):
        cls(64)
