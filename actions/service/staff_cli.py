"""Staff side from the terminal until the agent console covers it: claim decisions, work orders, call-backs.

    python -m actions.service.staff_cli claims CUSTOMER_PHONE
    python -m actions.service.staff_cli claim-status CL-2026123456 approved --amount 3200
    python -m actions.service.staff_cli work-orders [--overdue]
    python -m actions.service.staff_cli work-order TS-2026123456 responded|resolved [--resolution TEXT]
    python -m actions.service.staff_cli callbacks
    python -m actions.service.staff_cli agent-add USERNAME --name "小李 Li" [--role supervisor] [--skills zh-Hans,yue]
    python -m actions.service.staff_cli agent-password USERNAME     (prompts; the password is not echoed)
    python -m actions.service.staff_cli agents
    python -m actions.service.staff_cli audit [--limit 50]
    python -m actions.service.staff_cli voc-themes FILE          (one voice a line -> one JSON line each, then a summary)
    python -m actions.service.staff_cli voc-listen [--themes]     (collect voices and contacts; surveys; themes)
    python -m actions.service.staff_cli voc-consume              (conversation events from ANXIN_EVENT_BROKER_URL)
    python -m actions.service.staff_cli pain-points [--status fixed]
    python -m actions.service.staff_cli pain-point-add TITLE --department D [--theme T] [--intent I] [--due YYYY-MM-DD] [--task TEXT ...]
    python -m actions.service.staff_cli pain-point ID fixed|verified|in_progress|reopened [--link TS-…]
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import List, Optional

from actions.service.constants import LANGUAGES
from actions.service.human_lane.agents import ROLES, audit_log, create_agent, list_agents, set_password
from actions.service.claims.reports import (
    CLAIM_STEPS, DECLINED, ClaimError, list_claims, open_callbacks, set_claim_status,
)
from actions.service.claims.complaints import (
    RESOLVED, RESPONDED, ComplaintStatus, overdue_work_orders, update_work_order, work_orders,
)
from actions.service.core.db import session_scope
from actions.service.formatting import mask_phone
from actions.service.core.models import Customer
from actions.service.voice_of_customer import pain_points as voc_pain_points
from actions.service.voice_of_customer import surveys as voc_surveys
from actions.service.voice_of_customer.commands import consume_broker_events, listen, print_pain_point, print_themes


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not an amount: {text}")


def _print_order(status: ComplaintStatus) -> None:
    print(f"{status.reference}  {status.category:<16} {status.department:<17} {status.status:<9} "
          f"first response by {status.first_response_due:%Y-%m-%d %H:%M}  resolve by {status.resolution_due:%Y-%m-%d}")


def _skills(text: str):
    skills = tuple(skill.strip() for skill in text.split(",") if skill.strip())
    unknown = [skill for skill in skills if skill not in LANGUAGES]
    if unknown or not skills:
        raise argparse.ArgumentTypeError(f"skills are comma-separated codes from {', '.join(LANGUAGES)}")
    return skills


def _new_password() -> str:
    """Asked twice without echo, so it never lands in the shell history or on screen."""
    first = getpass.getpass("New password: ")
    if getpass.getpass("Again: ") != first:
        raise ValueError("the two passwords differ")
    return first


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
    add = commands.add_parser("agent-add", help="a new console account (asks for its password)")
    add.add_argument("username")
    add.add_argument("--name", required=True, help="shown to customers, e.g. '小李 Li'")
    add.add_argument("--role", choices=ROLES, default="agent")
    add.add_argument("--skills", type=_skills, default=LANGUAGES, help="comma-separated, default all")
    reset = commands.add_parser("agent-password", help="set a new password (ends the agent's sessions)")
    reset.add_argument("username")
    commands.add_parser("agents", help="console accounts")
    audit = commands.add_parser("audit", help="the newest audit-log entries")
    audit.add_argument("--limit", type=int, default=50)
    themes = commands.add_parser("voc-themes", help="group voices (one a line, UTF-8) into themes")
    themes.add_argument("file")
    themes.add_argument("--themes", type=int, default=None, help="how many themes (default: chosen by the data)")
    listen_command = commands.add_parser("voc-listen", help="collect voices and contacts, send due surveys, read answers")
    listen_command.add_argument("--themes", action="store_true", help="also group the voices into themes again")
    commands.add_parser("voc-consume", help="store conversation events from the event broker (until Ctrl-C)")
    points = commands.add_parser("pain-points", help="pain points with owner, due date, tasks and links")
    points.add_argument("--status", choices=voc_pain_points.STATUSES)
    new_point = commands.add_parser("pain-point-add", help="turn a theme into a tracked pain point")
    new_point.add_argument("title")
    new_point.add_argument("--department", required=True)
    new_point.add_argument("--theme", default="")
    new_point.add_argument("--intent", default="", help="the service it is about (whose users are surveyed)")
    new_point.add_argument("--due", type=date.fromisoformat)
    new_point.add_argument("--task", action="append", default=[])
    point = commands.add_parser("pain-point", help="move a pain point (fixed sends surveys; verified judges them)")
    point.add_argument("id", type=int)
    point.add_argument("status", nargs="?", choices=(voc_pain_points.IN_PROGRESS, voc_pain_points.FIXED,
                                                     voc_pain_points.VERIFIED, voc_pain_points.REOPENED))
    point.add_argument("--link", action="append", default=[], help="a complaint reference TS-…")
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
        elif args.command == "agent-add":
            account = create_agent(args.username, _new_password(), args.name, role=args.role, skills=args.skills)
            print(f"added {account.username} ({account.role}, {','.join(account.skills)})")
        elif args.command == "agent-password":
            print(f"new password set for {set_password(args.username, _new_password()).username}")
        elif args.command == "agents":
            for account in list_agents():
                print(f"{account.username:<16} {account.role:<10} {','.join(account.skills):<26} {account.display_name}")
        elif args.command == "audit":
            for entry in audit_log(args.limit):
                print(f"{entry.created_at:%Y-%m-%d %H:%M:%S}  {entry.agent_name or '-':<14} {entry.action:<16} "
                      f"{entry.ticket_id or '':<6} {entry.customer_id or '':<6} {entry.detail}")
        elif args.command == "voc-themes":
            with open(args.file, encoding="utf-8") as lines:
                print_themes([line.rstrip("\n") for line in lines], args.themes)
        elif args.command == "voc-listen":
            print(json.dumps(listen(args.themes), ensure_ascii=False))
        elif args.command == "voc-consume":
            return consume_broker_events()
        elif args.command == "pain-points":
            for view in voc_pain_points.list_pain_points([args.status] if args.status else ()):
                print_pain_point(view)
        elif args.command == "pain-point-add":
            print_pain_point(voc_pain_points.create_pain_point(
                args.title, args.department, args.theme, args.intent, args.due, args.task))
        elif args.command == "pain-point":
            for reference in args.link:
                voc_pain_points.link_reference(args.id, reference)
            if args.status == voc_pain_points.FIXED:
                voc_surveys.mark_fixed(args.id)
            elif args.status == voc_pain_points.VERIFIED:
                print(voc_surveys.verify(args.id).text())
            elif args.status:
                voc_pain_points.move(args.id, args.status)
            print_pain_point(voc_pain_points.get_pain_point(args.id))
    except OSError as error:
        print(f"refused: {error}", file=sys.stderr)
        return 1
    except (ClaimError, ValueError) as error:  # AgentError is a ValueError
        print(f"refused: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
