"""Crisis protocols as data, the incident engine and drills (pure core: no Discord, no HTTP)."""
