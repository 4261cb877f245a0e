// hz-archive: the 'archive' stage as its own executable (same command as `hyperzoo archive`).
import HyperZooCLI
#if canImport(Glibc)
import Glibc
#endif

// Until the 'archive' stage lands, this executable says so and fails.
print("hz-archive: the 'archive' stage is not part of this build yet")
exit(2)
