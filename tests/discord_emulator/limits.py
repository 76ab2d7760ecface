"""Documented Discord limits that the OpenAPI description does not enforce (or enforces more loosely).

Each checker returns a list of :class:`FieldError`; an empty list means the body is within limits.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .errors import FieldError
from .util import VALID_LOCALES, valid_command_name

Path = tuple[str | int, ...]

FLAG_EPHEMERAL = 1 << 6
FLAG_IS_COMPONENTS_V2 = 1 << 15

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000


def _max_len(path: Path, value: Any, limit: int) -> list[FieldError]:
    if isinstance(value, str) and len(value) > limit:
        return [FieldError(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")]
    return []


def _bad_len(path: Path, value: Any, low: int, high: int) -> list[FieldError]:
    if not isinstance(value, str) or not (low <= len(value) <= high):
        return [FieldError(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")]
    return []


# -- messages ------------------------------------------------------------------------------------------------
def check_embeds(embeds: Any, base: Path = ()) -> list[FieldError]:
    """Per-embed limits and the 6000-character total across all embeds of one message."""
    if not isinstance(embeds, list):
        return []
    errors: list[FieldError] = []
    if len(embeds) > EMBEDS_MAX:
        errors.append(FieldError((*base, "embeds"), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length."))
    total = 0
    for i, embed in enumerate(embeds):
        if not isinstance(embed, dict):
            continue
        p: Path = (*base, "embeds", i)
        title = embed.get("title") or ""
        description = embed.get("description") or ""
        errors += _max_len((*p, "title"), title, 256)
        errors += _max_len((*p, "description"), description, 4096)
        total += len(title) + len(description)
        fields = embed.get("fields") or []
        if isinstance(fields, list):
            if len(fields) > 25:
                errors.append(FieldError((*p, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
            for j, field in enumerate(fields):
                if isinstance(field, dict):
                    name, value = field.get("name") or "", field.get("value") or ""
                    errors += _max_len((*p, "fields", j, "name"), name, 256)
                    errors += _max_len((*p, "fields", j, "value"), value, 1024)
                    total += len(str(name)) + len(str(value))
        footer = embed.get("footer") or {}
        if isinstance(footer, dict):
            errors += _max_len((*p, "footer", "text"), footer.get("text") or "", 2048)
            total += len(footer.get("text") or "")
        author = embed.get("author") or {}
        if isinstance(author, dict):
            errors += _max_len((*p, "author", "name"), author.get("name") or "", 256)
            total += len(author.get("name") or "")
    if total > EMBED_TOTAL_MAX:
        errors.append(
            FieldError((*base, "embeds"), "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
        )
    return errors


def _walk_components(components: Any, base: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    if not isinstance(components, list):
        return
    for i, comp in enumerate(components):
        if not isinstance(comp, dict):
            continue
        path: Path = (*base, i)
        yield path, comp
        if isinstance(comp.get("components"), list):
            yield from _walk_components(comp["components"], (*path, "components"))
        for key in ("accessory", "component"):
            child = comp.get(key)
            if isinstance(child, dict):
                yield (*path, key), child
                if isinstance(child.get("components"), list):
                    yield from _walk_components(child["components"], (*path, key, "components"))


def _check_custom_ids(components: Any, base: Path) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[str] = set()
    for path, comp in _walk_components(components, base):
        if "custom_id" not in comp or comp.get("custom_id") is None:
            continue
        custom_id = comp["custom_id"]
        errors += _bad_len((*path, "custom_id"), custom_id, 1, 100)
        if custom_id in seen:
            errors.append(
                FieldError(
                    (*path, "custom_id"),
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                    "Component custom id cannot be duplicated",
                )
            )
        seen.add(custom_id)
    return errors


def _check_select(path: Path, comp: dict[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    errors += _max_len((*path, "placeholder"), comp.get("placeholder") or "", 150)
    for key in ("min_values", "max_values"):
        value = comp.get(key)
        if isinstance(value, int) and not (0 <= value <= 25):
            errors.append(FieldError((*path, key), "NUMBER_TYPE_MAX", "Must be between 0 and 25."))
    if comp.get("type") == 3:
        options = comp.get("options")
        if not isinstance(options, list) or not (1 <= len(options) <= 25):
            errors.append(FieldError((*path, "options"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length."))
        else:
            values: set[str] = set()
            for k, option in enumerate(options):
                if not isinstance(option, dict):
                    continue
                op: Path = (*path, "options", k)
                errors += _bad_len((*op, "label"), option.get("label"), 1, 100)
                errors += _bad_len((*op, "value"), option.get("value"), 1, 100)
                errors += _max_len((*op, "description"), option.get("description") or "", 100)
                if option.get("value") in values:
                    errors.append(
                        FieldError((*op, "value"), "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED", "Duplicate value")
                    )
                values.add(option.get("value"))
            max_values = comp.get("max_values")
            if isinstance(max_values, int) and max_values > len(options):
                errors.append(FieldError((*path, "max_values"), "NUMBER_TYPE_MAX", f"Must be {len(options)} or fewer."))
    return errors


def _check_button(path: Path, comp: dict[str, Any]) -> list[FieldError]:
    errors = _max_len((*path, "label"), comp.get("label") or "", 80)
    style = comp.get("style")
    if style == 5:
        if not comp.get("url"):
            errors.append(FieldError((*path, "url"), "BASE_TYPE_REQUIRED", "This field is required"))
        if comp.get("custom_id"):
            errors.append(
                FieldError(
                    (*path, "custom_id"),
                    "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED",
                    "Link buttons cannot have custom_id",
                )
            )
    elif style == 6:
        if not comp.get("sku_id"):
            errors.append(FieldError((*path, "sku_id"), "BASE_TYPE_REQUIRED", "This field is required"))
    elif not comp.get("custom_id"):
        # The spec lets a non-link button without custom_id through; Discord refuses it.
        errors.append(FieldError((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required"))
    if not comp.get("label") and not comp.get("emoji") and style != 6:
        errors.append(
            FieldError((*path, "label"), "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED", "A label or emoji is required")
        )
    return errors


def check_message_components(components: Any, flags: int, base: Path = ()) -> list[FieldError]:
    """Action rows / buttons / selects limits, custom_id rules (components v2 is checked more loosely)."""
    if not isinstance(components, list):
        return []
    errors: list[FieldError] = []
    root: Path = (*base, "components")
    if not flags & FLAG_IS_COMPONENTS_V2:
        if len(components) > 5:
            errors.append(FieldError(root, "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length."))
        for i, row in enumerate(components):
            if not isinstance(row, dict):
                continue
            if row.get("type") != 1:
                errors.append(
                    FieldError((*root, i, "type"), "UNION_TYPE_CHOICES", "Top-level components must be action rows")
                )
                continue
            children = row.get("components") or []
            if not isinstance(children, list):
                continue
            kinds = {c.get("type") for c in children if isinstance(c, dict)}
            if len(children) > 5:
                errors.append(
                    FieldError((*root, i, "components"), "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
                )
            if kinds - {2} and len(children) > 1:
                errors.append(
                    FieldError(
                        (*root, i, "components"),
                        "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                        "The specified component exceeds the maximum width",
                    )
                )
    else:
        total = sum(1 for _ in _walk_components(components, root))
        if total > 40:
            errors.append(FieldError(root, "BASE_TYPE_MAX_LENGTH", "Must be 40 or fewer in total components."))
    for path, comp in _walk_components(components, root):
        if comp.get("type") == 2:
            errors += _check_button(path, comp)
        elif comp.get("type") in (3, 5, 6, 7, 8):
            errors += _check_select(path, comp)
        elif comp.get("type") == 10:
            errors += _max_len((*path, "content"), comp.get("content") or "", 4000)
    errors += _check_custom_ids(components, root)
    return errors


def check_message(body: Any, *, base: Path = (), require_content: bool = False) -> list[FieldError]:
    """Limits of a message body (create, edit, interaction reply, webhook followup)."""
    if not isinstance(body, dict):
        return []
    errors: list[FieldError] = []
    content = body.get("content")
    if isinstance(content, str) and len(content) > CONTENT_MAX:
        errors.append(FieldError((*base, "content"), "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length."))
    errors += check_embeds(body.get("embeds"), base)
    flags = body.get("flags") if isinstance(body.get("flags"), int) else 0
    errors += check_message_components(body.get("components"), flags, base)
    if flags & FLAG_IS_COMPONENTS_V2 and (content or body.get("embeds")):
        errors.append(
            FieldError(
                (*base, "content"),
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "The 'content' and 'embeds' fields cannot be used when using MessageFlags.IS_COMPONENTS_V2",
            )
        )
    return errors


# -- modals --------------------------------------------------------------------------------------------------
def _check_text_input(path: Path, comp: dict[str, Any], *, label_required: bool) -> list[FieldError]:
    errors: list[FieldError] = []
    if label_required or comp.get("label") is not None:
        errors += _bad_len((*path, "label"), comp.get("label"), 1, 45)
    errors += _max_len((*path, "value"), comp.get("value") or "", 4000)
    errors += _max_len((*path, "placeholder"), comp.get("placeholder") or "", 100)
    min_length, max_length = comp.get("min_length"), comp.get("max_length")
    if isinstance(min_length, int) and not (0 <= min_length <= 4000):
        errors.append(FieldError((*path, "min_length"), "NUMBER_TYPE_MAX", "Must be between 0 and 4000."))
    if isinstance(max_length, int) and not (1 <= max_length <= 4000):
        errors.append(FieldError((*path, "max_length"), "NUMBER_TYPE_MAX", "Must be between 1 and 4000."))
    if isinstance(min_length, int) and isinstance(max_length, int) and min_length > max_length:
        errors.append(FieldError((*path, "min_length"), "BASE_TYPE_INVALID", "min_length exceeds max_length"))
    value = comp.get("value")
    if isinstance(value, str) and isinstance(max_length, int) and len(value) > max_length:
        errors.append(FieldError((*path, "value"), "BASE_TYPE_MAX_LENGTH", f"Must be {max_length} or fewer in length."))
    if comp.get("style") not in (1, 2):
        errors.append(FieldError((*path, "style"), "BASE_TYPE_CHOICES", "Value must be one of (1, 2)."))
    return errors


def check_modal(data: Any, base: Path = ("data",)) -> list[FieldError]:
    """Modal limits: title 1–45, 1–5 top-level components, text input / label rules, unique custom_ids."""
    if not isinstance(data, dict):
        return []
    errors = _bad_len((*base, "title"), data.get("title"), 1, 45)
    errors += _bad_len((*base, "custom_id"), data.get("custom_id"), 1, 100)
    components = data.get("components")
    root: Path = (*base, "components")
    if not isinstance(components, list) or not (1 <= len(components) <= 5):
        errors.append(FieldError(root, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."))
        components = components if isinstance(components, list) else []
    for i, comp in enumerate(components):
        if not isinstance(comp, dict):
            continue
        path: Path = (*root, i)
        kind = comp.get("type")
        if kind == 1:
            children = comp.get("components") or []
            if len(children) != 1:
                errors.append(
                    FieldError((*path, "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 1 in length.")
                )
            for j, child in enumerate(children):
                if isinstance(child, dict) and child.get("type") == 4:
                    errors += _check_text_input((*path, "components", j), child, label_required=True)
        elif kind == 18:
            errors += _bad_len((*path, "label"), comp.get("label"), 1, 45)
            errors += _max_len((*path, "description"), comp.get("description") or "", 100)
            child = comp.get("component")
            if isinstance(child, dict):
                if child.get("type") == 4:
                    errors += _check_text_input((*path, "component"), child, label_required=False)
                    if child.get("label") is not None:
                        errors.append(
                            FieldError(
                                (*path, "component", "label"),
                                "TEXT_INPUT_LABEL_NOT_ALLOWED",
                                "A text input inside a label cannot have its own label",
                            )
                        )
                elif child.get("type") in (3, 5, 6, 7, 8):
                    errors += _check_select((*path, "component"), child)
        elif kind == 10:
            errors += _max_len((*path, "content"), comp.get("content") or "", 4000)
        else:
            errors.append(
                FieldError((*path, "type"), "UNION_TYPE_CHOICES", f"Component type {kind} not allowed in a modal")
            )
    errors += _check_custom_ids(components, root)
    return errors


# -- threads -------------------------------------------------------------------------------------------------
def check_thread_name(body: Any, *, required: bool) -> list[FieldError]:
    """Thread names are 1–100 characters."""
    if not isinstance(body, dict):
        return []
    if "name" not in body and not required:
        return []
    return _bad_len(("name",), body.get("name"), 1, 100)


# -- application commands ------------------------------------------------------------------------------------
def _check_localizations(path: Path, value: Any, low: int, high: int, *, name_rule: bool) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(value, dict):
        return errors
    for locale, text in value.items():
        if locale not in VALID_LOCALES:
            errors.append(FieldError((*path, locale), "LOCALE_INVALID", f"Invalid locale {locale!r}"))
            continue
        errors += _bad_len((*path, locale), text, low, high)
        if name_rule and isinstance(text, str) and not valid_command_name(text):
            errors.append(FieldError((*path, locale), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"))
    return errors


def _check_choices(path: Path, choices: Any) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(choices, list):
        return errors
    if len(choices) > 25:
        errors.append(FieldError(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
    for k, choice in enumerate(choices):
        if not isinstance(choice, dict):
            continue
        errors += _bad_len((*path, k, "name"), choice.get("name"), 1, 100)
        errors += _check_localizations(
            (*path, k, "name_localizations"), choice.get("name_localizations"), 1, 100, name_rule=False
        )
        if isinstance(choice.get("value"), str):
            errors += _bad_len((*path, k, "value"), choice["value"], 1, 100)
    return errors


def _check_options(path: Path, options: Any, depth: int) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(options, list):
        return errors
    if len(options) > 25:
        errors.append(FieldError(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
    names: set[str] = set()
    seen_optional = False
    for i, option in enumerate(options):
        if not isinstance(option, dict):
            continue
        p: Path = (*path, i)
        name = option.get("name")
        if not valid_command_name(name):
            errors.append(FieldError((*p, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"))
        if name in names:
            errors.append(FieldError((*p, "name"), "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Duplicate name"))
        names.add(name)
        errors += _bad_len((*p, "description"), option.get("description"), 1, 100)
        errors += _check_localizations(
            (*p, "name_localizations"), option.get("name_localizations"), 1, 32, name_rule=True
        )
        errors += _check_localizations(
            (*p, "description_localizations"),
            option.get("description_localizations"),
            1,
            100,
            name_rule=False,
        )
        kind = option.get("type")
        if kind in (1, 2):
            if (kind == 2 and depth > 0) or (kind == 1 and depth > 1):
                errors.append(FieldError((*p, "type"), "APPLICATION_COMMAND_OPTION_NESTING", "Invalid nesting"))
            errors += _check_options((*p, "options"), option.get("options"), depth + 1)
        else:
            if option.get("required"):
                if seen_optional:
                    errors.append(
                        FieldError(
                            (*p, "required"),
                            "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                            "Required options must be placed before non-required options",
                        )
                    )
            else:
                seen_optional = True
            errors += _check_choices((*p, "choices"), option.get("choices"))
            if option.get("autocomplete") and option.get("choices"):
                errors.append(
                    FieldError(
                        (*p, "autocomplete"),
                        "AUTOCOMPLETE_AND_CHOICES",
                        "Autocomplete cannot be used with choices",
                    )
                )
    return errors


def check_command(body: Any, base: Path = ()) -> list[FieldError]:
    """Names (1–32, lower case for slash commands), descriptions (1–100), ≤25 options, localizations."""
    if not isinstance(body, dict):
        return []
    errors: list[FieldError] = []
    kind = body.get("type", 1) or 1
    name = body.get("name")
    if kind == 1:
        if not valid_command_name(name):
            errors.append(FieldError((*base, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"))
        errors += _bad_len((*base, "description"), body.get("description"), 1, 100)
        errors += _check_localizations(
            (*base, "name_localizations"), body.get("name_localizations"), 1, 32, name_rule=True
        )
        errors += _check_localizations(
            (*base, "description_localizations"),
            body.get("description_localizations"),
            1,
            100,
            name_rule=False,
        )
        errors += _check_options((*base, "options"), body.get("options"), 0)
    else:
        errors += _bad_len((*base, "name"), name, 1, 32)
        errors += _check_localizations(
            (*base, "name_localizations"), body.get("name_localizations"), 1, 32, name_rule=False
        )
        if body.get("description"):
            errors.append(
                FieldError((*base, "description"), "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION", "Must be empty")
            )
    return errors


def check_command_list(commands: Any) -> list[FieldError]:
    """Bulk overwrite: every command, plus unique (type, name) pairs and Discord's per-type counts."""
    if not isinstance(commands, list):
        return []
    errors: list[FieldError] = []
    seen: set[tuple[int, str]] = set()
    counts: dict[int, int] = {}
    for i, command in enumerate(commands):
        errors += check_command(command, (i,))
        if isinstance(command, dict):
            key = (command.get("type", 1) or 1, command.get("name"))
            if key in seen:
                errors.append(
                    FieldError(
                        (i, "name"),
                        "APPLICATION_COMMANDS_DUPLICATE_NAME",
                        f"Application command names must be unique: {key[1]}",
                    )
                )
            seen.add(key)  # type: ignore[arg-type]
            counts[key[0]] = counts.get(key[0], 0) + 1
    if counts.get(1, 0) > 100:
        errors.append(FieldError((), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer slash commands."))
    for kind in (2, 3):
        if counts.get(kind, 0) > 15:
            errors.append(FieldError((), "BASE_TYPE_MAX_LENGTH", "Must be 15 or fewer context menu commands."))
    return errors
