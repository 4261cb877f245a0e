// hz-sample: the 'sample' stage as its own executable (same command as `hyperzoo sample`).
import HyperZooCLI
#if canImport(Glibc)
import Glibc
#endif

// Until the 'sample' stage lands, this executable says so and fails.
print("hz-sample: the 'sample' stage is not part of this build yet")
exit(2)
