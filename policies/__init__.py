"""Slipstack's CrossGuard policy pack: one pure rule per file, run by Pulumi or offline on a plan file."""
