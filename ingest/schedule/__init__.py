"""When to check a source next (pure policy) and who holds a lease."""
