"""The discord.py adapter over the hashdb and protocols cores."""
