"""The registry of claim studies and of the 20 seed papers they cover."""

from __future__ import annotations

import difflib

from .studies_acts import ACTIVATION_STUDIES
from .studies_arch import ARCH_STUDIES
from .studies_methods import METHOD_STUDIES
from .study import Study

__all__ = ["PAPERS", "STUDIES", "get_studies", "list_studies", "papers_without_study"]

# Seed paper number (section of /work/shared/spec/seed_spec.md) -> short citation.
PAPERS: dict[int, str] = {
    1: "PVLU (Gupta & Ahuja, arXiv 2110.12246)",
    2: "Nish (Anagun & Isik, arXiv 2210.09083)",
    3: "ADA / PyNADA (Georgescu et al., arXiv 2003.03229)",
    4: "CoLU (Vagerwal, arXiv 2112.12078)",
    5: "Adaptive AFs survey (Jagtap & Karniadakis, arXiv 2209.02681)",
    6: "Logit-space AND/OR/XNOR (Lowe et al., NeurIPS 2022, arXiv 2110.11940)",
    7: "AF survey and benchmark (Dubey, Singh & Chaudhuri, Neurocomputing 2022)",
    8: "FPLUS / PFPLUS (Duan, Yang & Dai, arXiv 2111.14349)",
    9: "Adaptively customizing AFs (Hu et al., IEEE TNNLS 2023)",
    10: "Oscillating AFs (Noel et al., arXiv 2111.04020)",
    11: "AutoInit (Bingham & Miikkulainen, arXiv 2109.08958)",
    12: "Layer Langevin (Bras, arXiv 2212.14718)",
    13: "Layer-wise reinitialization (Alabdulmohsin et al., arXiv 2109.00267)",
    14: "Wide ResNets (Zagoruyko & Komodakis, BMVC 2016)",
    15: "Stochastic depth (Huang et al., ECCV 2016)",
    16: "All-CNN (Springenberg et al., ICLR-W 2015)",
    17: "Spiking ResNet (Vicente-Sola et al., NCE 2022)",
    18: "MoCapsNet (Gugglberger et al., TMLR 2022)",
    19: "Do better ImageNet models transfer better? (Kornblith et al., CVPR 2019)",
    20: "Hurricane Harvey damage (Bao 2022; data Cao & Choe 2020)",
}

STUDIES: dict[str, Study] = {}
for _s in (*ACTIVATION_STUDIES, *METHOD_STUDIES, *ARCH_STUDIES):
    if _s.name in STUDIES:
        raise ValueError(f"duplicate claims study name {_s.name!r}")
    STUDIES[_s.name] = _s


def list_studies() -> list[str]:
    """Study names in registry order (grouped by paper family)."""
    return list(STUDIES)


def get_studies(names: list[str] | None = None) -> list[Study]:
    """The studies called ``names`` (all when empty), in registry order of the request.

    Raises:
        ValueError: an unknown name, with the closest valid names.
    """
    if not names:
        return list(STUDIES.values())
    out = []
    for n in names:
        if n not in STUDIES:
            close = difflib.get_close_matches(n, list(STUDIES), n=3, cutoff=0.4)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ValueError(f"unknown claims study {n!r}{hint} (see `actlab claims list`)")
        out.append(STUDIES[n])
    return out


def papers_without_study() -> list[int]:
    """Seed papers no study covers (empty when every paper has at least one)."""
    covered = {s.paper for s in STUDIES.values()}
    return [p for p in PAPERS if p not in covered]
