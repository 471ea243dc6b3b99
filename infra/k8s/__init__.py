"""Kubernetes components: one ComponentResource per file, each with a typed Args dataclass and secure defaults."""
