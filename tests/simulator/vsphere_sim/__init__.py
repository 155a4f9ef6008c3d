"""vsphere_sim: a vSphere SOAP simulator built on pyVmomi's own type system and codec.

Start it with ``PYTHONPATH=tests/simulator python -m vsphere_sim --inventory FILE --port 0``.
Optional feature modules (distributed switches) register themselves here.
"""

import importlib

for _plugin in ("dvs",):
    try:
        importlib.import_module("vsphere_sim.mo." + _plugin)
    except ModuleNotFoundError as _err:
        if _err.name not in ("vsphere_sim.mo", "vsphere_sim.mo." + _plugin):
            raise
