"""The policy file: per-contract clocks, escalation and calendar rules, per-organisation sign-in."""
