"""Spec-to-stack composition: turns deployment specs plus a stack's configuration into components."""
