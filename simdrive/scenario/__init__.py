"""Scenario files: loading with source positions, schema, distributions, enumeration."""
