"""Delivery: the commands a pipeline runs, in the order it runs them (prepare, preview, deploy, smoke, rollback).

Every workflow step calls one of these (or a Make target wrapping them), so the chain a pull request or a
merge goes through runs unchanged on a laptop; only the Pulumi CLI and the cloud credentials differ.
"""
