"""Staff side from the terminal until the agent console covers it: claim decisions, work orders, call-backs.

    python -m actions.service.staff_cli claims CUSTOMER_PHONE
    python -m actions.service.staff_cli claim-status CL-2026123456 approved --amount 3200
    python -m actions.service.staff_cli work-orders [--overdue]
    python -m actions.service.staff_cli work-order TS-2026123456 responded|resolved [--resolution TEXT]
    python -m actions.service.staff_cli callbacks
"""
from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation
from typing import List, Optional

from actions.service.claims import CLAIM_STEPS, DECLINED, ClaimError, list_claims, open_callbacks, set_claim_status
from actions.service.complaints import (
    RESOLVED, RESPONDED, ComplaintStatus, overdue_work_orders, update_work_order, work_orders,
)
from actions.service.db import session_scope
from actions.service.formatting import mask_phone
from actions.service.models import Customer


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not an amount: {text}")


def _print_order(status: ComplaintStatus) -> None:
    print(f"{status.reference}  {status.category:<16} {status.department:<17} {status.status:<9} "
          f"first response by {status.first_response_due:%Y-%m-%d %H:%M}  resolve by {status.resolution_due:%Y-%m-%d}")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Anxin staff commands")
    commands = parser.add_subparsers(dest="command", required=True)
    claims = commands.add_parser("claims", help="a customer's claims with their timeline")
    claims.add_argument("phone")
    claim = commands.add_parser("claim-status", help="record a claim decision")
    claim.add_argument("reference")
    claim.add_argument("status", choices=CLAIM_STEPS + (DECLINED,))
    claim.add_argument("--amount", type=_amount)
    claim.add_argument("--note", default="")
    orders = commands.add_parser("work-orders", help="complaint work orders")
    orders.add_argument("--overdue", action="store_true", help="only those past their SLA")
    order = commands.add_parser("work-order", help="record a first response or a resolution")
    order.add_argument("reference")
    order.add_argument("status", choices=(RESPONDED, RESOLVED))
    order.add_argument("--resolution", default="")
    commands.add_parser("callbacks", help="open call-back tasks, most urgent first")
    args = parser.parse_args(argv)

    try:
        if args.command == "claims":
            with session_scope() as session:
                customer = session.query(Customer).filter_by(phone=args.phone).first()
            if customer is None:
                print(f"no customer with phone {mask_phone(args.phone)}", file=sys.stderr)
                return 1
            for view in list_claims(customer.id):
                steps = ", ".join(f"{s.status} {s.on or '-'}" for s in view.timeline)
                print(f"{view.reference}  {view.insured_name}  {view.event_type} {view.event_date}  "
                      f"{view.status}  [{steps}]")
        elif args.command == "claim-status":
            view = set_claim_status(args.reference, args.status, args.amount, note=args.note)
            print(f"{view.reference} is now {view.status}")
        elif args.command == "work-orders":
            for status in overdue_work_orders() if args.overdue else work_orders():
                _print_order(status)
        elif args.command == "work-order":
            _print_order(update_work_order(args.reference, args.status, args.resolution))
        elif args.command == "callbacks":
            for task in open_callbacks():
                print(f"{task.due_at:%Y-%m-%d %H:%M}  {mask_phone(task.phone)}  {task.reason}  {task.subject}")
    except (ClaimError, ValueError) as error:
        print(f"refused: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
