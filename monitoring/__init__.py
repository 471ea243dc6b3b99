"""Model monitoring runtime: reference profiles, drift and quality checks, smoke tests.

No Pulumi imports here: these jobs run in CI, in a container and on a laptop.
"""
