// hz-train: the 'train' stage as its own executable (same command as `hyperzoo train`).
import HyperZooCLI

TrainCommand.main()
