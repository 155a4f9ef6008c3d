"""vsphere_sim: a vSphere SOAP simulator built on pyVmomi's own type system and codec.

Start it with ``PYTHONPATH=tests/simulator python -m vsphere_sim --inventory FILE --port 0``.
One module per managed-object group (``service``, ``host``, ``host_network``, ``storage``, ``iscsi``,
``dvs``, ``networks``, ``host_services``) on top of ``state`` (the registry, dispatch, ``--state``) and
``base`` (the managed-object base class); ``state`` imports none of them. Objects find each other
through the registry (``Simulator.find`` / ``of_type``), not through module globals.
"""
