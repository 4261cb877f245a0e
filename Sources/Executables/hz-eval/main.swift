// hz-eval: the 'eval' stage as its own executable (same command as `hyperzoo eval`).
import HyperZooCLI
#if canImport(Glibc)
import Glibc
#endif

// Until the 'eval' stage lands, this executable says so and fails.
print("hz-eval: the 'eval' stage is not part of this build yet")
exit(2)
