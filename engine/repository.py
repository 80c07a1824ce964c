"""Process repository: deploy validated BPMN/DMN sets as new, content-hashed versions."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import alerts, audit, rules, wallclock
from .definitions import utf8
from .errors import Conflict, Message, NotFound, catalogue
from .models import AlertRule, Deployment, DeploymentFile, ProcessDefinition
from .routing import Actor, Directory
from .runtime import Runtime

MESSAGES = catalogue({
    "deploy_raced": "another deploy of the same process happened at the same moment; run the deploy again",
    "no_process_deployed": "no process {process!r} is deployed",
})


@dataclass(frozen=True)
class Deployed:
    """One process in a deploy: its version and whether this deploy created it."""

    process_key: str
    name: str
    version: int
    created: bool


def plan(session: Session, rt: Runtime, files: dict[str, bytes]) -> tuple[list[Deployed], list[tuple[Any, int]]]:
    """Validate the files (DeployError lists every problem) and say which processes would get a new
    version; nothing is stored."""
    compiled = rt.compile(session, files)
    results, new = [], []
    for key, model in sorted(compiled.processes.items()):
        current = latest(session, key, required=False)
        if current is not None and current.content_hash in (model.content_hash, model.earlier_hash):
            results.append(Deployed(key, current.name, current.version, False))
            continue
        version = (current.version if current else 0) + 1
        new.append((model, version))
        results.append(Deployed(key, model.name, version, True))
    return results, new


def deploy(session: Session, rt: Runtime, actor: Actor, files: dict[str, bytes], note: str = "",
           effective_at: datetime | None = None, only: set[str] | None = None) -> list[Deployed]:
    """Validate everything first, then store a new version of each process whose content changed. A changed
    shared rule table is proposed for co-sign instead (engine/rules.py): the deploy goes on with its active version,
    and a co-sign case starts (its version taking effect at `effective_at` at the earliest)."""
    results, new = plan(session, rt, files)  # the files as given are checked, proposed tables included
    held = rules.hold_back(session, Directory.load(session), actor, files, note, effective_at, utf8)
    if held.files != files:  # a proposed table waits for its co-sign: the active version is deployed in its place
        files = held.files
        results, new = plan(session, rt, files)
    if only is not None:  # a redeploy for a new rule version: only the processes that use it get a version
        new = [(model, version) for model, version in new if model.process_key in only]
        results = [r for r in results if r.process_key in only]
    now = wallclock.now()
    if new:
        _store(session, rt, actor, files, note, new, now)
    for row in held.proposed:
        rules.start_cosign(session, rt, actor, row)
    session.flush()
    return results


def _store(session: Session, rt: Runtime, actor: Actor, files: dict[str, bytes], note: str, new: list,
           now: datetime) -> None:
    deployment = Deployment(deployed_at=now, deployed_by=actor.username, note=note)
    session.add(deployment)
    session.flush()
    for name, content in sorted(files.items()):
        session.add(DeploymentFile(deployment_id=deployment.id, filename=name, content=utf8(content),
                                   sha256=hashlib.sha256(content).hexdigest()))
    events = []
    for model, version in new:
        session.add(ProcessDefinition(process_key=model.process_key, version=version, name=model.name,
                                      content_hash=model.content_hash, deployment_id=deployment.id,
                                      files="\n".join(model.files), deployed_at=now,
                                      owner_department=model.owner_department))
        events.append(audit.Event("process_deployed", actor.username, {
            "process": model.process_key, "version": version, "files": model.files,
            "content_hash": model.content_hash, "deployment": deployment.id, "note": note}))
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(Message("deploy_raced")) from None
    audit.append(session, events, now)
    for model, _ in new:
        _watch_target(session, rt, model)


def newest_using(session: Session, filename: str) -> list[tuple[str, dict[str, bytes]]]:
    """(process, the files its newest version uses) for each process whose newest version uses a file: to deploy it
    again with a new version of that file and nothing else changed."""
    newest = select(ProcessDefinition.process_key, func.max(ProcessDefinition.version).label("v")).group_by(
        ProcessDefinition.process_key).subquery()
    rows = session.execute(select(ProcessDefinition.process_key, ProcessDefinition.deployment_id, ProcessDefinition.files)
                           .join(newest, (newest.c.process_key == ProcessDefinition.process_key)
                                 & (newest.c.v == ProcessDefinition.version)).order_by(ProcessDefinition.process_key))
    out = []
    for key, deployment_id, names in rows:
        used = names.splitlines()
        if filename not in used:
            continue
        found = session.execute(select(DeploymentFile.filename, DeploymentFile.content).where(
            DeploymentFile.deployment_id == deployment_id, DeploymentFile.filename.in_(used))).all()
        out.append((key, {name: content.encode("utf-8") for name, content in found}))
    return out


DEPLOY_ACTOR = Actor.system("deploy")


def _watch_target(session: Session, rt: Runtime, model) -> None:
    """A process's `case_target_workdays` becomes an `age` alert rule (滞留预警 when a case outlives its target),
    unless an administrator already set one; a changed target replaces the rule an earlier deploy made."""
    target = model.case_target_workdays
    rules = session.execute(select(AlertRule).where(AlertRule.process_key == model.process_key,
                                                    AlertRule.kind == "age", AlertRule.active.is_(True))).scalars().all()
    ours = [r for r in rules if r.created_by == DEPLOY_ACTOR.username]
    if any(r.created_by != DEPLOY_ACTOR.username for r in rules):
        return
    for rule in ours:
        if target is None or rule.threshold != target:
            alerts.remove_rule(session, DEPLOY_ACTOR, rule.id)
    if target is not None and not any(r.threshold == target for r in ours):
        alerts.add_rule(session, rt, DEPLOY_ACTOR, alerts.RuleSpec(model.process_key, "age", float(target)))


def latest(session: Session, process_key: str, required: bool = True) -> ProcessDefinition | None:
    """The newest version of a process; new cases start on it."""
    found = session.execute(select(ProcessDefinition).where(ProcessDefinition.process_key == process_key)
                            .order_by(ProcessDefinition.version.desc()).limit(1)).scalar_one_or_none()
    if found is None and required:
        raise NotFound(Message("no_process_deployed", process=process_key))
    return found


def step_names(session: Session, rt: Runtime, process_key: str) -> dict[str, str]:
    """The steps (user tasks) of a process's newest version, its called processes' too: element id → name as the
    BPMN names it; empty when the process is not deployed."""
    newest = latest(session, process_key, required=False)
    if newest is None:
        return {}
    return {element_id: info.name for (_, element_id), info in rt.model(session, newest.id).user_tasks.items()}


def versions(session: Session) -> list[ProcessDefinition]:
    """Every deployed version, newest first within each process."""
    return list(session.execute(select(ProcessDefinition)
                                .order_by(ProcessDefinition.process_key, ProcessDefinition.version.desc())).scalars())


def version_count(session: Session, process_key: str) -> int:
    """How many versions of a process exist."""
    return session.execute(select(func.count()).where(ProcessDefinition.process_key == process_key)).scalar_one()


def files_of(session: Session, definition: ProcessDefinition) -> dict[str, str]:
    """The files stored with a version's deployment."""
    rows = session.execute(select(DeploymentFile.filename, DeploymentFile.content)
                           .where(DeploymentFile.deployment_id == definition.deployment_id))
    return dict(rows.all())


def main_xml(session: Session, definition: ProcessDefinition) -> str:
    """The BPMN text of the file that defines the version's process (for drawing it)."""
    files = files_of(session, definition)
    main = next((name for name in definition.files.splitlines() if name.endswith(".bpmn")
                 and f'id="{definition.process_key}"' in files.get(name, "")), None)
    return files.get(main, "")
