// hz-train: the 'train' stage as its own executable (same command as `hyperzoo train`).
import HyperZooCLI
#if canImport(Glibc)
import Glibc
#endif

// Until the 'train' stage lands, this executable says so and fails.
print("hz-train: the 'train' stage is not part of this build yet")
exit(2)
