"""Rasa's check of each action server answer, with the schema checked once instead of on every answer.

Rasa 3.6 (`RemoteAction._validate_action_result`) calls `jsonschema.validate(result, schema)` for
every custom action a turn runs. `jsonschema.validate` first re-checks the *schema* against its
metaschema (`check_schema`), and with jsonschema 4.17 (the newest Rasa 3.6 allows) that re-check
of Rasa's large events schema was 40% of a turn's time (RasaHQ/rasa #11717). The answer itself
must still be checked: a broken action server must not write broken events into a conversation.

So `install()` (called by bot/serve.py before Rasa starts) replaces the method with the same check
on one validator built once: same validator class (`validator_for`: the newest draft), same
`best_match` error, same message. We chose this over pinning jsonschema 3.2 (allowed by Rasa,
whose `check_schema` is cheaper but still runs per answer) because a pin would hold every other
package in the venv on a six-year-old jsonschema and still pay part of the cost.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def action_response_validator() -> Validator:
    """Rasa's action response schema, checked once against its metaschema, as a reusable validator."""
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(_action: RemoteAction, result: Dict[Text, Any]) -> bool:
    """RemoteAction._validate_action_result without the per-call schema check (same errors)."""
    error = best_match(action_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    """Make every RemoteAction of this process use the validator above."""
    action_response_validator()  # a broken schema stops the start, as the first turn would have
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[assignment]

