"""Helpers the tests share. A test module imports helpers from here, never from another test module or
a conftest (docs/development.md, "Tests")."""
