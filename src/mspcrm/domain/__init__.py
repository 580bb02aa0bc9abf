"""Pure domain: entity declarations, field kinds, picklists, validation, rules."""
