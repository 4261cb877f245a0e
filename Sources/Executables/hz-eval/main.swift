// hz-eval: the 'eval' stage as its own executable (same command as `hyperzoo eval`).
import HyperZooCLI

EvalCommand.main()
