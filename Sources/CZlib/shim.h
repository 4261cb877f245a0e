// zlib (Debian: zlib1g-dev; pkg-config `zlib`). Swift cannot import the `inflateInit2` macro,
// so the shim wraps it in a function.
#ifndef HYPERZOO_CZLIB_SHIM_H
#define HYPERZOO_CZLIB_SHIM_H
#include <zlib.h>
static inline int hz_inflateInit2(z_stream *strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
#endif
