"""Perceptual-hash database of violent extremist content (pure core: no Discord, no HTTP server)."""
