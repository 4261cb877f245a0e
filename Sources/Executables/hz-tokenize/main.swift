// hz-tokenize: the 'tokenize' stage as its own executable (same command as `hyperzoo tokenize`).
import HyperZooCLI
#if canImport(Glibc)
import Glibc
#endif

// Until the 'tokenize' stage lands, this executable says so and fails.
print("hz-tokenize: the 'tokenize' stage is not part of this build yet")
exit(2)
