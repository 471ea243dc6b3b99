"""Slipstack: from one model deployment spec to secure, monitored production stacks."""

__version__ = "0.1.0"
