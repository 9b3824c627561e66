"""Rasa sends the domain to every action that reads it, and only to those (bot/endpoints.yml, issue 14).

With `enable_selective_domain` Rasa posts the domain (100 KB of JSON) only to `validate_*` actions and to
actions marked `send_domain: true` in bot/domain; any other action gets an empty domain. An action that
reads the domain (its own code, or a helper it hands the domain to) without the mark would quietly get
nothing: e.g. the which-meaning question would lose its button labels.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from typing import Dict, Type

import yaml
from rasa.shared.core.domain import Domain
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.utils import all_subclasses

ROOT = Path(__file__).resolve().parents[2]
# A parameter declared as the domain (`domain: DomainDict`) is not a read; any other use of the name is.
DOMAIN_PARAMETER = re.compile(r"\bdomain\s*:\s*[\w\[\], ]+")
DOMAIN_USED = re.compile(r"\bdomain\b")


def project_actions() -> Dict[str, Type[Action]]:
    """What the action server registers: every concrete Action of the `actions` package, by name.

    rasa-sdk's own `register_package` walks the package with bare module names; under pytest, whose
    sys.path holds test folders such as tests/service/claims, that walk wanders into the tests
    (`actions.service.claims.test_claims`) and fails. Here the walk uses full names."""
    import actions

    for module in pkgutil.walk_packages(actions.__path__, prefix="actions."):
        importlib.import_module(module.name)
    executor = ActionExecutor()
    for action_class in all_subclasses(Action):
        if action_class.__module__.startswith("actions") and not inspect.isabstract(action_class):
            executor.register_action(action_class)
    return {name: type(run.__self__) for name, run in executor.actions.items()}


def reads_the_domain(action_class: Type[Action]) -> bool:
    """Its code, or the code of a project base class, does something with the domain it is given."""
    for cls in action_class.__mro__:
        if cls.__module__.startswith("actions"):
            code = DOMAIN_PARAMETER.sub("", inspect.getsource(cls))
            if DOMAIN_USED.search(code):
                return True
    return False


def test_selective_domain_is_on():
    endpoints = yaml.safe_load((ROOT / "bot" / "endpoints.yml").read_text())
    assert endpoints["action_endpoint"]["enable_selective_domain"] is True


def test_every_action_that_reads_the_domain_is_sent_it():
    domain = Domain.load(str(ROOT / "bot" / "domain"))
    actions = project_actions()
    readers = {name for name, cls in actions.items() if reads_the_domain(cls)}
    assert "action_fallback" in readers  # the check finds a known reader
    for name in readers:
        assert name.startswith("validate_") or domain.does_custom_action_explicitly_need_domain(name), (
            f"{name} reads the domain: mark it `send_domain: true` in bot/domain")


def test_forms_validation_actions_are_sent_the_domain():
    """rasa-sdk's FormValidationAction reads the form's required slots from the domain."""
    domain = Domain.load(str(ROOT / "bot" / "domain"))
    validators = [name for name in project_actions() if name.startswith("validate_")]
    assert validators
    assert all(domain.does_custom_action_explicitly_need_domain(name) for name in validators)
