// Tests for HDF5 live here.
