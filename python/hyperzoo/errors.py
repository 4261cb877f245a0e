"""The one exception every reader of this package raises for a file that breaks its documented layout."""


class FormatError(ValueError):
    """A file (or an entry of an archive) does not follow the documented hyperzoo layout.

    The message is one line naming the file, the object inside it, what was expected and,
    where there is one, how to fix it, e.g.
    ``zoo.h5:/architectures/cnn_s/weights: expected float32, found float64``.

    Attributes:
        path: the file (or archive) that was read.
        object: the HDF5 object, JSON member or archive entry at fault ("" for the file itself).
        reason: what was wrong, without the location.
    """

    def __init__(self, path, object_name, reason):
        self.path = str(path)
        self.object = object_name or ""
        self.reason = reason
        where = f"{self.path}:{self.object}" if self.object else self.path
        super().__init__(f"{where}: {reason}")
