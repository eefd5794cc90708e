"""Model zoo: the seed papers' architectures, every one taking ``act`` (and ``norm``) as arguments."""

# Importing a family module registers its builders.
from . import (  # noqa: F401
    allcnn,
    cnn1d,
    damage_cnn,
    densenet,
    gpt,
    lenet,
    mlp,
    mobilenet,
    mocapsnet,
    pynada,
    resnet,
    resnet_cifar,
    simple_cnn,
    single_neuron,
    spiking_resnet,
    vgg,
    vit,
    wrn,
)
from ._registry import MODELS, ModelInfo, create_model, list_models, model_info, register_model

__all__ = ["MODELS", "ModelInfo", "create_model", "list_models", "model_info", "register_model"]
