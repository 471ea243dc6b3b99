"""Model packaging: one artifact, verifiable and portable between SageMaker and Kubernetes.

`package.package_model` builds it (formats/ holds one module per model format), `verify` checks it,
`archive` writes deterministic tars, `publish` uploads it, `fetch` is the Kubernetes init container,
and `serving_contract` holds the ports and paths the serving image and the stacks share. No Pulumi
imports, and heavy frameworks load lazily: this runs in CI, in containers and on laptops.
"""
