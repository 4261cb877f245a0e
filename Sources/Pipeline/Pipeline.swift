// Pipeline: operator protocol, record streams, spec decoding and validation, DAG runner, cache.
