// hz-archive: the 'archive' stage as its own executable (same command as `hyperzoo archive`).
import HyperZooCLI

ArchiveCommand.main()
