// HDF5: an h5py-shaped Swift wrapper over the HDF5 C library (CHDF5). See docs/ARCHITECTURE.md.
import CHDF5
