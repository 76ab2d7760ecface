"""Validation of request (and response) bodies against Discord's own OpenAPI description.

The description lives outside the project (``<repo>/../shared/discord/openapi.json``) and is never copied into
it. It is loaded once per process as one ``referencing`` resource; one Draft 2020-12 validator is built per
schema and cached, so validating hundreds of bodies stays cheap.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import threading
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from . import codec
from .errors import FieldError

SPEC_URI = "urn:discord-openapi"
REPO_ROOT = Path(__file__).resolve().parents[2]


class SpecMissingWarning(UserWarning):
    """Discord's OpenAPI description is absent: request bodies are not validated."""


def default_spec_path() -> Path:
    """Where the shared description lives: beside the repository, never inside it.

    ``DISCORD_OPENAPI_SPEC`` overrides it (e.g. to check how the suite behaves without the file).
    """
    override = os.environ.get("DISCORD_OPENAPI_SPEC")
    if override:
        return Path(override)
    return REPO_ROOT.parent / "shared" / "discord" / "openapi.json"


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@functools.lru_cache(maxsize=1024)  # the same few pointers, asked for by every request
def pointer(*tokens: str) -> str:
    """JSON pointer (``/a/b~1c``) from raw tokens."""
    return "".join("/" + _escape(t) for t in tokens)


class Spec:
    """One loaded OpenAPI description with a cache of compiled validators."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open(encoding="utf-8") as fh:
            document = json.load(fh)
        self.paths: dict[str, Any] = document["paths"]
        self.schemas: dict[str, Any] = document["components"]["schemas"]
        self.responses: dict[str, Any] = document["components"].get("responses", {})
        self._patch_quirks(document)
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self._registry: Registry = Registry().with_resource(SPEC_URI, resource)
        self._validators: dict[str, Draft202012Validator] = {}
        self._memo: dict[tuple[str, bytes], tuple[FieldError, ...]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _patch_quirks(document: dict[str, Any]) -> None:
        # discord.py sends some snowflakes as integers (message_reference, allowed_mentions.users,
        # attachment ids); Discord accepts both, so the in-memory copy does too.
        schemas = document["components"]["schemas"]
        original = copy.deepcopy(schemas["SnowflakeType"])
        schemas["SnowflakeType"] = {"anyOf": [original, {"type": "integer", "minimum": 0}]}

    # -- schema lookup -------------------------------------------------------------------------------------
    def validator(self, json_pointer: str) -> Draft202012Validator:
        """The cached validator for the schema at ``json_pointer`` inside the document."""
        found = self._validators.get(json_pointer)
        if found is None:
            with self._lock:
                found = self._validators.get(json_pointer)
                if found is None:
                    ref = f"{SPEC_URI}#{quote(json_pointer, safe='/~')}"
                    found = Draft202012Validator({"$ref": ref}, registry=self._registry)
                    self._validators[json_pointer] = found
        return found

    def operation(self, template: str, method: str) -> dict[str, Any] | None:
        """The OpenAPI operation for ``method`` on the path template (``/channels/{channel_id}``)."""
        item = self.paths.get(template)
        if item is None:
            return None
        return item.get(method.lower())

    def request_pointer(self, template: str, method: str, content_type: str = "application/json") -> str | None:
        """Pointer to the request body schema of an operation, or None when it takes no body."""
        op = self.operation(template, method)
        if op is None or "requestBody" not in op:
            return None
        content = op["requestBody"].get("content", {})
        if content_type not in content:
            content_type = "application/json" if "application/json" in content else next(iter(content), "")
            if not content_type:
                return None
        return pointer("paths", template, method.lower(), "requestBody", "content", content_type, "schema")

    def response_pointer(self, template: str, method: str, status: str = "200") -> str | None:
        """Pointer to the JSON response schema of an operation for ``status`` ("200", "4XX"...)."""
        op = self.operation(template, method)
        if op is None:
            return None
        response = op.get("responses", {}).get(status)
        if not response:
            return None
        ref = response.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/responses/"):
            name = ref.rsplit("/", 1)[1]
            if "content" not in self.responses.get(name, {}):
                return None
            return pointer("components", "responses", name, "content", "application/json", "schema")
        if "content" not in response:
            return None
        return pointer("paths", template, method.lower(), "responses", status, "content", "application/json", "schema")

    @staticmethod
    def schema_pointer(name: str) -> str:
        """Pointer to a named component schema (``MessageCreateRequest``)."""
        return pointer("components", "schemas", name)

    # -- validation ----------------------------------------------------------------------------------------
    def validate(self, json_pointer: str, instance: Any) -> list[FieldError]:
        """Validate ``instance``; return Discord-style field errors (empty when valid).

        Results are memoised by body text: hundreds of identical bodies (defers, the same ephemeral
        confirmation) cost one validation.
        """
        try:
            key = (json_pointer, codec.dumps(instance, sort_keys=True))
        except (TypeError, ValueError):
            key = None
        if key is not None and key in self._memo:
            return list(self._memo[key])
        validator = self.validator(json_pointer)
        out: list[FieldError] = []
        for error in validator.iter_errors(instance):
            out.extend(_flatten(error))
        out = out[:25]
        if key is not None:
            if len(self._memo) >= 4096:
                self._memo.clear()
            self._memo[key] = tuple(out)
        return out


def _flatten(error: ValidationError) -> list[FieldError]:
    """Turn a jsonschema error into field errors, descending into the most plausible anyOf/oneOf branch."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        branch = _best_branch(error.context)
        if branch:
            out: list[FieldError] = []
            for sub in branch:
                out.extend(_flatten(sub))
            return out
    return [_to_field_error(error)]


def _best_branch(context: Iterable[ValidationError]) -> list[ValidationError] | None:
    branches: dict[int, list[ValidationError]] = {}
    for sub in context:
        index = sub.relative_schema_path[0] if sub.relative_schema_path else 0
        branches.setdefault(int(index), []).append(sub)
    plausible: list[list[ValidationError]] = []
    for errs in branches.values():
        # A branch whose type or discriminator ("type": 4) does not match is not what the sender meant.
        mismatched = any(
            (e.validator == "type" and len(e.path) == 0)
            or (e.validator in ("enum", "const") and list(e.path) in (["type"], []))
            for e in errs
        )
        if not mismatched:
            plausible.append(errs)
    if not plausible:
        return None
    return min(plausible, key=len)


_MESSAGES = {
    "maxLength": ("BASE_TYPE_MAX_LENGTH", "Must be {v} or fewer in length."),
    "minLength": ("BASE_TYPE_MIN_LENGTH", "Must be {v} or more in length."),
    "maxItems": ("BASE_TYPE_MAX_LENGTH", "Must be {v} or fewer in length."),
    "minItems": ("BASE_TYPE_MIN_LENGTH", "Must be {v} or more in length."),
    "maximum": ("NUMBER_TYPE_MAX", "int value should be less than or equal to {v}."),
    "minimum": ("NUMBER_TYPE_MIN", "int value should be greater than or equal to {v}."),
    "enum": ("BASE_TYPE_CHOICES", "Value must be one of {v}."),
    "pattern": ("STRING_TYPE_REGEX", "String value did not match validation regex."),
    "maxProperties": ("BASE_TYPE_MAX_LENGTH", "Must be {v} or fewer in length."),
    "uniqueItems": ("BASE_TYPE_DUPLICATES", "Duplicate values are not allowed."),
}


def _to_field_error(error: ValidationError) -> FieldError:
    path: tuple[str | int, ...] = tuple(error.absolute_path)
    validator = str(error.validator)
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        return FieldError((*path, missing), "BASE_TYPE_REQUIRED", "This field is required")
    if validator == "type":
        return FieldError(path, "BASE_TYPE_INVALID", f"{error.message} (expected {error.validator_value})")
    if validator in _MESSAGES:
        code, template = _MESSAGES[validator]
        return FieldError(path, code, template.format(v=error.validator_value))
    return FieldError(path, "BASE_TYPE_INVALID", error.message[:300])


_CACHE: dict[Path, Spec | None] = {}
_CACHE_LOCK = threading.Lock()
_WARNED: set[Path] = set()


def load_spec(path: Path | None = None) -> Spec | None:
    """Load (once per process) the OpenAPI description; warn once and return None when it is absent."""
    path = (path or default_spec_path()).resolve()
    with _CACHE_LOCK:
        if path in _CACHE:
            return _CACHE[path]
        spec: Spec | None
        if path.is_file():
            spec = Spec(path)
        else:
            spec = None
            if path not in _WARNED:
                _WARNED.add(path)
                warnings.warn(
                    f"Discord OpenAPI description not found at {path}: request bodies are NOT validated "
                    "against Discord's schemas (emulator.spec_validation is False)",
                    SpecMissingWarning,
                    stacklevel=3,
                )
        _CACHE[path] = spec
        return spec
