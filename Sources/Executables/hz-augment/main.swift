// hz-augment: the 'augment' stage as its own executable (same command as `hyperzoo augment`).
import HyperZooCLI
#if canImport(Glibc)
import Glibc
#endif

// Until the 'augment' stage lands, this executable says so and fails.
print("hz-augment: the 'augment' stage is not part of this build yet")
exit(2)
