"""Names the delivery pipeline and the `slipstack` delivery commands share.

The workflows in .github/ pass these environment variables and the commands read them; the stack tags
are written by `slipstack deploy` at the end of a good run and read by `slipstack rollback`. Tests read
both sides from here, so a rename cannot leave one side behind.
"""

from __future__ import annotations

# Stack tags recording the last good deployment of a stack (Pulumi Cloud and, since CLI 3.211, DIY
# backends persist them). Tag names stay under 40 characters and values under 256, Pulumi's limits.
DEPLOYED_COMMIT_TAG = "slipstack:deployed-commit"
# sha256 over the sorted "model=digest" lines of every artifact the run deployed: 64 characters whatever
# the number of models, and enough for a rollback to prove it re-deploys exactly those artifacts.
DEPLOYED_ARTIFACTS_TAG = "slipstack:deployed-artifacts"

# Settings a deploy job needs, as environment variables (GitHub: environment-scoped variables/secrets).
AWS_ROLE_ENV = "AWS_DEPLOY_ROLE_ARN"
BACKEND_URL_ENV = "PULUMI_BACKEND_URL"
PASSPHRASE_ENV = "PULUMI_CONFIG_PASSPHRASE"
# base64 of a kubeconfig holding the stack's context, from a secret scoped to the stack's environment.
KUBECONFIG_DATA_ENV = "KUBECONFIG_DATA"
# The on-prem artifact store `slipstack deploy` publishes to (stack setting kubernetes.artifact_store_*): an access
# key allowed to write its models/ prefix, the PEM CA bundle that signs its certificate (when the stack sets
# artifact_store_ca_bundle), and optionally the address the runner reaches it at when that is not the pods'
# (an in-cluster endpoint seen from outside the cluster) and the store's region (default us-east-1).
ARTIFACT_STORE_ACCESS_KEY_ENV = "SLIPSTACK_ARTIFACT_STORE_ACCESS_KEY_ID"
ARTIFACT_STORE_SECRET_KEY_ENV = "SLIPSTACK_ARTIFACT_STORE_SECRET_ACCESS_KEY"
ARTIFACT_STORE_CA_ENV = "SLIPSTACK_ARTIFACT_STORE_CA_BUNDLE"
ARTIFACT_STORE_ENDPOINT_ENV = "SLIPSTACK_ARTIFACT_STORE_ENDPOINT"
ARTIFACT_STORE_REGION_ENV = "SLIPSTACK_ARTIFACT_STORE_REGION"
# Repository variable naming a self-hosted runner that reaches a stack's cluster: SLIPSTACK_<STACK>_RUNNER.
RUNNER_VARIABLE_TEMPLATE = "SLIPSTACK_{stack}_RUNNER"
# Pulumi.<stack>.yaml top-level key for the state's secrets provider (awskms://, passphrase, ...).
SECRETS_PROVIDER_KEY = "secretsprovider"

# Files the preview writes for the comment workflow and the approval job.
PREVIEW_DIR = "build/preview"
COMMENT_DIR = "build/comment"
COMMENT_FILE = "comment.md"
VERDICT_FILE = "verdict.json"


def runner_variable(stack: str) -> str:
    return RUNNER_VARIABLE_TEMPLATE.format(stack=stack.upper().replace("-", "_"))
