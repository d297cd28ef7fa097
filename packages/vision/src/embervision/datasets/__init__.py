"""`embervision.datasets`: datasets with torchvision's interface."""
from .cifar import CIFAR10, CIFAR100
from .digits import Digits
from .fakedata import FakeData
from .folder import DatasetFolder, ImageFolder
from .mnist import EMNIST, KMNIST, MNIST, FashionMNIST
from .stl10 import STL10
from .svhn import SVHN
from .vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100", "EMNIST", "KMNIST", "MNIST", "STL10", "SVHN", "DatasetFolder",
           "Digits", "FakeData", "FashionMNIST", "ImageFolder", "VisionDataset"]
