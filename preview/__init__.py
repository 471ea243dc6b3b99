"""Pull-request previews: what a change does to every stack, whether it is safe, and what it costs.

Reads the plan folders written by `slipstack plan` (plan.json, plus policy.json from `slipstack
policy`) for the base and the head of a pull request, and renders one Markdown comment: per stack the
resource diff (secrets masked), the policy verdict, a Mermaid diagram and an estimated monthly cost.
Works offline, so it runs on every pull request, forks included.
"""
