"""What the customer pages say of their own: the document pages' notices (read-aloud's refusals: voice/phrases.py).

The bot's sentences live in the domain (bot/domain/*.yml).
"""
from __future__ import annotations

# Document and payment pages that only say something (bot/pages/documents.py):
# (title zh, title en, text zh, text en, status).
MESSAGES = {
    "link_not_found": ("抱歉，链接无效或已过期", "Sorry, this link is not valid or has expired",
                       "请回到对话中重新索取，我们会发给您新的链接。",
                       "Please go back to the chat and ask again. We will send you a new link.", 404),
    "order_not_found": ("抱歉，找不到这笔付款", "Sorry, we cannot find this payment",
                        "请回到对话中重新发起交费。", "Please go back to the chat and start the payment again.", 404),
    "payments_off": ("抱歉，这里暂时不能在线交费", "Sorry, online payment is not available here",
                     "请通过银行卡自动扣款交费，或拨打客服热线。", "Please pay by bank debit, or call our hotline.", 404),
    "period_already_paid": ("这一期保费已经交过了", "This premium has already been paid",
                            "不用再交了，我们没有再扣款。如有疑问请回到对话中查询。",
                            "There is nothing more to pay and nothing was taken. Ask in the chat if in doubt.", 409),
    "too_many_requests": ("抱歉，您操作得有点快", "Sorry, you are going a little fast",
                          "请稍等一分钟再试。", "Please wait a minute and try again.", 429),
    "busy": ("抱歉，系统暂时繁忙", "Sorry, we are busy right now",
             "请稍等一会儿再试。您的资料是安全的。", "Please try again in a moment. Your information is safe.", 503),
}
