// hz-sample: the 'sample' stage as its own executable (same command as `hyperzoo sample`).
import HyperZooCLI

SampleCommand.main()
