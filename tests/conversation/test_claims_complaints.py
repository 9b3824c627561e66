"""Claims, complaints and ratings through the REST channel of running servers, in Chinese and English."""
import re
import subprocess
import sys

from tests.servers import ROOT, new_sender, texts, verify

REFERENCE = re.compile(r"CL-\d{10}")


def _report_hospital_stay_as_zhang(servers, sender):
    """张秀英 reports her own hospital stay three days ago, in Chinese, and confirms."""
    reply = verify(servers, sender, "13900000002", "7340", "我要报案")
    assert "身份已确认" in reply and "谁出了事" in reply  # she has family on her policies, so: who?
    assert "发生了什么事" in texts(servers.say(sender, "我自己"))
    assert "哪一天" in texts(servers.say(sender, "生病住院了"))
    assert "在哪里" in texts(servers.say(sender, "三天前"))
    assert "经过" in texts(servers.say(sender, "郑州市人民医院"))
    assert "医药费" in texts(servers.say(sender, "肺炎，住了三天院"))
    summary = servers.say(sender, "四千二")
    assert "请核对" in texts(summary) and "郑州市人民医院" in texts(summary) and "139****0002" in texts(summary)
    assert [b["payload"] for b in summary[-1]["buttons"]][0] == "/affirm"
    return servers.say(sender, "/affirm")


def test_mother_reports_in_chinese_daughter_in_english_and_both_follow_one_claim(servers):
    mother = new_sender()
    receipt = texts(_report_hospital_stay_as_zhang(servers, mother))
    assert "报案成功" in receipt and "10分钟内" in receipt
    assert "病历和出院小结" in receipt  # the hospital-stay checklist
    assert "1个工作日内赔付" in receipt  # ¥4,200: the fast lane
    assert "满意吗" in receipt  # one rating request
    reference = REFERENCE.search(receipt).group()

    daughter = new_sender()
    reply = verify(servers, daughter, "13700000003", "7788", "I need to report a claim for my mother")
    assert "What happened" in reply  # "for my mother" already said who: not asked again
    assert "When did it happen" in texts(servers.say(daughter, '/inform{"claim_event_type":"hospital"}'))
    assert "Where" in texts(servers.say(daughter, "3 days ago"))
    servers.say(daughter, "Zhengzhou People's Hospital")
    servers.say(daughter, "She had pneumonia")
    assert "Please check" in texts(servers.say(daughter, "I don't know"))
    duplicate = texts(servers.say(daughter, "/affirm"))
    assert "already been reported" in duplicate and reference in duplicate
    assert len(set(REFERENCE.findall(duplicate))) == 1

    # Staff record a decision; both customers see the same progress.
    subprocess.run([sys.executable, "-m", "actions.service.staff_cli", "claim-status", reference, "approved",
                    "--amount", "4200"], env=servers.env, cwd=ROOT, check=True, capture_output=True)
    for sender, words in ((mother, ("已同意赔付", "¥4,200", "下一步：已赔付")),
                          (daughter, ("Approved", "¥4,200", "Next step: Paid"))):
        status = texts(servers.say(sender, "理赔进度" if sender == mother else "claim status"))
        assert reference in status and all(word in status for word in words), status


def test_what_the_first_message_said_is_not_asked_again(servers):
    sender = new_sender()
    reply = verify(servers, sender, "13900000002", "7340", "我女儿前天摔伤了，要报案")
    assert "在哪里" in reply  # who, what and when were all in the first message
    assert "经过" in texts(servers.say(sender, "郑州人民医院"))  # a hospital's name, not a request for a person
    assert "医药费" in texts(servers.say(sender, "下楼梯摔的"))
    summary = texts(servers.say(sender, "两千"))
    assert "请核对" in summary and "女儿 Emily Li" in summary and "意外" in summary and "郑州人民医院" in summary


def test_a_correction_before_confirming(servers):
    sender = new_sender()
    reply = verify(servers, sender, "13800000001", "5821", "我要报案")
    assert "发生了什么事" in reply  # 王建国 has no family registered: no "who" question
    servers.say(sender, '/inform{"claim_event_type":"accident"}')
    servers.say(sender, "上周三")
    servers.say(sender, "家门口")
    assert "医药费" in texts(servers.say(sender, "下楼梯摔了一跤"))
    servers.say(sender, "不清楚")
    assert "要改哪一项" in texts(servers.say(sender, '/inform{"claim_confirmed":"change"}'))
    assert "哪一天" in texts(servers.say(sender, '/inform{"claim_change_field":"claim_event_date"}'))
    summary = texts(servers.say(sender, "昨天"))
    assert "请核对" in summary
    receipt = texts(servers.say(sender, "/affirm"))
    assert REFERENCE.search(receipt) and "意外证明" in receipt


def test_a_complaint_in_english_its_status_and_a_rating(servers):
    sender = new_sender()
    asked = texts(servers.say(sender, "I want to complain, my premium was charged twice"))
    assert "What would you like us to do" in asked  # category and story were in the first message
    filed = texts(servers.say(sender, "refund the second payment"))
    assert re.search(r"TS-\d{10}", filed) and "policy services" in filed
    assert "rate this service" in filed
    thanks = texts(servers.say(sender, '/give_feedback{"rating":"5"}'))
    assert "Thank you for rating" in thanks
    status = texts(servers.say(sender, "any update on my complaint?"))
    assert "Received, waiting for a reply" in status and re.search(r"TS-\d{10}", status)


def test_an_angry_customer_is_offered_a_person_at_once(servers):
    sender = new_sender()
    messages = servers.say(sender, "气死我了！！你们理赔太慢了，我要投诉")
    assert "转人工" in texts(messages) or any(
        b.get("payload") == "/request_human" for m in messages for b in m.get("buttons", []))
    assert "人工客服" in texts(servers.say(sender, "/request_human"))
