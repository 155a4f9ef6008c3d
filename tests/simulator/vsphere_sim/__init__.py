"""vsphere_sim: a vSphere SOAP simulator built on pyVmomi's own type system and codec.

Start it with ``PYTHONPATH=tests/simulator python -m vsphere_sim --inventory FILE --port 0``.
Distributed switches (``dvs.py``) plug into the host layer through the hooks in ``objects.py``;
``inventory.py`` imports them, so every simulator built from an inventory has them.
"""
