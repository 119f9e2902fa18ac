"""The bundled local news web used by `newsarc demo` and the tests."""
