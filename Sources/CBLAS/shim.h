// OpenBLAS's CBLAS interface (Debian: libopenblas-dev; pkg-config `openblas` adds the include dir).
#ifndef HYPERZOO_CBLAS_SHIM_H
#define HYPERZOO_CBLAS_SHIM_H
#include <cblas.h>
#endif
