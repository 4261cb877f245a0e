"""hyperzoo for Python: read hyperzoo's model zoos, sampled populations, autoencoder checkpoints
and archives with h5py and numpy; hand them to PyTorch when it is installed.

    import hyperzoo
    with hyperzoo.open_zoo("zoo.h5") as zoo:
        train = zoo.select(split="train", epoch=range(21, 26))
        X = train.rows()                               # float32 [N, P]
        net.load_state_dict(train.state_dict(0, framework="torch"))
        data = train.as_torch_dataset(tokens=True)     # neuron tokens for a DataLoader

Only the documented on-disk layouts are read (schemas/zoo-layout.md, population.schema.json,
ae-checkpoint.md, manifest.schema.json); anything else raises `FormatError` naming the file and
the object.
"""
from .archive import Archive, ArchiveModel, load_archive
from .autoencoder import Autoencoder, open_autoencoder
from .errors import FormatError
from .safetensors import load_file as load_safetensors
from .table import ParameterEntry, ParameterTable
from .tokens import NeuronTokenLayout
from .zoo import METRICS, Checkpoint, Model, Population, Zoo, open_population, open_zoo

__version__ = "0.1.0"
__all__ = ["open_zoo", "open_population", "open_autoencoder", "load_archive", "load_safetensors", "FormatError",
           "Zoo", "Population", "Checkpoint", "Model", "Autoencoder", "Archive", "ArchiveModel",
           "ParameterTable", "ParameterEntry", "NeuronTokenLayout", "METRICS"]
