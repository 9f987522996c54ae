"""Pure rules: no I/O, no database; the service applies them, tests call them directly."""
