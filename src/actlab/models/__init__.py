"""Model zoo: the seed papers' architectures, every one taking ``act`` (and ``norm``) as arguments."""

from ._registry import MODELS, ModelInfo, create_model, list_models, model_info, register_model

# Family modules (each registers its builders).  [model-families]
from . import (  # noqa: E402,F401  (models-cnn)
    allcnn, cnn1d, damage_cnn, densenet, lenet, mlp, mobilenet, pynada, resnet, resnet_cifar, simple_cnn,
    single_neuron, vgg, wrn,
)
from . import mocapsnet, spiking_resnet  # noqa: E402,F401  (models-special)

__all__ = ["MODELS", "ModelInfo", "create_model", "list_models", "model_info", "register_model"]
