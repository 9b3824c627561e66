"""The demo payment provider settles an order only through its signed, fresh, one-time callback."""
from __future__ import annotations

import time

import pytest

from actions.service.policies.demo_payments import DemoPaymentProvider
from actions.service.policies.payment_provider import CallbackRefused
from actions.service.policies.payments import (CallbackReplayed, create_payment_order, get_payment_order,
                                      settle_from_callback)
from actions.service.policies.lookup import list_policies
from tests.conftest import clear_service_caches


@pytest.fixture
def demo_mode(customers, monkeypatch):
    monkeypatch.setenv("ANXIN_DEMO_MODE", "1")
    monkeypatch.setenv("ANXIN_SECRET_KEY", "callback-test-secret")
    clear_service_caches()
    return customers


def _order(customers):
    return create_payment_order(customers.emily, ["P2023000005"], "alipay")


def test_a_signed_callback_settles_once_and_its_replay_is_refused(demo_mode):
    provider, order = DemoPaymentProvider(), _order(demo_mode)
    callback = provider.signed_callback(order.reference, order.amount)
    assert settle_from_callback(provider.verify_callback(callback)).status == "paid"
    (policy,) = list_policies(demo_mode.emily)
    with pytest.raises(CallbackReplayed):
        settle_from_callback(provider.verify_callback(callback))
    assert list_policies(demo_mode.emily) == [policy]  # the due date moved once


@pytest.mark.parametrize("tamper", [
    lambda c: {k: v for k, v in c.items() if k != "signature"},  # unsigned
    lambda c: {**c, "signature": "0" * 64},                       # wrongly signed
    lambda c: {**c, "amount": "0.01"},                           # amount changed after signing
    lambda c: {**c, "reference": "PAY-AAAAAAAAAAAAAAAAAAAAAAAAAA"},  # another order
    lambda c: {**c, "nonce": "fresh-nonce"},                     # a "new" callback from an old one
    lambda c: {**c, "timestamp": str(int(time.time()) + 1)},     # time changed after signing
    lambda c: {},
    lambda c: {**c, "amount": 450},                              # not text
])
def test_a_forged_or_altered_callback_is_refused(demo_mode, tamper):
    provider, order = DemoPaymentProvider(), _order(demo_mode)
    callback = provider.signed_callback(order.reference, order.amount, now=time.time() - 10)
    with pytest.raises(CallbackRefused):
        provider.verify_callback(tamper(callback))
    assert get_payment_order(order.reference).status == "pending"


def test_a_stale_callback_is_refused(demo_mode):
    provider, order = DemoPaymentProvider(), _order(demo_mode)
    callback = provider.signed_callback(order.reference, order.amount, now=time.time() - 3600)
    with pytest.raises(CallbackRefused):
        provider.verify_callback(callback)


@pytest.mark.parametrize("setting, value", [
    ("ANXIN_DEMO_MODE", "0"),                         # the demo provider settles nothing outside demo mode
    ("ANXIN_SECRET_KEY", "someone-elses-secret"),     # a callback signed with another key
])
def test_a_callback_is_refused_when_demo_mode_is_off_or_the_key_differs(demo_mode, monkeypatch, setting, value):
    provider, order = DemoPaymentProvider(), _order(demo_mode)
    callback = provider.signed_callback(order.reference, order.amount)
    monkeypatch.setenv(setting, value)
    clear_service_caches()
    with pytest.raises(CallbackRefused):
        provider.verify_callback(callback)
    if setting == "ANXIN_DEMO_MODE":
        with pytest.raises(CallbackRefused):
            provider.signed_callback(order.reference, order.amount)
