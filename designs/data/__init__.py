"""Design data files, one ``<slug>.toml`` per design (a package so that setuptools ships them)."""
