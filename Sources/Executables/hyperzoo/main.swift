// hyperzoo: the umbrella command; every stage is a subcommand.
import HyperZooCLI

HyperZooCommand.main()
