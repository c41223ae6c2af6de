"""Extraction layer: text in, records out. Imports nothing from spiders, datasets or flows.

The public entry point is `models.extract.extract(text, lang=None)`.
"""
