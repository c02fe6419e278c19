"""Values: merging defaults with user overrides, --set parsing and schema validation."""
