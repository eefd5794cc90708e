"""Model zoo: the seed papers' architectures, every one taking ``act`` (and ``norm``) as arguments."""

from ._registry import MODELS, ModelInfo, create_model, list_models, model_info, register_model

# Family modules (each registers its builders).  [model-families]
from . import cnn1d, lenet, mlp, pynada, resnet, resnet_cifar, simple_cnn, single_neuron, wrn  # noqa: E402,F401  (models-cnn)

__all__ = ["MODELS", "ModelInfo", "create_model", "list_models", "model_info", "register_model"]
