"""Oscillating units: GCU (arXiv 2108.12943) and SQU, NCU, SSU, DSU (arXiv 2111.04020).

Each lets a single neuron solve XOR. SSU and DSU use the *unnormalised* sinc
``sinc(u) = sin(u) / u`` (the only convention giving f(0) = 0 and f'(0) = 1, the design
intent); their removable singularities (z = pi for SSU, z = +-pi for DSU) are handled with a
masked safe denominator plus a Taylor branch, so value *and* gradient are finite there.
"""

from __future__ import annotations

import math

import torch

from ._base import Activation
from ._info import ActivationInfo, Paper
from ._registry import register_activation

__all__ = ["GCU", "SQU", "NCU", "SSU", "DSU"]

PI = math.pi
INF = math.inf
_GCU_PAPER = Paper("Growing Cosine Unit: A Novel Oscillatory Activation Function", "2108.12943", 2021)
_OSC_PAPER = Paper(
    "Biologically Inspired Oscillating Activation Functions Can Bridge the Performance Gap "
    "between Biological and Artificial Neurons",
    "2111.04020",
    2021,
)
# Taylor branch radius: beyond it the direct quotient is accurate even in float32 (the
# float32 rounding of pi costs ~1e-7 / |u| relative error); inside it the series through u^8
# is exact to ~1e-18.
_TAYLOR_RADIUS = 0.1
# extrema found numerically (scipy.optimize, float64) for the property rows
_SSU_MIN = -0.6824595705010305
_DSU_MAX = 1.636408136824882


def _sinc_series(u: torch.Tensor) -> torch.Tensor:
    u2 = u * u
    return 1 - u2 / 6 * (1 - u2 / 20 * (1 - u2 / 42 * (1 - u2 / 72)))


def gcu(x: torch.Tensor) -> torch.Tensor:
    return x * torch.cos(x)


@register_activation(
    ActivationInfo(
        name="gcu",
        formula="x * cos(x)",
        latex=r"x \cos x",
        paper=_GCU_PAPER,
        aliases=("growing_cosine_unit",),
        category="seed",
    )
)
class GCU(Activation):
    r"""Growing Cosine Unit, ``GCU(z) = z cos z`` (Noel et al., arXiv 2108.12943).

    Derivative ``cos z - z sin z``. No parameters.
    """

    formula = staticmethod(gcu)


def squ(x: torch.Tensor) -> torch.Tensor:
    return x * x + x


@register_activation(
    ActivationInfo(
        name="squ",
        formula="x^2 + x",
        latex=r"x^2 + x",
        paper=_OSC_PAPER,
        aliases=("shifted_quadratic_unit",),
        bounded_below=True,
        output_range=(-0.25, INF),
        category="seed",
        notes="Polynomial: overflows float16 for |x| > ~255; unbounded, needs normalisation in deep nets.",
    )
)
class SQU(Activation):
    r"""Shifted Quadratic Unit, ``SQU(z) = z^2 + z`` (Noel et al., arXiv 2111.04020).

    Minimum -1/4 at z = -1/2. No parameters.
    """

    formula = staticmethod(squ)


def ncu(x: torch.Tensor) -> torch.Tensor:
    return x - x * x * x


@register_activation(
    ActivationInfo(
        name="ncu",
        formula="x - x^3",
        latex=r"x - x^3",
        paper=_OSC_PAPER,
        aliases=("non_monotonic_cubic_unit",),
        category="seed",
        notes="Polynomial: overflows float16 for |x| > ~40; tends to -inf as x -> inf.",
    )
)
class NCU(Activation):
    r"""Non-Monotonic Cubic Unit, ``NCU(z) = z - z^3`` (Noel et al., arXiv 2111.04020).

    Derivative ``1 - 3 z^2``. No parameters.
    """

    formula = staticmethod(ncu)


def ssu(x: torch.Tensor) -> torch.Tensor:
    u = x - PI
    near = u.abs() < _TAYLOR_RADIUS
    direct = PI * torch.sin(x) / torch.where(near, torch.ones_like(x), -u)
    at_pi = PI * _sinc_series(torch.where(near, u, torch.zeros_like(u)))
    return torch.where(near, at_pi, direct)


@register_activation(
    ActivationInfo(
        name="ssu",
        formula="pi * sinc(x - pi) = pi * sin(x) / (pi - x), sinc(u) = sin(u)/u",
        latex=r"\pi\,\mathrm{sinc}(x - \pi) = \frac{\pi \sin x}{\pi - x}",
        paper=_OSC_PAPER,
        aliases=("shifted_sinc_unit",),
        bounded_below=True,
        bounded_above=True,
        output_range=(_SSU_MIN, PI),
        category="seed",
        notes="Sinc convention UNCONFIRMED: we use the unnormalised sinc sin(u)/u (SSU(0)=0, SSU'(0)=1); "
        "the normalised one gives SSU(0)=-0.137. SSU(pi)=pi (removable singularity, Taylor branch).",
    )
)
class SSU(Activation):
    r"""Shifted Sinc Unit, ``SSU(z) = pi sinc(z - pi) = pi sin(z) / (pi - z)`` (arXiv 2111.04020).

    Uses the unnormalised sinc ``sin(u)/u`` (the paper's convention is UNCONFIRMED; this is the
    one with SSU(0) = 0 and slope 1 at 0). The closed form ``pi sin z / (pi - z)`` is evaluated
    with a masked safe denominator; within a small radius of the removable singularity z = pi
    (value pi) it switches to ``pi sinc(z - pi)`` with a Taylor-series sinc,
    so forward and backward are finite for every input. Half inputs are computed in float32.
    """

    formula = staticmethod(ssu)
    compute_fp32 = True


def dsu(x: torch.Tensor) -> torch.Tensor:
    u, v = x - PI, x + PI  # distances to the two singularities
    near_pos, near_neg = u.abs() < _TAYLOR_RADIUS, v.abs() < _TAYLOR_RADIUS
    near = near_pos | near_neg
    direct = PI**2 * torch.sin(x) / torch.where(near, torch.ones_like(x), (PI - x) * (PI + x))
    u0 = torch.where(near_pos, u, torch.zeros_like(u))
    v0 = torch.where(near_neg, v, torch.zeros_like(v))
    at_pos = PI**2 * _sinc_series(u0) / (2 * PI + u0)
    at_neg = -(PI**2) * _sinc_series(v0) / (2 * PI - v0)
    return torch.where(near_pos, at_pos, torch.where(near_neg, at_neg, direct))


@register_activation(
    ActivationInfo(
        name="dsu",
        formula="pi/2 * (sinc(x - pi) - sinc(x + pi)) = pi^2 sin(x) / (pi^2 - x^2)",
        latex=(
            r"\frac{\pi}{2}\left(\mathrm{sinc}(x-\pi) - \mathrm{sinc}(x+\pi)\right)"
            r" = \frac{\pi^2 \sin x}{\pi^2 - x^2}"
        ),
        paper=_OSC_PAPER,
        aliases=("decaying_sine_unit",),
        bounded_below=True,
        bounded_above=True,
        output_range=(-_DSU_MAX, _DSU_MAX),
        category="seed",
        notes="Unnormalised sinc (UNCONFIRMED convention, see ssu). DSU(+-pi)=+-pi/2 (removable "
        "singularities, Taylor branch).",
    )
)
class DSU(Activation):
    r"""Decaying Sine Unit, ``DSU(z) = (pi/2)(sinc(z - pi) - sinc(z + pi)) = pi^2 sin z / (pi^2 - z^2)``.

    From arXiv 2111.04020, with the unnormalised sinc (DSU(0) = 0, DSU'(0) = 1). The closed form
    is evaluated with a masked safe denominator; within a small radius of z = +-pi it switches
    to ``+-pi^2 sinc(u) / (2 pi +- u)`` (u = z -+ pi) with a Taylor-series sinc, so value and
    gradient are finite at the removable singularities (DSU(+-pi) = +-pi/2). Half inputs are
    computed in float32.
    """

    formula = staticmethod(dsu)
    compute_fp32 = True
