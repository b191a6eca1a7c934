"""Webhook bodies in the shapes of GitHub's and GitLab's webhook documentation (trimmed to the
fields a real delivery always has, plus a few IMAS ignores), and their real signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

REPO = "acme/api"
SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"


def github_repository(full_name: str = REPO) -> dict[str, Any]:
    owner, name = full_name.split("/", 1)
    return {
        "id": 1296269,
        "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
        "name": name,
        "full_name": full_name,
        "private": False,
        "owner": {"login": owner, "id": 1, "type": "Organization"},
        "html_url": f"https://github.com/{full_name}",
        "default_branch": "main",
    }


def head_commit(sha: str = SHA, message: str = "Fix the cache key", author: str = "alice") -> dict:
    return {
        "id": sha,
        "tree_id": "d23f6eedb1e1b9610bbc754ddb5197bfe7271223",
        "message": message,
        "timestamp": "2026-12-07T10:00:00Z",
        "author": {"name": author.title(), "email": f"{author}@example.com"},
        "committer": {"name": "GitHub", "email": "noreply@github.com"},
    }


def workflow_run(
    action: str,
    *,
    run_id: int = 30433642,
    name: str = "CI",
    branch: str = "main",
    conclusion: str | None = None,
    sha: str = SHA,
    attempt: int = 1,
    started: str = "2026-12-07T10:00:05Z",
    updated: str = "2026-12-07T10:05:05Z",
    repo: str = REPO,
    author: str = "alice",
) -> dict[str, Any]:
    status = {"requested": "queued", "in_progress": "in_progress", "completed": "completed"}
    return {
        "action": action,
        "workflow_run": {
            "id": run_id,
            "name": name,
            "node_id": "MDEyOldvcmtmbG93IFJ1bjI2OTI4OQ==",
            "head_branch": branch,
            "head_sha": sha,
            "path": ".github/workflows/ci.yml",
            "display_title": "Fix the cache key",
            "run_number": 562,
            "event": "push",
            "status": status[action],
            "conclusion": conclusion,
            "workflow_id": 159038,
            "check_suite_id": 414944374,
            "url": f"https://api.github.com/repos/{repo}/actions/runs/{run_id}",
            "html_url": f"https://github.com/{repo}/actions/runs/{run_id}",
            "created_at": "2026-12-07T10:00:01Z",
            "updated_at": updated,
            "run_attempt": attempt,
            "run_started_at": started,
            "actor": {"login": author, "id": 2},
            "triggering_actor": {"login": author, "id": 2},
            "head_commit": head_commit(sha, author=author),
            "repository": github_repository(repo),
            "head_repository": github_repository(repo),
        },
        "workflow": {"id": 159038, "name": name, "path": ".github/workflows/ci.yml"},
        "repository": github_repository(repo),
        "sender": {"login": author, "id": 2, "type": "User"},
    }


def workflow_job(
    action: str,
    *,
    job_id: int,
    name: str,
    run_id: int = 30433642,
    conclusion: str | None = None,
    started: str | None = "2026-12-07T10:00:10Z",
    completed: str | None = None,
    workflow: str = "CI",
    repo: str = REPO,
) -> dict[str, Any]:
    status = {"queued": "queued", "in_progress": "in_progress", "completed": "completed"}
    return {
        "action": action,
        "workflow_job": {
            "id": job_id,
            "run_id": run_id,
            "workflow_name": workflow,
            "head_branch": "main",
            "run_url": f"https://api.github.com/repos/{repo}/actions/runs/{run_id}",
            "run_attempt": 1,
            "node_id": "CR_kwDOABCD",
            "head_sha": SHA,
            "url": f"https://api.github.com/repos/{repo}/actions/jobs/{job_id}",
            "html_url": f"https://github.com/{repo}/actions/runs/{run_id}/job/{job_id}",
            "status": status[action],
            "conclusion": conclusion,
            "created_at": "2026-12-07T10:00:02Z",
            "started_at": started,
            "completed_at": completed,
            "name": name,
            "steps": [],
            "labels": ["ubuntu-latest"],
            "runner_name": "GitHub Actions 2",
        },
        "repository": github_repository(repo),
        "sender": {"login": "alice", "id": 2, "type": "User"},
    }


def push(*, sha: str = SHA, branch: str = "main", repo: str = REPO, deleted: bool = False) -> dict:
    return {
        "ref": f"refs/heads/{branch}",
        "before": "0" * 40,
        "after": "0" * 40 if deleted else sha,
        "created": False,
        "deleted": deleted,
        "forced": False,
        "compare": f"https://github.com/{repo}/compare/abc...def",
        "commits": [] if deleted else [head_commit(sha)],
        "head_commit": None if deleted else head_commit(sha),
        "repository": github_repository(repo),
        "pusher": {"name": "alice", "email": "alice@example.com"},
        "sender": {"login": "alice", "id": 2, "type": "User"},
    }


def gitlab_pipeline(
    status: str,
    *,
    pipeline_id: int = 31,
    ref: str = "main",
    project: str = "acme/api",
    builds: list[dict[str, Any]] | None = None,
    finished_at: str | None = None,
    duration: int | None = None,
) -> dict[str, Any]:
    """GitLab's Pipeline Hook (`X-Gitlab-Event: Pipeline Hook`)."""
    return {
        "object_kind": "pipeline",
        "object_attributes": {
            "id": pipeline_id,
            "iid": 3,
            "name": "Pipeline for branch: main",
            "ref": ref,
            "tag": False,
            "sha": SHA,
            "before_sha": "bcbb5ec396a2c0f828686f14fac9b80b780504f2",
            "source": "push",
            "status": status,
            "detailed_status": status,
            "stages": ["build", "test", "deploy"],
            "created_at": "2026-12-07 10:00:00 UTC",
            "finished_at": finished_at,
            "duration": duration,
            "queued_duration": 2,
            "variables": [],
            "url": f"https://gitlab.example.com/{project}/-/pipelines/{pipeline_id}",
        },
        "merge_request": None,
        "user": {"id": 1, "name": "Bob Builder", "username": "bob", "email": "bob@example.com"},
        "project": {
            "id": 1,
            "name": project.rsplit("/", 1)[-1],
            "description": "",
            "web_url": f"https://gitlab.example.com/{project}",
            "path_with_namespace": project,
            "default_branch": "main",
        },
        "commit": {
            "id": SHA,
            "message": "Add the cache\n\nLonger body",
            "title": "Add the cache",
            "timestamp": "2026-12-07T09:59:00+00:00",
            "url": f"https://gitlab.example.com/{project}/-/commit/{SHA}",
            "author": {"name": "Bob Builder", "email": "bob@example.com"},
        },
        "builds": builds or [],
    }


def gitlab_build(
    build_id: int,
    stage: str,
    name: str,
    status: str,
    *,
    started: str | None = "2026-12-07 10:00:10 UTC",
    finished: str | None = None,
    duration: float | None = None,
    environment: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": build_id,
        "stage": stage,
        "name": name,
        "status": status,
        "created_at": "2026-12-07 10:00:01 UTC",
        "started_at": started,
        "finished_at": finished,
        "duration": duration,
        "queued_duration": 1.5,
        "failure_reason": None,
        "when": "on_success",
        "manual": False,
        "allow_failure": False,
        "user": {"id": 1, "name": "Bob Builder", "username": "bob"},
        "runner": None,
        "artifacts_file": {"filename": None, "size": None},
        "environment": environment,
    }


def body(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def github_signature(secret: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def deployment_status(
    state: str,
    *,
    deployment_id: int = 145988746,
    environment: str = "production",
    run: dict[str, Any] | None = None,
    repo: str = REPO,
) -> dict[str, Any]:
    """GitHub's `deployment_status` event (`workflow_run` set when Actions made it)."""
    return {
        "action": "created",
        "deployment_status": {
            "id": 2600000001,
            "state": state,
            "environment": environment,
            "description": "",
            "target_url": f"https://github.com/{repo}/deployments/{environment}",
            "log_url": f"https://github.com/{repo}/actions/runs/1",
            "created_at": "2026-12-07T10:04:00Z",
            "updated_at": "2026-12-07T10:04:30Z",
            "creator": {"login": "github-actions[bot]", "id": 41898282},
        },
        "deployment": {
            "id": deployment_id,
            "sha": SHA,
            "ref": "main",
            "task": "deploy",
            "payload": {},
            "original_environment": environment,
            "environment": environment,
            "description": None,
            "creator": {"login": "alice", "id": 2},
            "created_at": "2026-12-07T10:03:00Z",
            "updated_at": "2026-12-07T10:04:30Z",
            "production_environment": environment == "production",
        },
        "workflow_run": run,
        "workflow": None,
        "repository": github_repository(repo),
        "sender": {"login": "alice", "id": 2, "type": "User"},
    }
