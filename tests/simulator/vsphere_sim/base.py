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

from pyVmomi import vmodl

from .state import Simulator

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def invalid(prop: str, msg: str = "") -> vmodl.fault.InvalidArgument:
    return vmodl.fault.InvalidArgument(invalidProperty=prop, msg=msg or None)


class MO:
    """Base managed object."""

    WSDL = "ManagedObject"
    PYTYPE: Any = None
    WRITES: frozenset = frozenset()

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
