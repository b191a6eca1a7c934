"""An analyzer asking any OpenAI-compatible chat-completions API (OpenAI, Azure OpenAI,
Ollama, vLLM) configured by `IMAS_LLM_*`. Its answer must validate against the seed's analysis
schema; anything else (timeout, HTTP error, not JSON, wrong shape) raises `AnalyzerFailed`, and
the service falls back to the built-in analyzer, saying why."""

from __future__ import annotations

import json
from typing import Any

import httpx
from pydantic import ValidationError

from imas.config import Settings
from imas.rca.analyzers.base import Analyzer, AnalyzerFailed, Result
from imas.rca.context import Context
from imas.rca.schemas import Analysis

SYSTEM = (
    "You are an SRE assistant doing root-cause analysis of a production incident. Answer with "
    "one JSON object and nothing else, with exactly these keys: root_causes (list of strings, "
    "most likely first), confidence_score (0..1), affected_components (list of strings), "
    "suggested_actions (list of strings), similar_incidents (list of the short ids given to you "
    "that are relevant), risk_assessment (LOW, MEDIUM, HIGH or CRITICAL), "
    "estimated_resolution_time (an ISO 8601 duration such as PT2H)."
)
TEXT_MAX = 4000


def prompt(context: Context) -> dict[str, Any]:
    """What is sent: the incident, its alerts, similar resolved incidents and runbooks."""
    incident = context.incident
    return {
        "incident": {
            "short_id": incident.short_id,
            "title": incident.title,
            "description": incident.description[:TEXT_MAX],
            "severity": incident.severity,
            "status": incident.status,
            "service": context.service.name,
            "affected_systems": incident.affected_systems,
        },
        "error_classification": context.classification.as_dict(),
        "alerts": [
            {"title": a.title, "labels": a.labels, "description": a.description[:500]}
            for a in context.alerts[:20]
        ],
        "similar_resolved_incidents": [
            {
                "short_id": m.incident.short_id,
                "title": m.incident.title,
                "root_cause": m.incident.root_cause,
                "resolution_note": m.incident.resolution_note,
                "time_to_resolve_seconds": int(m.mttr.total_seconds()) if m.mttr else None,
                "similarity": m.score,
            }
            for m in context.similar
        ],
        "runbooks": [
            {"title": r.title, "steps": [s.title for s in r.steps]} for r in context.runbooks
        ],
    }


class LlmAnalyzer(Analyzer):
    name = "llm"

    def __init__(self, settings: Settings) -> None:
        assert settings.llm_base_url
        self.settings = settings

    async def analyze(self, context: Context) -> Result:
        body = {
            "model": self.settings.llm_model,
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": json.dumps(prompt(context), default=str)},
            ],
            "temperature": 0,
            "response_format": {"type": "json_object"},
        }
        headers = {"Authorization": f"Bearer {self.settings.llm_api_key or ''}"}
        url = self.settings.llm_base_url.rstrip("/") + "/chat/completions"  # type: ignore[union-attr]
        try:
            async with httpx.AsyncClient(timeout=self.settings.llm_timeout_seconds) as http:
                response = await http.post(url, json=body, headers=headers)
        except httpx.TimeoutException:
            raise AnalyzerFailed(
                f"the LLM did not answer within {self.settings.llm_timeout_seconds:g} s"
            ) from None
        except httpx.HTTPError as exc:
            raise AnalyzerFailed(f"the LLM could not be reached ({type(exc).__name__})") from None
        if response.status_code != 200:
            raise AnalyzerFailed(f"the LLM answered HTTP {response.status_code}")
        try:
            content = response.json()["choices"][0]["message"]["content"]
            analysis = Analysis.model_validate(json.loads(content))
        except ValidationError as exc:  # before ValueError, of which it is one
            fields = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
            raise AnalyzerFailed(f"the LLM's answer does not fit the analysis ({fields})") from None
        except (ValueError, KeyError, IndexError, TypeError):
            raise AnalyzerFailed("the LLM's answer is not a JSON object") from None
        known = {m.incident.short_id for m in context.similar}
        analysis.similar_incidents = [s for s in analysis.similar_incidents if s in known]
        return Result(
            analysis=analysis,
            analyzer=self.name,
            evidence=[f"Answer of {self.settings.llm_model}, validated against the schema"],
        )
