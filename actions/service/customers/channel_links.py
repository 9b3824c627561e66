"""Which channel addresses reach which verified customer (for pushes: reminders, agent replies)."""
from __future__ import annotations

from typing import List, Optional

from actions.service.core.db import session_scope
from actions.service.core.models import ChannelLink


def link_channel(customer_id: int, channel: str, address: str) -> None:
    """Remember that `address` on `channel` belongs to the customer; a re-link moves it to them."""
    with session_scope() as session:
        link = session.query(ChannelLink).filter_by(channel=channel, address=str(address)).first()
        if link is None:
            session.add(ChannelLink(customer_id=customer_id, channel=channel, address=str(address)))
        else:
            link.customer_id = customer_id


def linked_addresses(customer_id: int, channel: str) -> List[str]:
    """Every address on `channel` linked to the customer, oldest first."""
    with session_scope() as session:
        links = (session.query(ChannelLink).filter_by(customer_id=customer_id, channel=channel)
                 .order_by(ChannelLink.id).all())
        return [link.address for link in links]


def customer_for_address(channel: str, address: str) -> Optional[int]:
    """The customer an address was linked to, if any."""
    with session_scope() as session:
        link = session.query(ChannelLink).filter_by(channel=channel, address=str(address)).first()
        return link.customer_id if link else None
