// hz-pipeline: the 'pipeline' command as its own executable (same command as `hyperzoo pipeline`).
import HyperZooCLI

PipelineCommand.main()
