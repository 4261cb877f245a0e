// HyperRep: tokenizers, augmentations, the hyper-representation autoencoder, losses, samplers.
import Tensor
import Nets
import ZooStore
