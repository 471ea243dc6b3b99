"""Names that several sides of Slipstack must agree on.

The stacks create alarms on metrics that the drift job publishes; the policy pack reads tags that
the components write; the CLI maps errors from every package to exit codes. Each of those pairs
imports the one definition here instead of keeping two copies that drift apart. This package
imports nothing but the standard library, so it is safe in a container, in CI and in a policy pack.
"""
