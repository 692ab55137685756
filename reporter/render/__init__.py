"""Renderers: one report model, several outputs."""
