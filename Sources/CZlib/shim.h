// zlib for the Compression target (inflate of gzip/zlib/raw deflate, CRC-32 of ZIP entries).
// inflateInit2 is a macro Swift cannot import, so a shim calls the underlying function.
#ifndef HYPERZOO_CZLIB_SHIM_H
#define HYPERZOO_CZLIB_SHIM_H
#include <zlib.h>

/// inflateInit2(strm, windowBits) as a function (the zlib macro passes version and struct size).
static inline int hz_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
#endif
