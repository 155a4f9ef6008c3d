"""The service layer: ServiceInstance, SessionManager, tasks, container views and the
PropertyCollector (retrieval with traversal and paging, filters and WaitForUpdates(Ex))."""

from __future__ import annotations

import datetime
import time
from typing import Any

from pyVmomi import vim, vmodl

from .base import MO, NOW, invalid
from .state import Simulator

PC = vmodl.query.PropertyCollector


class ServiceInstance(MO):
    WSDL, PYTYPE = "ServiceInstance", vim.ServiceInstance

    def content(self) -> Any:
        sim = self.sim
        about = sim.about()
        extra = {name: mo.ref for name, mo in sim.content_extras.items()}
        return vim.ServiceInstanceContent(
            rootFolder=sim.root.ref, propertyCollector=sim.pc.ref, viewManager=sim.view_manager.ref,
            sessionManager=sim.session_manager.ref, about=about, taskManager=None, **extra)

    def p_content(self) -> Any:
        return self.content()

    def m_RetrieveServiceContent(self, ctx: Any) -> Any:
        return self.content()

    def m_CurrentTime(self, ctx: Any) -> Any:
        return datetime.datetime.now(datetime.UTC)


class SessionManager(MO):
    WSDL, PYTYPE = "SessionManager", vim.SessionManager

    def __init__(self, sim: Simulator, moid: str) -> None:
        super().__init__(sim, moid)
        self.user_sessions: dict[str, Any] = {}

    def m_Login(self, ctx: Any, userName: str, password: str, locale: str | None = None) -> Any:
        if (userName, password) != self.sim.credentials:
            raise vim.fault.InvalidLogin()
        key = ctx.new_session(userName)
        now = datetime.datetime.now(datetime.UTC)
        session = vim.UserSession(key=key, userName=userName, fullName=userName, loginTime=now, lastActiveTime=now,
                                  locale=locale or "en", messageLocale=locale or "en", extensionSession=False,
                                  ipAddress="127.0.0.1", userAgent="pyVmomi", callCount=0)
        self.user_sessions[key] = session
        return session

    def m_Logout(self, ctx: Any) -> None:
        self.user_sessions.pop(ctx.session_key, None)
        ctx.end_session()

    def m_SessionIsActive(self, ctx: Any, sessionID: str, userName: str) -> bool:
        session = self.user_sessions.get(sessionID)
        return session is not None and session.userName == userName and sessionID in self.sim.sessions

    def p_currentSession(self) -> Any:
        """The caller's own session (the property differs per session, as on a real server)."""
        return self.user_sessions.get(self.sim.current_session)

    def p_sessionList(self) -> Any:
        return [s for k, s in self.user_sessions.items() if k in self.sim.sessions]

    def p_defaultLocale(self) -> str:
        return "en"

    def p_supportedLocaleList(self) -> Any:
        return ["en"]


class Task(MO):
    WSDL, PYTYPE = "Task", vim.Task

    def __init__(self, sim: Simulator, moid: str, name: str, entity: MO, result: Any = None, error: Any = None) -> None:
        super().__init__(sim, moid)
        state = vim.TaskInfo.State.error if error is not None else vim.TaskInfo.State.success
        self.info = vim.TaskInfo(key=moid, task=self.ref, descriptionId=name, entity=entity.ref,
                                 entityName=getattr(entity, "name", entity.moid), state=state, cancelled=False,
                                 cancelable=False, result=result, queueTime=NOW, startTime=NOW, completeTime=NOW,
                                 eventChainId=int(moid.split("-")[-1]), reason=vim.TaskReasonUser(userName="sim"),
                                 error=error)

    def p_info(self) -> Any:
        return self.info


class ContainerView(MO):
    WSDL, PYTYPE = "ContainerView", vim.view.ContainerView

    def __init__(self, sim: Simulator, moid: str, container: MO, types: list[Any], recursive: bool) -> None:
        super().__init__(sim, moid)
        self.container, self.types, self.recursive = container, types, recursive

    def p_view(self) -> Any:
        found = [mo.ref for mo in self.sim.descendants(self.container, self.recursive)
                 if not self.types or any(issubclass(mo.PYTYPE, t) for t in self.types)]
        return vim.ManagedObject.Array(found)

    def p_container(self) -> Any:
        return self.container.ref

    def p_type(self) -> Any:
        return self.types

    def p_recursive(self) -> bool:
        return self.recursive

    def m_DestroyView(self, ctx: Any) -> None:
        self.sim.unregister(self)


class ViewManager(MO):
    WSDL, PYTYPE = "ViewManager", vim.view.ViewManager

    def m_CreateContainerView(self, ctx: Any, container: Any, type: Any = None, recursive: bool = False) -> Any:  # noqa: A002
        target = self.sim.lookup(container)
        view = ContainerView(self.sim, self.sim.next_id("session[%s]view" % ctx.session_key[:8]), target, list(type or []), recursive)
        self.sim.register(view)
        return view.ref


class PropertyFilter(MO):
    """A session's filter: its spec, and what WaitForUpdates last reported of it
    (moid -> (ref, path -> (repr, value)))."""

    WSDL, PYTYPE = "PropertyFilter", vmodl.query.PropertyCollector.Filter

    def __init__(self, sim: Simulator, moid: str, spec: Any, session: str = "") -> None:
        super().__init__(sim, moid)
        self.spec, self.session = spec, session
        self.reported: dict[str, tuple[Any, dict[str, tuple[str, Any]]]] | None = None  # None: nothing reported yet

    def p_spec(self) -> Any:
        return self.spec

    def m_DestroyPropertyFilter(self, ctx: Any) -> None:
        self.sim.unregister(self)


class PropertyCollector(MO):
    """RetrievePropertiesEx with traversal, paging; CreateFilter + WaitForUpdates(Ex) as needed by WaitForTask."""

    WSDL, PYTYPE = "PropertyCollector", vmodl.query.PropertyCollector

    def __init__(self, sim: Simulator, moid: str) -> None:
        super().__init__(sim, moid)
        self.pages: dict[str, list[Any]] = {}
        self.filters: dict[str, PropertyFilter] = {}
        self.versions: dict[str, int] = {}  # session key -> the last data version it was given
        self.cancels: dict[str, int] = {}  # session key -> CancelWaitForUpdates calls (ends that session's waits)

    # -- retrieval ---------------------------------------------------------------------
    def _objects(self, spec: Any, gone_ok: bool = False) -> list[MO]:
        """The objects ``spec`` selects. A start object that no longer exists is a fault, or with
        ``gone_ok`` (a filter's updates: the object leaves) just not there."""
        named = {}
        for ospec in spec.objectSet:
            for sel in ospec.selectSet or []:
                self._collect_names(sel, named)
        seen: dict[str, MO] = {}
        for ospec in spec.objectSet:
            if gone_ok and self.sim.find(ospec.obj) is None:
                continue
            start = self.sim.lookup(ospec.obj)
            if not ospec.skip:
                seen.setdefault(start.moid, start)
            self._traverse(start, list(ospec.selectSet or []), named, seen, set())
        return list(seen.values())

    def _collect_names(self, sel: Any, named: dict[str, Any]) -> None:
        if isinstance(sel, PC.TraversalSpec):
            if sel.name and sel.name not in named:
                named[sel.name] = sel
                for child in sel.selectSet or []:
                    self._collect_names(child, named)

    def _traverse(self, mo: MO, selects: list[Any], named: dict[str, Any], seen: dict[str, MO], visited: set[tuple[str, str]]) -> None:
        for sel in selects:
            spec = sel if isinstance(sel, PC.TraversalSpec) else named.get(sel.name)
            if spec is None:
                raise invalid("selectSet", "unknown selection spec %s" % sel.name)
            key = (mo.moid, spec.name or id(spec))
            if key in visited or not issubclass(mo.PYTYPE, spec.type) or not mo.has_prop(spec.path):
                continue
            visited.add(key)
            value = mo.prop(spec.path)
            refs = value if isinstance(value, list) else [value] if value is not None else []
            for ref in refs:
                child = self.sim.find(ref)
                if child is None:
                    continue
                if not spec.skip:
                    seen.setdefault(child.moid, child)
                self._traverse(child, list(spec.selectSet or []), named, seen, visited)

    def _content(self, mo: MO, propsets: list[Any]) -> Any | None:
        if not mo.STATE_PROPS:
            return self._build_content(mo, propsets)
        key = ("content", mo.moid, tuple((ps.type, ps.all, tuple(ps.pathSet or [])) for ps in propsets))
        return self.sim.memo(key, lambda: self._build_content(mo, propsets))

    def _build_content(self, mo: MO, propsets: list[Any]) -> Any | None:
        wanted: list[str] = []
        matched = False
        for ps in propsets:
            if issubclass(mo.PYTYPE, ps.type):
                matched = True
                wanted += mo.prop_names() if ps.all else list(ps.pathSet or [])
        if not matched:
            return None
        props, missing = [], []
        for path in dict.fromkeys(wanted):
            try:
                value = self.sim.read_path(mo, path)
            except vmodl.query.InvalidProperty:
                missing.append(PC.MissingProperty(path=path, fault=vmodl.query.InvalidProperty(name=path)))
                continue
            if value is not None:
                props.append(vmodl.DynamicProperty(name=path, val=value))
        return PC.ObjectContent(obj=mo.ref, propSet=props, missingSet=missing)

    def retrieve(self, specs: list[Any]) -> list[Any]:
        out: list[Any] = []
        for spec in specs:
            for mo in self._objects(spec):
                content = self._content(mo, list(spec.propSet))
                if content is not None:
                    out.append(content)
        return out

    def m_RetrieveProperties(self, ctx: Any, specSet: list[Any]) -> Any:
        return self.retrieve(specSet)

    def m_RetrievePropertiesEx(self, ctx: Any, specSet: list[Any], options: Any) -> Any:
        objects = self.retrieve(specSet)
        if not objects:
            return None
        return self._page(objects, options.maxObjects if options else None)

    def _page(self, objects: list[Any], max_objects: int | None) -> Any:
        if max_objects and len(objects) > max_objects:
            token = self.sim.next_id("token")
            self.pages[token] = objects[max_objects:]
            return PC.RetrieveResult(objects=objects[:max_objects], token=token)
        return PC.RetrieveResult(objects=objects)

    def m_ContinueRetrievePropertiesEx(self, ctx: Any, token: str) -> Any:
        rest = self.pages.pop(token, None)
        if rest is None:
            raise invalid("token")
        return self._page(rest, 100)

    def m_CancelRetrievePropertiesEx(self, ctx: Any, token: str) -> None:
        self.pages.pop(token, None)

    # -- updates -----------------------------------------------------------------------
    def m_CreateFilter(self, ctx: Any, spec: Any, partialUpdates: bool) -> Any:
        filt = PropertyFilter(self.sim, self.sim.next_id("session[%s]filter" % ctx.session_key[:8]), spec, ctx.session_key)
        self.sim.register(filt)
        self.filters[filt.moid] = filt
        return filt.ref

    def _updates(self, ctx: Any, version: str | None) -> Any | None:
        """What changed in this session's filters since they were last reported, as vCenter does
        it: ``enter`` for an object first seen (every property), ``modify`` with the changed
        properties, ``leave`` for an object no longer matched. None when nothing changed.

        ``version`` is "" / None (report everything again) or a version this session was given;
        anything else is InvalidCollectorVersion. The data version counts per session."""
        given = self.versions.get(ctx.session_key, 0)
        if version and (not version.isdigit() or int(version) > given):
            raise vmodl.query.InvalidCollectorVersion()
        sets = []
        for filt in list(self.filters.values()):
            if self.sim.find(filt.ref) is None or filt.session not in self.sim.sessions:
                self.filters.pop(filt.moid, None)
                continue
            if filt.session != ctx.session_key:
                continue
            before = filt.reported if version and filt.reported is not None else {}
            now: dict[str, tuple[Any, dict[str, tuple[str, Any]]]] = {}
            updates = []
            for mo in self._objects(filt.spec, gone_ok=True):
                content = self._content(mo, list(filt.spec.propSet))
                if content is None:
                    continue
                props = {p.name: (repr(p.val), p.val) for p in content.propSet}
                now[mo.moid] = (mo.ref, props)
                if mo.moid not in before:
                    changes = [PC.Change(name=n, op="assign", val=v) for n, (_r, v) in props.items()]
                    updates.append(PC.ObjectUpdate(kind="enter", obj=mo.ref, changeSet=changes))
                    continue
                old = before[mo.moid][1]
                changes = [PC.Change(name=n, op="assign", val=v) for n, (r, v) in props.items() if old.get(n, ("",))[0] != r]
                changes += [PC.Change(name=n, op="remove") for n in old if n not in props]
                if changes:
                    updates.append(PC.ObjectUpdate(kind="modify", obj=mo.ref, changeSet=changes))
            updates += [PC.ObjectUpdate(kind="leave", obj=ref) for moid, (ref, _p) in before.items() if moid not in now]
            filt.reported = now
            if updates:
                sets.append(PC.FilterUpdate(filter=filt.ref, objectSet=updates))
        if not sets:
            return None
        self.versions[ctx.session_key] = given + 1
        return PC.UpdateSet(version=str(given + 1), filterSet=sets)

    def _wait(self, ctx: Any, version: str | None, max_wait: int | None) -> Any | None:
        """The session's updates since ``version``, waiting for a change (released lock) for at most
        ``max_wait`` seconds (None: until a change), bounded by the server's idle limit. None when
        the time ran out; RequestCanceled when CancelWaitForUpdates ended the wait."""
        sim = self.sim
        limit = sim.max_wait if max_wait is None else min(max_wait, sim.max_wait)
        deadline = time.monotonic() + limit
        canceled = self.cancels.get(ctx.session_key, 0)
        while True:
            generation = sim.generation
            sim.current_session = ctx.session_key  # other calls ran while this one waited
            update = self._updates(ctx, version)
            if update is not None:
                return update
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            sim.updated.wait_for(lambda seen=generation: sim.generation != seen or self.cancels.get(ctx.session_key, 0) != canceled,
                                 remaining)
            if self.cancels.get(ctx.session_key, 0) != canceled:
                raise vmodl.fault.RequestCanceled(msg="WaitForUpdates canceled by CancelWaitForUpdates")

    def m_WaitForUpdatesEx(self, ctx: Any, version: str | None = None, options: Any = None) -> Any:
        """Blocks until a change or ``options.maxWaitSeconds`` (0: return at once), then None."""
        max_wait = options.maxWaitSeconds if options is not None else None
        if max_wait is not None and max_wait < 0:
            raise invalid("options.maxWaitSeconds")
        return self._wait(ctx, version, max_wait)

    def m_WaitForUpdates(self, ctx: Any, version: str | None = None) -> Any:
        """Blocks until a change. A real server blocks without limit; here the wait ends at the
        server's idle limit with an update set that changes nothing (the same version, no filters)."""
        update = self._wait(ctx, version, None)
        if update is None:
            update = PC.UpdateSet(version=str(self.versions.get(ctx.session_key, 0)), filterSet=[])
        return update

    def m_CancelWaitForUpdates(self, ctx: Any) -> None:
        self.cancels[ctx.session_key] = self.cancels.get(ctx.session_key, 0) + 1
        self.sim.updated.notify_all()

    def m_CheckForUpdates(self, ctx: Any, version: str | None = None) -> Any:
        return self._updates(ctx, version)


def new_task(sim: Simulator, name: str, entity: MO, result: Any = None, error: Any = None) -> Task:
    """A Task finished when the call that started it returns: ``error`` set means it failed."""
    task = Task(sim, sim.next_id("task"), name, entity, result, error)
    sim.generation += 1
    sim.register(task)
    return task
