// hz-convert: the 'convert' stage as its own executable (same command as `hyperzoo convert`).
import HyperZooCLI
#if canImport(Glibc)
import Glibc
#endif

// Until the 'convert' stage lands, this executable says so and fails.
print("hz-convert: the 'convert' stage is not part of this build yet")
exit(2)
