"""Slipstack's model server: an MLServer runtime that serves packaged artifacts, and batch scoring.

`model_server.runtime.SlipstackRuntime` is the MLServer runtime named in every artifact's
model-settings.json; `model_server.request_path` holds the MLServer-free request path (signature
checks, canonical features, prediction, response tensors), shared by the runtime and by
`model_server.batch` (the batch CronJob). `prediction_cache` and `request_capture` are the runtime's
opt-in stages, `serving_metrics` their Prometheus metrics.
"""
