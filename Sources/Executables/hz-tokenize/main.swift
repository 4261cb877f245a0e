// hz-tokenize: the 'tokenize' stage as its own executable (same command as `hyperzoo tokenize`).
import HyperZooCLI

TokenizeCommand.main()
