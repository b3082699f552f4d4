"""Exports of a finished build: GEXF for Gephi, RDF serialisations, CSV tables.

Each format reads the build through :mod:`kg.export.records`, applies the same slice options
(:mod:`kg.export.selection`) and writes atomically (:mod:`kg.atomic`).
"""
