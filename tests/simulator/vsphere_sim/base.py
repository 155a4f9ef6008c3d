"""The managed-object base class every simulated object derives from.

A managed object class declares ``WSDL`` (wire type name), ``PYTYPE`` (pyVmomi type),
properties as ``p_<name>(self)`` methods returning pyVmomi values, methods as
``m_<WsdlName>(self, ctx, **params)`` and the set ``WRITES`` of methods that change state.
Objects live in the simulator's registry (``state.Simulator``): by moId (``find``/``lookup``)
and by pyVmomi type (``of_type``).
"""

from __future__ import annotations

import datetime
from typing import Any

from pyVmomi import VmomiSupport, vmodl

from .state import Simulator

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def clone(value: Any) -> Any:
    """A deep copy of pyVmomi data (data objects and arrays; references and scalars are shared),
    several times cheaper than ``copy.deepcopy``: the values were checked when first set."""
    if isinstance(value, VmomiSupport.DataObject):
        new = object.__new__(type(value))
        for name, member in value.__dict__.items():
            object.__setattr__(new, name, clone(member))
        return new
    if isinstance(value, list):
        return type(value)(clone(item) for item in value)
    return value


def invalid(prop: str, msg: str = "") -> vmodl.fault.InvalidArgument:
    return vmodl.fault.InvalidArgument(invalidProperty=prop, msg=msg or None)


class MO:
    """Base managed object."""

    WSDL = "ManagedObject"
    PYTYPE: Any = None
    WRITES: frozenset = frozenset()
    STATE_PROPS = False
    """True when every property is a function of the saved state (it changes only through calls
    that mark the state changed): reads of it are then kept per state generation (``Simulator.memo``)."""

    def __init__(self, sim: Simulator, moid: str) -> None:
        self.sim = sim
        self.moid = moid

    @property
    def ref(self) -> Any:
        return self.PYTYPE(self.moid)

    def prop(self, name: str) -> Any:
        getter = getattr(self, "p_" + name, None)
        if getter is None:
            raise vmodl.query.InvalidProperty(name=name)
        return getter()

    def cached_prop(self, name: str) -> Any:
        """``prop(name)``, from the memo when the object's properties follow the saved state."""
        if not self.STATE_PROPS:
            return self.prop(name)
        return self.sim.memo(("prop", self.moid, name), lambda: self.prop(name))

    def part(self, name: str, member: str) -> Any:
        """``name.member`` built without the rest of ``name`` (None: build ``name`` whole)."""
        return None

    def has_prop(self, name: str) -> bool:
        return hasattr(self, "p_" + name)

    def prop_names(self) -> list[str]:
        return [n[2:] for n in dir(self) if n.startswith("p_")]

    def inventory_children(self) -> list[MO]:
        """The inventory objects directly below this one (container views and traversal of folders)."""
        return []
