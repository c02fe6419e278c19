"""Actions: one module per verb (template, lint, show, …); the CLI calls these."""
