"""The assignment's declarations, shipped with gdkit as ``gdkit.assignment``: ``contract/<function>.yaml``.

Only the YAML declarations are package data; the master notebook (with its solutions) is not in the package.
"""
