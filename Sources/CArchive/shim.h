// libarchive's AE_IF* file-type macros are casts Swift cannot import (research notes §4).
#ifndef HYPERZOO_CARCHIVE_SHIM_H
#define HYPERZOO_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
// SHA-256 for manifests and cache keys: nettle, which libarchive itself links (Debian: nettle-dev);
// its x86-64 build uses the SHA-NI instructions when the CPU has them.
#include <nettle/sha2.h>

static inline unsigned int hz_AE_IFREG(void) { return (unsigned int)AE_IFREG; }
static inline unsigned int hz_AE_IFDIR(void) { return (unsigned int)AE_IFDIR; }
static inline unsigned int hz_AE_IFLNK(void) { return (unsigned int)AE_IFLNK; }
static inline unsigned int hz_AE_IFMT(void) { return (unsigned int)AE_IFMT; }
#endif
