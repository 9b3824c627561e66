from actions.service.customers.channel_links import customer_for_address, link_channel, linked_addresses


def test_a_chat_linked_to_a_customer_is_found_both_ways(demo_db, customers):
    wang, emily = customers.wang, customers.emily
    link_channel(wang, "telegram", "1001")
    link_channel(wang, "telegram", 1001)  # linking twice keeps one row
    assert linked_addresses(wang, "telegram") == ["1001"]
    assert customer_for_address("telegram", "1001") == wang
    link_channel(emily, "telegram", "1001")  # the chat now belongs to someone else
    assert linked_addresses(wang, "telegram") == []
    assert customer_for_address("telegram", "1001") == emily
    assert customer_for_address("telegram", "999") is None
