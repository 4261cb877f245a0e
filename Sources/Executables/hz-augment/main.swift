// hz-augment: the 'augment' stage as its own executable (same command as `hyperzoo augment`).
import HyperZooCLI

AugmentCommand.main()
