"""The build's checks: provenance, SHACL and SPARQL quality checks, each returning problems."""
