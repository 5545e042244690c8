"""The ``badge`` command (installed as the import package ``openbadge_ctq_cli``)."""
