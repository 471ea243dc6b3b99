"""The Slipstack CrossGuard pack.

Run: `pulumi preview --policy-pack policies --policy-pack-config policies/config/prod.json`.

Only assembles the pack: constructing PolicyPack starts the analyzer's gRPC server and blocks.
"""

import sys
from pathlib import Path

# The engine runs this file with policies/ as the working directory; the pack imports `policies`
# and `contracts` from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.crossguard import build_policies

PolicyPack(
    name="slipstack",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=build_policies(),
)
