/* Anxin agent console: one script for the login, queue and conversation pages (body[data-page]).
 *
 * Stable hooks for tests (ids unless noted; rows and items carry data-test attributes):
 *   every page   body[data-page=login|queue|ticket], #action-status (role=status), #connection-status
 *                (class "live" while the event stream is open), #agent-name, #logout-button
 *   login        #login-form, #login-username, #login-password, #login-submit, #login-error (role=alert)
 *   queue        #queue-rows > tr[data-test=queue-row][data-ticket-id][data-sender-id][data-reference]
 *                  [data-priority][data-status][data-breached=true|false];
 *                  a[data-test=open-ticket], button[data-test=take-ticket] in each row;
 *                #queue-empty, #sla-target, #queue-scope;
 *                supervisors: #supervisor-panel, #queues-rows > tr[data-test=queue-summary-row][data-language],
 *                #agents-rows > tr[data-test=agent-row][data-username],
 *                #audit-list > li[data-test=audit-row]
 *   ticket       #ticket-reference, #ticket-status[data-status], #ticket-priority, #ticket-summary,
 *                #ticket-waiting, #transcript > li[data-test=message][data-author=customer|bot|agent|note|system]
 *                  [data-message-id] (pre-handoff lines have data-source=bot-transcript),
 *                #intent, #fields > dl > div[data-test=field][data-slot=<name>],
 *                #verification[data-verified=true|false], #policies > li[data-test=policy][data-number],
 *                #claims > li[data-test=claim][data-reference], #take-button, #resolve-button,
 *                #handback-button, #reply-form, #reply-text, #reply-send,
 *                #canned-replies > button[data-test=canned-reply], #note-form, #note-text, #note-send,
 *                #identity-form (shown on the agent's own unverified ticket), #identity-lookup,
 *                #identity-last4, #identity-birth, #identity-submit
 * Every POST carries X-Anxin-Console: 1 (the server refuses POSTs without it).
 */
(function () {
  "use strict";
  var body = document.body;
  var BASE = body.getAttribute("data-base") || "/webhooks/console";
  var PAGE = body.getAttribute("data-page");
  var PRIORITY = { senior: "长者 Senior", vip: "VIP", standard: "普通 Standard" };
  var STATUS = { waiting: "等候中 Waiting", active: "处理中 Active", resolved: "已解决 Resolved",
                 handed_back: "已交回机器人 Handed back" };
  var AUTHOR = { customer: "客户 Customer", bot: "机器人 Bot", agent: "坐席 Agent", note: "备注 Note",
                 system: "系统 System" };
  var PANEL_SECONDS = 10;
  var LANGUAGE = { "zh-Hans": "普通话 简体", "zh-Hant": "普通话 繁體", yue: "粤语 Cantonese", en: "English" };

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function say(text, bad) {
    var status = $("action-status");
    if (!status) return;
    status.textContent = text || "";
    status.className = bad ? "status bad" : "status";
  }

  function request(method, path, payload) {
    var options = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (method === "POST") {
      options.headers["X-Anxin-Console"] = "1";
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload || {});
    }
    return fetch(BASE + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status === 401 && PAGE !== "login") { window.location.href = BASE + "/login"; }
        data.httpStatus = response.status;
        data.ok = response.ok;
        return data;
      });
    }, function () { return { ok: false, httpStatus: 0, message: "网络中断 Network problem" }; });
  }

  function seconds(text) { return Math.max(0, Math.round(Number(text) || 0)); }

  function clock(total) {
    var s = seconds(total), m = Math.floor(s / 60);
    return m >= 60 ? Math.floor(m / 60) + "h " + (m % 60) + "m" : m + ":" + String(s % 60).padStart(2, "0");
  }

  function localTime(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  }

  /* Waiting time ticks on the page between server updates; SLA breach is the server's flag, or no first
     response yet once the target has passed (so a breach shows the second it happens). */
  var received = Date.now();
  function waited(ticket) { return seconds(ticket.waiting_seconds) + (Date.now() - received) / 1000; }
  function breached(ticket) {
    if (ticket.sla_breached) return true;
    return !ticket.first_response_at && ticket.status === "waiting" && waited(ticket) > (ticket.sla_seconds || 10);
  }

  function connect(path, handlers) {
    var status = $("connection-status");
    var source = new EventSource(BASE + path);
    source.onopen = function () { status.textContent = "实时 Live"; status.className = "connection live"; };
    source.onerror = function () { status.textContent = "重新连接中… Reconnecting…"; status.className = "connection lost"; };
    Object.keys(handlers).forEach(function (name) {
      source.addEventListener(name, function (event) { handlers[name](JSON.parse(event.data)); });
    });
    source.addEventListener("logout", function () { source.close(); window.location.href = BASE + "/login"; });
    window.addEventListener("pagehide", function () { source.close(); });
    return source;
  }

  function showMe(then) {
    request("GET", "/api/me").then(function (me) {
      if (!me.ok) return;
      $("agent-name").textContent = me.display_name + (me.role === "supervisor" ? " · 主管 Supervisor" : "");
      $("logout-button").addEventListener("click", function () {
        request("POST", "/logout").then(function () { window.location.href = BASE + "/login"; });
      });
      then(me);
    });
  }

  /* ---------------- login ---------------- */
  function loginPage() {
    var form = $("login-form"), error = $("login-error");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      error.hidden = true;
      $("login-submit").disabled = true;
      request("POST", "/login", { username: $("login-username").value.trim(), password: $("login-password").value })
        .then(function (result) {
          $("login-submit").disabled = false;
          if (result.ok) { window.location.href = result.next || BASE + "/queue"; return; }
          error.textContent = result.message || "登录失败 Login failed";
          error.hidden = false;
          $("login-password").value = "";
          $("login-password").focus();
        });
    });
    $("login-username").focus();
  }

  /* ---------------- queue ---------------- */
  function queuePage() {
    var tickets = [], me = null;

    function take(ticket, button) {
      button.disabled = true;
      request("POST", "/api/tickets/" + ticket.id + "/take").then(function (result) {
        if (result.ok) { window.location.href = BASE + "/ticket/" + ticket.id; return; }
        button.disabled = false;
        say(result.message || "接入失败 Could not take it", true);
      });
    }

    function row(ticket) {
      var late = breached(ticket);
      var tr = el("tr", { "data-test": "queue-row", "data-ticket-id": ticket.id, "data-sender-id": ticket.sender_id,
                          "data-reference": ticket.reference, "data-priority": ticket.priority,
                          "data-status": ticket.status, "data-breached": String(late) });
      if (late) tr.className = "breach";
      if (me && ticket.agent_id === me.id) tr.className += " mine";
      var priority = el("td");
      priority.appendChild(el("span", { "class": "badge " + ticket.priority }, PRIORITY[ticket.priority] || ticket.priority));
      tr.appendChild(priority);
      var who = el("td", {}, ticket.customer_name || "未验证客户 Unverified");
      who.appendChild(el("div", { "class": "muted" }, ticket.reference));
      tr.appendChild(who);
      tr.appendChild(el("td", {}, LANGUAGE[ticket.language] || ticket.language));
      tr.appendChild(el("td", {}, ticket.channel_label || ticket.channel));
      var wait = el("td", { "data-test": "waiting" });
      showWaiting(wait, ticket);
      tr.appendChild(wait);
      var status = STATUS[ticket.status] || ticket.status;
      tr.appendChild(el("td", {}, ticket.agent_name ? status + " · " + ticket.agent_name : status));
      var said = ticket.summary && ticket.summary.charAt(0) !== "/" ? ticket.summary : "";  /* not a button payload */
      tr.appendChild(el("td", {}, said || ticket.intent_label || ""));
      var cell = el("td"), actions = el("div", { "class": "row-actions" });
      cell.appendChild(actions);
      actions.appendChild(el("a", { href: BASE + "/ticket/" + ticket.id, "data-test": "open-ticket", "class": "button" },
                             "查看 Open"));
      if (ticket.status === "waiting") {
        var button = el("button", { type: "button", "class": "primary", "data-test": "take-ticket" }, "接入 Take");
        button.addEventListener("click", function () { take(ticket, button); });
        actions.appendChild(button);
      }
      tr.appendChild(cell);
      return tr;
    }

    function showWaiting(cell, ticket) {
      var late = breached(ticket);
      cell.replaceChildren(document.createTextNode(clock(waited(ticket))));
      if (late) cell.appendChild(el("span", { "class": "badge breach" }, "超时 SLA breached"));
      var tr = cell.parentNode;
      if (tr && tr.getAttribute("data-breached") !== String(late)) {
        tr.setAttribute("data-breached", String(late));
        tr.classList.toggle("breach", late);
      }
    }

    /* Rows are rebuilt only when the queue changes; the focused control is focused again afterwards
       (keyboard users keep their place). Waiting times tick in place every second. */
    function render() {
      var rows = $("queue-rows"), focused = document.activeElement, again = null;
      var focusedRow = focused && focused.closest ? focused.closest("tr[data-ticket-id]") : null;
      if (focusedRow) again = [focusedRow.getAttribute("data-ticket-id"), focused.getAttribute("data-test")];
      rows.replaceChildren.apply(rows, tickets.map(row));
      $("queue-empty").hidden = tickets.length > 0;
      if (again) {
        var target = rows.querySelector('tr[data-ticket-id="' + again[0] + '"] [data-test="' + again[1] + '"]');
        if (target) target.focus();
      }
    }

    function tick() {
      tickets.forEach(function (ticket) {
        var cell = $("queue-rows").querySelector('tr[data-ticket-id="' + ticket.id + '"] [data-test="waiting"]');
        if (cell) showWaiting(cell, ticket);
      });
    }

    var panelShownAt = 0, panelTimer = null;
    function supervisorPanel() {  /* at most every PANEL_SECONDS: each look is audited */
      var due = panelShownAt + PANEL_SECONDS * 1000 - Date.now();
      if (due > 0) {
        if (!panelTimer) panelTimer = window.setTimeout(function () { panelTimer = null; supervisorPanel(); }, due);
        return;
      }
      panelShownAt = Date.now();
      request("GET", "/api/agents").then(function (result) {
        if (!result.ok) return;
        var queues = $("queues-rows");
        queues.replaceChildren.apply(queues, result.queues.map(function (q) {
          var tr = el("tr", { "data-test": "queue-summary-row", "data-language": q.language });
          if (q.sla_breaches) tr.className = "breach";
          [LANGUAGE[q.language] || q.language, q.waiting, q.active, clock(q.longest_wait_seconds),
           q.sla_breaches, q.agents_online].forEach(function (value) { tr.appendChild(el("td", {}, value)); });
          return tr;
        }));
        var rows = $("agents-rows");
        rows.replaceChildren.apply(rows, result.agents.map(function (agent) {
          var tr = el("tr", { "data-test": "agent-row", "data-username": agent.username });
          tr.appendChild(el("td", {}, agent.display_name + " (" + agent.username + ")"));
          tr.appendChild(el("td", {}, agent.role === "supervisor" ? "主管 Supervisor" : "坐席 Agent"));
          tr.appendChild(el("td", {}, (agent.skills || []).map(function (s) { return LANGUAGE[s] || s; }).join(", ")));
          tr.appendChild(el("td", {}, agent.online ? "在线 Online" : "离线 Offline"));
          tr.appendChild(el("td", {}, tickets.filter(function (t) { return t.agent_id === agent.id; }).length));
          return tr;
        }));
      });
      request("GET", "/api/audit?limit=30").then(function (result) {
        if (!result.ok) return;
        var list = $("audit-list");
        list.replaceChildren.apply(list, result.audit.map(function (entry) {
          return el("li", { "data-test": "audit-row" }, [localTime(entry.created_at || entry.at), entry.agent_name || entry.agent_id,
            entry.action, entry.ticket_id ? "#" + entry.ticket_id : "", entry.detail || ""].join("  "));
        }));
      });
    }

    showMe(function (who) {
      me = who;
      $("queue-scope").textContent = who.role === "supervisor"
        ? "主管：所有队列 · Supervisor: all queues"
        : "您的语言队列 Your queues: " + who.skills.map(function (s) { return LANGUAGE[s] || s; }).join(", ");
      if (who.role === "supervisor") { $("supervisor-panel").hidden = false; }
      connect("/api/events", {
        queue: function (data) {
          tickets = data.tickets; received = Date.now(); render();
          if (who.role === "supervisor") supervisorPanel();
        }
      });
      window.setInterval(tick, 1000);
    });
  }

  /* ---------------- conversation ---------------- */
  function ticketPage() {
    var id = Number(window.location.pathname.split("/").pop());
    var me = null, ticket = null, lastId = 0, seen = {}, verified = false;

    function line(entry, fromBot) {
      var author = entry.author || "system";
      var li = el("li", { "data-test": "message", "data-author": author });
      if (entry.id) { li.setAttribute("data-message-id", entry.id); }
      if (fromBot) { li.setAttribute("data-source", "bot-transcript"); }
      var label = AUTHOR[author] || author;
      if (author === "agent" && entry.agent_name) label += " · " + entry.agent_name;
      if (entry.voice) label += " 🎤 语音 voice";
      li.appendChild(el("span", { "class": "who" }, label));
      li.appendChild(document.createTextNode(entry.text || ""));
      var at = localTime(entry.at || entry.created_at);
      if (at) li.appendChild(el("span", { "class": "at" }, at));
      return li;
    }

    function addMessage(message) {
      if (!message.id || seen[message.id]) return;
      seen[message.id] = true;
      lastId = Math.max(lastId, message.id);
      var list = $("transcript");
      var atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 40;
      list.appendChild(line(message, false));
      if (atBottom) list.scrollTop = list.scrollHeight;
    }

    function showTicket(view) {
      ticket = view;
      received = Date.now();
      $("ticket-reference").textContent = view.reference;
      var status = $("ticket-status");
      status.textContent = STATUS[view.status] + (view.agent_name ? " · " + view.agent_name : "");
      status.setAttribute("data-status", view.status);
      var priority = $("ticket-priority");
      priority.textContent = PRIORITY[view.priority] || view.priority;
      priority.className = "badge " + view.priority;
      var mine = me && view.agent_id === me.id && view.status === "active";
      var open = view.status === "waiting" || view.status === "active";
      $("take-button").hidden = view.status !== "waiting";
      $("reply-form").hidden = !mine;
      $("resolve-button").hidden = !(open && (mine || (me && me.role === "supervisor")));
      $("handback-button").hidden = $("resolve-button").hidden;
      $("identity-form").hidden = !mine || verified || !!view.verified_by;
      tick();
    }

    function tick() {
      if (!ticket) return;
      var text = "已等 Waiting " + clock(waited(ticket)) + " · 首次回复目标 ≤ " + (ticket.sla_seconds || 10) +
        " 秒 First response target";
      if (ticket.first_response_at) text += " · 已回复 Answered " + localTime(ticket.first_response_at);
      var node = $("ticket-waiting");
      node.textContent = text;
      if (breached(ticket)) node.appendChild(el("span", { "class": "badge breach", "data-test": "sla-breached" }, "超时 SLA breached"));
    }

    function definitions(dl, pairs) {
      dl.replaceChildren.apply(dl, pairs.map(function (pair) {
        var wrap = el("div", { "data-test": "field", "data-slot": pair[2] || pair[0] });
        wrap.appendChild(el("dt", {}, pair[0]));
        wrap.appendChild(el("dd", {}, pair[1]));
        return wrap;
      }));
      return dl;
    }

    function showCustomer(data) {
      var v = data.verification;
      var verification = $("verification");
      verified = !!v.verified;
      verification.setAttribute("data-verified", String(v.verified));
      definitions(verification, [
        ["已验证 Verified", v.verified ? "是 Yes ✓" + (v.verified_by_label ? " · " + v.verified_by_label : "") : "否 No ✗",
         "verified"],
        ["姓名 Name", [v.customer_name, v.customer_name_en].filter(function (name, i, all) {
          return name && all.indexOf(name) === i; }).join(" / ") || "—", "customer_name"],
        ["年龄 Age", v.age === null || v.age === undefined ? "—" : String(v.age), "age"],
        ["长者 Senior", v.is_senior ? "是 Yes" : "否 No", "is_senior"],
        ["客户等级 Tier", v.tier || "—", "tier"],
        ["方言 Dialect", v.dialect || "—", "dialect"],
        ["手机 Phone", v.phone || "—", "phone"]
      ]);
      $("intent").textContent = data.intent_label || "—";
      if (data.intents.length > 1) {
        $("intent").appendChild(el("span", { "class": "muted" }, "  (" + data.intents.map(function (i) { return i.label; }).join(" → ") + ")"));
      }
      var fields = $("fields");
      fields.replaceChildren();
      var groups = Object.keys(data.fields.forms).map(function (form) { return [form, data.fields.forms[form]]; });
      if (Object.keys(data.fields.other).length) groups.push(["其他 Other", data.fields.other]);
      if (!groups.length) fields.appendChild(el("p", { "class": "muted" }, "还没有 None yet"));
      var labels = data.fields.labels || {};  /* the agent reads words, never the bot's slot names */
      groups.forEach(function (group) {
        fields.appendChild(el("h3", {}, labels[group[0]] || group[0]));
        fields.appendChild(definitions(el("dl"), Object.keys(group[1]).map(function (name) {
          var value = group[1][name];
          return [labels[name] || "其他 Other", Array.isArray(value) ? value.join(", ") : String(value), name];
        })));
      });
      var policies = $("policies");
      policies.replaceChildren.apply(policies, data.policies.length ? data.policies.map(function (p) {
        return el("li", { "data-test": "policy", "data-number": p.number },
          p.number + " · " + p.product + " " + p.product_en + " · " + p.status + "\n保额 Sum " + p.sum_assured + " · 保费 Premium " + p.premium +
          " (" + p.frequency + ") · 下次 Due " + p.next_due_date + (p.overdue_days ? " · 逾期 overdue " + p.overdue_days + "d" : "") +
          "\n扣款 Debit " + p.debit_account);
      }) : [el("li", {}, v.customer_known ? "没有保单 No policies" : "未验证，不显示 Not verified: not shown")]);
      var claims = $("claims");
      claims.replaceChildren.apply(claims, data.claims.length ? data.claims.map(function (c) {
        return el("li", { "data-test": "claim", "data-reference": c.reference },
          c.reference + " · " + c.event_type + " · " + c.event_date + " · " + c.status +
          (c.amount ? " · " + c.amount : "") + (c.next_step ? "\n下一步 Next: " + c.next_step : ""));
      }) : [el("li", {}, "没有 None")]);
    }

    function showCanned(replies) {
      var box = $("canned-replies");
      box.replaceChildren.apply(box, replies.map(function (text) {
        var button = el("button", { type: "button", "data-test": "canned-reply" }, text);
        button.addEventListener("click", function () { $("reply-text").value = text; $("reply-text").focus(); });
        return button;
      }));
    }

    function load() {
      return request("GET", "/api/tickets/" + id).then(function (data) {
        if (!data.ok) { say(data.message || "打不开 Cannot open", true); return false; }
        $("ticket-summary").textContent = data.summary;
        var list = $("transcript");
        list.replaceChildren();
        seen = {};
        data.transcript.forEach(function (entry) { list.appendChild(line(entry, true)); });
        list.appendChild(el("li", { "class": "divider" }, "转人工 Handoff"));
        data.messages.forEach(addMessage);
        list.scrollTop = list.scrollHeight;
        showCustomer(data);
        showCanned(data.canned_replies);
        showTicket(data.ticket);
        return true;
      });
    }

    function post(action, payload, done) {
      return request("POST", "/api/tickets/" + id + "/" + action, payload).then(function (result) {
        if (!result.ok) { say(result.message || "失败 Failed", true); return result; }
        if (done) say(done);
        if (result.ticket) showTicket(result.ticket);
        return result;
      });
    }

    $("take-button").addEventListener("click", function () {
      $("take-button").disabled = true;
      post("take", {}, "已接入，客户会看到您加入了 You joined the conversation").then(function () {
        $("take-button").disabled = false;
        if (!$("reply-form").hidden) $("reply-text").focus();
      });
    });
    $("reply-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var text = $("reply-text").value.trim();
      if (!text) return;
      $("reply-send").disabled = true;
      post("reply", { text: text }).then(function (result) {
        $("reply-send").disabled = false;
        if (!result.ok) return;
        $("reply-text").value = "";
        say(result.delivered ? "已发送 Sent" : "已保存，但未能送达 Saved, but not delivered", !result.delivered);
      });
    });
    $("note-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var text = $("note-text").value.trim();
      if (!text) return;
      post("note", { text: text }, "备注已保存 Note saved").then(function (result) { if (result.ok) $("note-text").value = ""; });
    });
    $("identity-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var answers = { lookup: $("identity-lookup").value.trim(), id_last4: $("identity-last4").value.trim(),
                      birth_date: $("identity-birth").value.trim() };
      $("identity-submit").disabled = true;
      post("verify", answers).then(function (result) {
        $("identity-submit").disabled = false;
        $("identity-last4").value = "";  /* the answers never stay on the page */
        $("identity-birth").value = "";
        if (!result.ok) return;
        $("identity-lookup").value = "";
        say(result.message);
        load();  /* the customer, the policies and "verified by" */
      });
    });
    $("resolve-button").addEventListener("click", function () {
      post("resolve", {}, "已解决，机器人会请客户评分 Resolved: the bot asks for a rating");
    });
    $("handback-button").addEventListener("click", function () {
      post("handback", {}, "已交回机器人 Handed back to the bot");
    });

    showMe(function (who) {
      me = who;
      load().then(function (ok) {
        if (!ok) return;
        connect("/api/events?ticket=" + id + "&after=" + lastId, { message: addMessage, ticket: showTicket });
      });
      window.setInterval(tick, 1000);
    });
  }

  if (PAGE === "login") loginPage();
  else if (PAGE === "queue") queuePage();
  else if (PAGE === "ticket") ticketPage();
})();
