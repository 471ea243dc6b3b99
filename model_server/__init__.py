"""Slipstack's model server: an MLServer runtime that serves packaged artifacts.

`model_server.runtime.SlipstackRuntime` is the MLServer runtime named in every artifact's
model-settings.json; `model_server.request_path` holds the MLServer-free request path (signature
checks, canonical features, prediction, response tensors) so it can be tested and extended (a
prediction cache keyed on the canonical features and the model version) without a server.
"""
