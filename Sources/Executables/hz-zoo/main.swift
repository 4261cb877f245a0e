// hz-zoo: the 'zoo' stage as its own executable (same command as `hyperzoo zoo`).
import HyperZooCLI

ZooCommand.main()
