// hz-pipeline: the 'pipeline' stage as its own executable (same command as `hyperzoo pipeline`).
import HyperZooCLI
#if canImport(Glibc)
import Glibc
#endif

// Until the 'pipeline' stage lands, this executable says so and fails.
print("hz-pipeline: the 'pipeline' stage is not part of this build yet")
exit(2)
