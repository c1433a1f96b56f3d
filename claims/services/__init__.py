"""Every change of a claim, a return, a statement or a dealer account (style.md: services)."""
