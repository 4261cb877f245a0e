// hz-zoo: the 'zoo' stage as its own executable (same command as `hyperzoo zoo`).
import HyperZooCLI
#if canImport(Glibc)
import Glibc
#endif

// Until the 'zoo' stage lands, this executable says so and fails.
print("hz-zoo: the 'zoo' stage is not part of this build yet")
exit(2)
