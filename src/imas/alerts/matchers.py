"""Label matchers, as Alertmanager's silences have them: `name op value` with op one of
`=`, `!=`, `=~`, `!~`. A regular expression must match the whole value; a label the alert does
not have counts as the empty string. A silence matches an alert when all its matchers do."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, Field, model_validator

REGEX_MAX = 1000


class MatchOp(StrEnum):
    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"


class Matcher(BaseModel):
    name: str = Field(min_length=1, max_length=100, examples=["service"])
    op: MatchOp = Field(default=MatchOp.EQUAL, examples=["="])
    value: str = Field(default="", max_length=REGEX_MAX, examples=["api-gateway"])

    @model_validator(mode="before")
    @classmethod
    def _alertmanager_form(cls, data: Any) -> Any:
        """Also take Alertmanager's own form: `{"name", "value", "isRegex", "isEqual"}`."""
        if isinstance(data, dict) and "op" not in data and ("isRegex" in data or "isEqual" in data):
            regex, equal = bool(data.get("isRegex")), data.get("isEqual", True) is not False
            op = {
                (False, True): "=",
                (False, False): "!=",
                (True, True): "=~",
                (True, False): "!~",
            }[(regex, equal)]
            return {"name": data.get("name"), "value": data.get("value", ""), "op": op}
        return data

    @model_validator(mode="after")
    def _regex_compiles(self) -> Matcher:
        if self.op in (MatchOp.REGEX, MatchOp.NOT_REGEX):
            try:
                _compiled(self.value)
            except re.error as exc:
                raise ValueError(
                    f"'{self.value}' is not a valid regular expression: {exc}"
                ) from None
        return self


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(f"(?:{pattern})", re.DOTALL)


def matches(matcher: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    value = labels.get(str(matcher.get("name", "")), "")
    op = matcher.get("op", "=")
    expected = str(matcher.get("value", ""))
    if op == MatchOp.EQUAL:
        return value == expected
    if op == MatchOp.NOT_EQUAL:
        return value != expected
    try:
        hit = _compiled(expected).fullmatch(value) is not None
    except re.error:
        return False
    return hit if op == MatchOp.REGEX else not hit


def all_match(matchers: Sequence[Mapping[str, Any]], labels: Mapping[str, str]) -> bool:
    return bool(matchers) and all(matches(m, labels) for m in matchers)
