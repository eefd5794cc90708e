"""All-CNN-C (Springenberg, Dosovitskiy, Brox & Riedmiller, "Striving for Simplicity: The All
Convolutional Net", ICLR-W 2015, arXiv 1412.6806), in the paper's 6x6 global-average form.

Layer list (UNCONFIRMED against the PDF; matches the paper's 6x6 global average and public
re-implementations): dropout 0.2 on the input; 3x3 conv 96, 3x3 conv 96, 3x3 conv 96 stride 2
(replaces max-pool; 32 -> 16), dropout 0.5; 3x3 conv 192 x2, 3x3 conv 192 stride 2 (16 -> 8),
dropout 0.5; 3x3 conv 192 **valid** (8 -> 6); 1x1 conv 192; 1x1 conv ``num_classes``; global
average over 6x6. Every conv has a bias and is followed by the activation, the last one
included (the paper's table puts ReLU after the class conv; ``final_act=False`` drops it).
1,369,738 parameters for 10 classes. No pooling layer except the global average.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._common import ActSites, NormFactory, make_norm
from ._registry import register_model

__all__ = ["AllCNNC", "allcnn_c"]

# (out channels, kernel, stride, padding, dropout after)
_LAYERS = [(96, 3, 1, 1, 0), (96, 3, 1, 1, 0), (96, 3, 2, 1, 1), (192, 3, 1, 1, 0), (192, 3, 1, 1, 0),
           (192, 3, 2, 1, 1), (192, 3, 1, 0, 0), (192, 1, 1, 0, 0)]


class AllCNNC(nn.Module):
    """All-CNN-C; ``features`` ends with the class conv, then global average pooling."""

    def __init__(
        self, num_classes: int, in_chans: int, act: Any, norm: NormFactory, width_mult: float,
        input_dropout: float, dropout: float, final_act: bool, downsample: str = "stride",
    ) -> None:
        super().__init__()
        if downsample not in ("stride", "maxpool"):
            raise ValueError(
                f"allcnn_c: downsample must be 'stride' (All-CNN-C) or 'maxpool' (Model C), got {downsample!r}"
            )
        sites = ActSites()
        layers: list[nn.Module] = [nn.Dropout(input_dropout)]
        c = in_chans
        for w, k, s, p, drop in _LAYERS:
            w = max(1, int(round(w * width_mult)))
            if s == 2 and downsample == "maxpool":  # Model C: a 3x3 max-pool (stride 2) in place of the conv
                layers.append(nn.MaxPool2d(3, 2, padding=1))
            else:
                layers += [nn.Conv2d(c, w, k, s, p), make_norm(norm, w)]
                layers.append(sites(act, f"features.{len(layers)}", w))
            if drop:
                layers.append(nn.Dropout(dropout))
            c = w
        layers += [nn.Conv2d(c, num_classes, 1), make_norm(norm, num_classes)]
        layers.append(sites(act, f"features.{len(layers)}", num_classes) if final_act else nn.Identity())
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.pool(self.features(x)), 1)


@register_model(
    "allcnn_c", family="allcnn",
    paper="Springenberg et al., Striving for Simplicity: The All Convolutional Net, ICLR-W 2015, arXiv 1412.6806",
    input_shape=(3, 32, 32), test_shape=(3, 32, 32), test_kwargs={"width_mult": 1 / 24},
)
def allcnn_c(
    num_classes: int = 10, in_chans: int = 3, act: Any = "relu", norm: NormFactory = None, width_mult: float = 1.0,
    input_dropout: float = 0.2, dropout: float = 0.5, final_act: bool = True, downsample: str = "stride",
) -> AllCNNC:
    """All-CNN-C, 6x6 global-average form (1,369,738 parameters, 9 activation sites).

    Args:
        num_classes: classes (the last 1x1 conv's channels). in_chans: image channels.
        act: activation spec. norm: optional ``norm(C)`` after each conv (the paper has none).
        width_mult: scales the 96/192 widths. input_dropout: on the input (0.2).
        dropout: after each stride-2 conv (0.5). final_act: activation after the class conv.
        downsample: ``"stride"`` (All-CNN-C) or ``"maxpool"``: each stride-2 conv replaced by a 3x3
            max-pool with stride 2 (the paper's base Model C, for the "strided conv instead of max-pool"
            comparison; 2 fewer conv layers).
    """
    return AllCNNC(num_classes, in_chans, act, norm, width_mult, input_dropout, dropout, final_act, downsample)
