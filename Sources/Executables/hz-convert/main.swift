// hz-convert: the 'convert' stage as its own executable (same command as `hyperzoo convert`).
import HyperZooCLI

ConvertCommand.main()
