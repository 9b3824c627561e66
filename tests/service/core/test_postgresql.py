"""The service layer on PostgreSQL: the same seed, identity check and payment as on SQLite.

Uses the PostgreSQL server of the development machines (127.0.0.1, trust auth); skipped where
there is none, so `make test` still runs on a laptop without it (fixture `postgres_db` in conftest).
"""


def test_seed_verify_and_pay_on_postgresql(postgres_db):
    from actions.service.customers.identity import VERIFIED, verify_identity
    from actions.service.policies.payments import create_payment_order, recent_payments, settle_payment_order
    from actions.service.seed import seed_demo_data

    assert seed_demo_data() == 4
    assert seed_demo_data() == 0  # a restart seeds nothing twice
    result = verify_identity("13800000001", "5821", "pg-test")
    assert result.status == VERIFIED
    order = create_payment_order(result.customer_id, ["P2019000001", "P2021000002"], "wechat_pay")
    assert str(order.amount) == "10000"
    settle_payment_order(order.reference)
    settle_payment_order(order.reference)
    paid = [p for p in recent_payments(result.customer_id) if p.method == "wechat_pay"]
    assert len(paid) == 2 and all(p.invoice_number for p in paid)
