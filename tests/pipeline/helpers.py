"""What the pipeline's service tests share: a role's stage by name, an application's history."""

from __future__ import annotations

from recruiting.pipeline.models import Application, Role, Stage


def stage(role: Role, name: str) -> Stage:
    return role.stages.get(name=name)


def history(application: Application) -> list[tuple[str | None, str]]:
    return [
        (c.from_stage.name if c.from_stage else None, c.to_stage.name)
        for c in application.stage_changes.select_related("from_stage", "to_stage")
    ]
