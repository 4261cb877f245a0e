// HDF5 macros that Swift's ClangImporter cannot import (they expand to H5open() calls or
// casts), exposed as static inline functions. See shared research notes §1.3.
#ifndef HYPERZOO_CHDF5_SHIM_H
#define HYPERZOO_CHDF5_SHIM_H
#include <hdf5.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

static inline unsigned hz_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned hz_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline unsigned hz_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned hz_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }

static inline hid_t hz_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t hz_H5P_FILE_CREATE(void) { return H5P_FILE_CREATE; }
static inline hid_t hz_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t hz_H5P_DATASET_ACCESS(void) { return H5P_DATASET_ACCESS; }
static inline hid_t hz_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
static inline hid_t hz_H5P_GROUP_CREATE(void) { return H5P_GROUP_CREATE; }
static inline hid_t hz_H5P_ATTRIBUTE_CREATE(void) { return H5P_ATTRIBUTE_CREATE; }
static inline hid_t hz_H5P_DATASET_XFER(void) { return H5P_DATASET_XFER; }

static inline hid_t hz_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t hz_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t hz_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t hz_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t hz_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t hz_H5T_NATIVE_UINT16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t hz_H5T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }
static inline hid_t hz_H5T_IEEE_F64LE(void) { return H5T_IEEE_F64LE; }
static inline hid_t hz_H5T_STD_I32LE(void) { return H5T_STD_I32LE; }
static inline hid_t hz_H5T_STD_I64LE(void) { return H5T_STD_I64LE; }
static inline hid_t hz_H5T_STD_U8LE(void) { return H5T_STD_U8LE; }
static inline hid_t hz_H5T_C_S1(void) { return H5T_C_S1; }
static inline size_t hz_H5T_VARIABLE(void) { return H5T_VARIABLE; }
static inline hsize_t hz_H5S_UNLIMITED(void) { return H5S_UNLIMITED; }
static inline H5F_libver_t hz_H5F_LIBVER_LATEST(void) { return H5F_LIBVER_LATEST; }
static inline H5F_libver_t hz_H5F_LIBVER_V18(void) { return H5F_LIBVER_V18; }
static inline unsigned hz_H5F_OBJ_ALL(void) { return H5F_OBJ_ALL; }
static inline hid_t hz_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t hz_H5S_ALL(void) { return H5S_ALL; }
static inline hid_t hz_H5E_DEFAULT(void) { return H5E_DEFAULT; }
static inline hid_t hz_H5T_IEEE_F16LE(void) {
    /* HDF5 1.10 has no predefined half type; build IEEE binary16 the way h5py does. */
    hid_t t = H5Tcopy(H5T_IEEE_F32LE);
    if (t < 0) return t;
    H5Tset_fields(t, 15, 10, 5, 0, 10);
    H5Tset_size(t, 2);
    H5Tset_ebias(t, 15);
    H5Tset_precision(t, 16);
    return t;
}
/* See HDF5Library.keepChunkBuffersOnTheHeap: serve chunk-sized buffers from the heap. */
static inline void hz_keep_chunk_buffers_on_heap(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}
/* H5Treclaim is declared but not exported by Debian 12's libhdf5_serial.so.103 (notes §1.4). */
static inline herr_t hz_vlen_reclaim(hid_t type, hid_t space, void *buf) {
    return H5Dvlen_reclaim(type, space, H5P_DEFAULT, buf);
}
#endif
