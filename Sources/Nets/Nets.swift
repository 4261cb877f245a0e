// Nets: zoo architectures (CNN-s, CNN-m, MLP), datasets, population training.
import Tensor
import ZooStore
