/* Anxin web chat: the customer's page (served at /webhooks/webchat/ by bot/pages/webchat.py).
 *
 * Talks to Rasa over its socket.io channel (events user_uttered / bot_uttered, session
 * persistence: session_request {session_id} -> session_confirm). The session id is kept in
 * localStorage ("anxin-sender"), so a reload continues the same conversation; the messages shown
 * are kept in sessionStorage ("anxin-log") so a reload shows them again. Hold to talk posts the
 * recording to /webhooks/voice/message?sender=<session id>; 🔊 posts to /webhooks/webchat/speak.
 *
 * Elements for tests and tools (stable; change them together with tests/browser):
 *   body[data-connection]  "connecting" | "online" | "offline"
 *   body[data-session]     the session id = Rasa's sender id for this customer
 *   html[data-mode]        "elder" (长辈版, default) | "standard";  html[data-size] "normal" | "xl"
 *   html[lang]             the conversation's language (zh-Hans | zh-Hant | yue | en), as the server's
 *                          `language` slot says: every bot message carries it in metadata.language
 *   #mode / [data-test=elder-mode]      switch elder <-> standard (remembered: localStorage "anxin-mode")
 *   #size / [data-test=larger-text]     switch 特大字 (32 px text; localStorage "anxin-size")
 *   #log                                the conversation, one li.msg per message, oldest first
 *     li.msg[data-author]               "customer" | "bot" | "human" | "system"; classes you|bot|human|system
 *       [data-agent]                    the agent's name on human messages
 *       [data-lang]                     the language the message is written in
 *       .who  [data-test=author-label]  "您", "安心助手 / Anxin bot", "人工客服 王 / Agent Wang", "通知"
 *       .body [data-test=message-text]  the text; links as a[data-test=link]
 *       button.speak [data-test=speak]  read aloud (aria-pressed while playing); not on customer messages
 *       button.choice [data-test=choice][data-payload]  the bot's buttons; pressing sends the payload
 *   #text / #send                       type and send
 *   #talk                               hold to talk
 *   #human / [data-test=human]          转人工 / Human: sends /request_human; always bottom right;
 *                                       opening the page as …/webchat/#human presses it once;
 *                                       pressed while offline it waits (aria-busy) and goes on reconnect
 *   #status / [data-test=status]        notices (connection, recording, read aloud); never a pop-up;
 *                                       [data-key] names the notice ("offline", "notSent", "back", ...)
 * Messages from the human lane: bot_uttered {text, metadata: {author: "human"|"system", agent}}
 * (author/agent are also read at the top level or under custom/data); no author means the bot.
 */
(function () {
  "use strict";

  var LANGUAGES = ["zh-Hans", "zh-Hant", "yue", "en"];
  var AUTHORS = ["bot", "human", "system"];
  var MAX_TEXT = 1000;          // as the server's MAX_MESSAGE_CHARS / MAX_SPEAK_CHARS
  var MAX_KEPT = 100;           // messages kept for a reload
  var MIN_HOLD_MS = 400;        // a tap on hold-to-talk is not a message
  var HOTLINE = document.body.getAttribute("data-hotline") || "";  // the server's ANXIN_HOTLINE

  // Words of the page, per conversation language; before the language is known both are shown.
  var UI = {
    "zh-Hans": {
      title: "安心保险 在线客服", elder: "长辈版", larger: "特大字", send: "发送", talk: "按住说话",
      human: "转人工", typeHere: "请在这里输入文字", hello: "您好！请打字，或按住下面的按钮说话。",
      you: "您", bot: "安心助手", agent: "人工客服", system: "通知", link: "点这里打开",
      speak: "朗读", stopSpeak: "停止朗读", preparing: "正在准备朗读…",
      connecting: "正在连接…", offline: "暂时连不上，正在自动重试。您输入的文字会保留。急事请拨打 " + HOTLINE + "。",
      notSent: "还没连上，文字已保留。连上后请再按“发送”。急事请拨打 " + HOTLINE + "。",
      back: "已重新连上。", listening: "正在听您说的话…", speakNow: "请说话，说完松开。",
      holdLonger: "请按住按钮说话，说完再松开。", noMic: "请允许使用麦克风。", cannotRecord: "这个浏览器不能录音。",
      tapToHear: "请点一下页面再听。", network: "网络不太好，请再试一次。", humanAsked: "转人工"
    },
    "zh-Hant": {
      title: "安心保險 線上客服", elder: "長輩版", larger: "特大字", send: "發送", talk: "按住說話",
      human: "轉人工", typeHere: "請在這裡輸入文字", hello: "您好！請打字，或按住下面的按鈕說話。",
      you: "您", bot: "安心助手", agent: "人工客服", system: "通知", link: "點這裡打開",
      speak: "朗讀", stopSpeak: "停止朗讀", preparing: "正在準備朗讀…",
      connecting: "正在連線…", offline: "暫時連不上，正在自動重試。您輸入的文字會保留。急事請撥打 " + HOTLINE + "。",
      notSent: "還沒連上，文字已保留。連上後請再按「發送」。急事請撥打 " + HOTLINE + "。",
      back: "已重新連上。", listening: "正在聽您說的話…", speakNow: "請說話，說完放開。",
      holdLonger: "請按住按鈕說話，說完再放開。", noMic: "請允許使用麥克風。", cannotRecord: "這個瀏覽器不能錄音。",
      tapToHear: "請點一下頁面再聽。", network: "網路不太好，請再試一次。", humanAsked: "轉人工"
    },
    "yue": {
      title: "安心保險 網上客服", elder: "長者版", larger: "特大字", send: "發送", talk: "㩒住講嘢",
      human: "轉真人", typeHere: "請喺度打字", hello: "你好！請打字，或者㩒住下面個掣講嘢。",
      you: "你", bot: "安心助手", agent: "真人客服", system: "通知", link: "㩒呢度打開",
      speak: "讀出嚟", stopSpeak: "停止", preparing: "準備緊讀出嚟…",
      connecting: "連緊線…", offline: "暫時連唔到，自動再試緊。你打嘅字會保留。急事請打 " + HOTLINE + "。",
      notSent: "未連到，啲字保留咗。連到之後請再㩒「發送」。急事請打 " + HOTLINE + "。",
      back: "已經重新連到。", listening: "聽緊你講嘢…", speakNow: "請講嘢，講完放手。",
      holdLonger: "請㩒住個掣講嘢，講完先放手。", noMic: "請容許用咪。", cannotRecord: "呢個瀏覽器錄唔到音。",
      tapToHear: "請㩒一下頁面再聽。", network: "網絡唔係幾好，請再試一次。", humanAsked: "轉真人"
    },
    "en": {
      title: "Anxin Life chat", elder: "Elder", larger: "Larger", send: "Send", talk: "Hold to talk",
      human: "Human", typeHere: "Type here", hello: "Hello! Type, or hold the button below to talk.",
      you: "You", bot: "Anxin bot", agent: "Agent", system: "Notice", link: "Open",
      speak: "Read aloud", stopSpeak: "Stop reading", preparing: "Getting the audio ready…",
      connecting: "Connecting…", offline: "We cannot reach the service right now and keep trying. What you typed is kept. Urgent? Call " + HOTLINE + ".",
      notSent: "Not connected yet; your text is kept. Press Send again once we are back. Urgent? Call " + HOTLINE + ".",
      back: "Connected again.", listening: "Listening to your message…", speakNow: "Speak now, release when done.",
      holdLonger: "Hold the button while you speak.", noMic: "Please allow the microphone.", cannotRecord: "This browser cannot record.",
      tapToHear: "Tap the page to hear the answer.", network: "Network problem, please try again.", humanAsked: "Human, please"
    }
  };

  var root = document.documentElement, body = document.body;
  var $ = function (id) { return document.getElementById(id); };
  var log = $("log"), status = $("status"), text = $("text"), composer = $("composer");
  var talk = $("talk"), human = $("human"), bar = $("bar"), main = $("main");
  var base = location.pathname.replace(/\/webhooks\/webchat\/?.*$/, "");
  var language = null;          // the conversation's language once known; null: both zh-Hans and en
  var confirmed = false;        // session_confirm received on the current connection
  var everOnline = false;
  var player = new Audio(), speaking = null;  // the .speak button whose audio plays now

  // --- storage that may be missing (private mode, disabled cookies) -------------------------------
  function stored(area, key, value) {
    try {
      var store = window[area];
      if (value === undefined) { return store.getItem(key); }
      store.setItem(key, value);
    } catch (e) { /* the page works without it, only without memory */ }
    return null;
  }

  function newSessionId() {
    var random = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(random);
    return "web-" + Array.prototype.map.call(random, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  var sessionId = stored("localStorage", "anxin-sender");
  if (!sessionId || !/^[A-Za-z0-9_-]{8,64}$/.test(sessionId)) {
    sessionId = newSessionId();
    stored("localStorage", "anxin-sender", sessionId);
  }
  body.setAttribute("data-session", sessionId);

  // --- words of the page in the conversation's language ------------------------------------------
  function word(key) {
    if (language) { return UI[language][key]; }
    return UI["zh-Hans"][key] + " / " + UI.en[key];
  }
  function applyLanguage() {
    root.setAttribute("lang", language || "zh-Hans");
    Array.prototype.forEach.call(document.querySelectorAll("[data-ui]"), function (el) {
      var key = el.getAttribute("data-ui");
      var english = /En$/.test(key);
      var k = english ? key.slice(0, -2) : key;
      if (english) {  // the English line under a Chinese label: hidden when the chat is in English
        el.textContent = language === "en" ? "" : UI.en[k];
        return;
      }
      el.textContent = UI[language || "zh-Hans"][k];
    });
    text.setAttribute("placeholder", UI[language || "zh-Hans"].typeHere);
    // labels written before the language was known follow it too
    Array.prototype.forEach.call(log.querySelectorAll("li.msg:not([data-lang])"), function (item) {
      item.querySelector(".who").textContent = label({author: item.getAttribute("data-author"),
                                                      agent: item.getAttribute("data-agent") || ""});
    });
  }
  function follow(lang) {
    if (lang && LANGUAGES.indexOf(lang) >= 0 && lang !== language) {
      language = lang;
      stored("localStorage", "anxin-language", lang);  // as the session id: a new tab continues both
      applyLanguage();
    }
  }

  // Notices are sentences: one language, the browser's until the conversation has one.
  function browserLanguage() {
    var first = String((navigator.languages && navigator.languages[0]) || navigator.language || "").toLowerCase();
    if (/^en/.test(first)) { return "en"; }
    if (/^zh-(tw|hk|mo|hant)/.test(first)) { return "zh-Hant"; }
    return "zh-Hans";
  }
  function notice(key) {
    status.setAttribute("data-key", key || "");
    status.textContent = key ? UI[language || browserLanguage()][key] : "";
  }
  function noticeShown() { return status.getAttribute("data-key") || ""; }

  // --- elder mode and larger text (remembered) ------------------------------------------------------
  function setMode(mode, size) {
    root.setAttribute("data-mode", mode);
    root.setAttribute("data-size", size);
    $("mode").setAttribute("aria-checked", String(mode === "elder"));
    $("size").setAttribute("aria-checked", String(size === "xl"));
    stored("localStorage", "anxin-mode", mode);
    stored("localStorage", "anxin-size", size);
    fitFooter();
  }
  $("mode").addEventListener("click", function () {
    setMode(root.getAttribute("data-mode") === "elder" ? "standard" : "elder", root.getAttribute("data-size"));
  });
  $("size").addEventListener("click", function () {
    setMode(root.getAttribute("data-mode"), root.getAttribute("data-size") === "xl" ? "normal" : "xl");
  });

  // The fixed bar never covers the last message, whatever its height in this mode.
  function fitFooter() { main.style.paddingBottom = (bar.offsetHeight + 24) + "px"; }
  if (window.ResizeObserver) { new ResizeObserver(fitFooter).observe(bar); }
  window.addEventListener("resize", fitFooter);

  // --- messages ------------------------------------------------------------------------------------
  function isObject(value) { return value !== null && typeof value === "object" && !Array.isArray(value); }

  /* A bot_uttered payload (or a voice reply message) -> {author, agent, text, buttons, links, language};
     null when there is nothing to show. Rasa sends {text}, {text, quick_replies}, {attachment}; the
     human lane adds author/agent, at the top level or inside custom/metadata/data. */
  function normalize(m) {
    if (typeof m === "string") { m = {text: m}; }
    if (!isObject(m)) { return null; }
    var layers = [m].concat([m.custom, m.metadata, m.data].filter(isObject));
    function pick(key) {
      for (var i = 0; i < layers.length; i++) {
        if (layers[i][key] !== undefined && layers[i][key] !== null) { return layers[i][key]; }
      }
      return undefined;
    }
    var author = pick("author");
    author = AUTHORS.indexOf(author) >= 0 ? author : "bot";
    var agent = pick("agent");
    var said = pick("text");
    var buttons = [];
    [pick("quick_replies"), pick("buttons")].forEach(function (list) {
      (Array.isArray(list) ? list : []).forEach(function (b) {
        if (isObject(b) && (typeof b.title === "string" || typeof b.payload === "string")) {
          buttons.push({title: String(b.title || b.payload), payload: String(b.payload || b.title)});
        }
      });
    });
    var links = [];
    var attachment = pick("attachment");
    if (isObject(attachment) && isObject(attachment.payload)) {
      var p = attachment.payload;
      [p.src, p.url].forEach(function (u) { if (typeof u === "string") { links.push(u); } });
      (Array.isArray(p.elements) ? p.elements : [p.elements]).forEach(function (el) {
        if (isObject(el) && Array.isArray(el.buttons)) {
          el.buttons.forEach(function (b) { if (isObject(b) && typeof b.url === "string") { links.push(b.url); } });
        }
      });
    } else if (typeof attachment === "string") {
      links.push(attachment);
    }
    if (typeof pick("image") === "string") { links.push(pick("image")); }
    links = links.filter(function (u) { return /^https?:\/\//i.test(u); });
    said = typeof said === "string" ? said : (typeof said === "number" ? String(said) : "");
    if (!said.trim() && !buttons.length && !links.length) { return null; }
    var lang = pick("language");
    return {
      author: author, agent: typeof agent === "string" ? agent.slice(0, 60) : "",
      text: said, buttons: buttons, links: links,
      // the server's `language` slot (bot/nlg.py tags every reply); never guessed from the text
      language: LANGUAGES.indexOf(lang) >= 0 ? lang : null
    };
  }

  function label(entry) {
    var lang = entry.language || language;
    function w(key) { return lang ? UI[lang][key] : word(key); }
    if (entry.author === "customer") { return w("you"); }
    if (entry.author === "system") { return w("system"); }
    if (entry.author === "human") {
      if (!entry.agent) { return w("agent"); }
      return lang ? UI[lang].agent + " " + entry.agent
                  : UI["zh-Hans"].agent + " " + entry.agent + " / " + UI.en.agent + " " + entry.agent;
    }
    return w("bot");
  }

  var LINK = /\[([^\]\n]{1,200})\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>"'，。）)】]+)/gi;
  function appendText(target, value, lang) {
    var last = 0, match;
    LINK.lastIndex = 0;
    while ((match = LINK.exec(value)) !== null) {
      target.appendChild(document.createTextNode(value.slice(last, match.index)));
      var href = match[2] || match[3];
      target.appendChild(makeLink(href, match[1] || (lang ? UI[lang].link : word("link"))));
      last = match.index + match[0].length;
    }
    target.appendChild(document.createTextNode(value.slice(last)));
  }
  function makeLink(href, title) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = title;
    a.title = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.setAttribute("data-test", "link");
    return a;
  }

  var kept = [];
  function keep(entry) {
    kept.push(entry);
    if (kept.length > MAX_KEPT) { kept = kept.slice(-MAX_KEPT); }
    stored("sessionStorage", "anxin-log", JSON.stringify(kept));
  }

  function render(entry) {
    var item = document.createElement("li");
    var kind = entry.author === "customer" ? "you" : entry.author;
    item.className = "msg " + kind;
    item.setAttribute("data-author", entry.author);
    item.setAttribute("data-test", "message");
    if (entry.language) { item.setAttribute("data-lang", entry.language); }
    if (entry.agent) { item.setAttribute("data-agent", entry.agent); }
    var head = document.createElement("div");
    head.className = "head";
    var who = document.createElement("span");
    who.className = "who";
    who.setAttribute("data-test", "author-label");
    who.textContent = label(entry);
    head.appendChild(who);
    item.appendChild(head);
    var bodyEl = document.createElement("div");
    bodyEl.className = "body";
    bodyEl.setAttribute("data-test", "message-text");
    appendText(bodyEl, entry.text, entry.language);
    item.appendChild(bodyEl);
    if (entry.links && entry.links.length) {
      var links = document.createElement("div");
      links.className = "links";
      entry.links.forEach(function (href) {
        links.appendChild(makeLink(href, entry.language ? UI[entry.language].link : word("link")));
      });
      item.appendChild(links);
    }
    if (entry.buttons && entry.buttons.length) {
      var choices = document.createElement("div");
      choices.className = "choices";
      entry.buttons.forEach(function (b, index) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "choice";
        button.textContent = b.title;
        button.setAttribute("data-test", "choice");
        button.setAttribute("data-payload", b.payload);
        if (entry.chosen !== undefined) {
          button.disabled = true;
          button.setAttribute("aria-pressed", String(entry.chosen === index));
        }
        button.addEventListener("click", function () {
          if (!sendText(b.payload, b.title)) { return; }
          entry.chosen = index;
          stored("sessionStorage", "anxin-log", JSON.stringify(kept));
          Array.prototype.forEach.call(choices.children, function (other) {
            other.disabled = true;
            other.setAttribute("aria-pressed", String(other === button));
          });
        });
        choices.appendChild(button);
      });
      item.appendChild(choices);
    }
    if (entry.author !== "customer") {
      var speak = document.createElement("button");
      speak.type = "button";
      speak.className = "speak";
      speak.textContent = "🔊";
      speak.setAttribute("data-test", "speak");
      speak.setAttribute("aria-pressed", "false");
      speak.setAttribute("aria-label", entry.language ? UI[entry.language].speak : word("speak"));
      speak.addEventListener("click", function () { readAloud(speak, entry); });
      head.appendChild(speak);
    }
    log.appendChild(item);
    return item;
  }

  function show(entry) {
    if (!entry) { return null; }
    if (entry.author !== "customer") { follow(entry.language); }
    keep(entry);
    var item = render(entry);
    window.scrollTo(0, document.body.scrollHeight);
    return item;
  }

  // --- reading aloud ---------------------------------------------------------------------------------
  function stopReading() {
    player.pause();
    if (speaking) { speaking.setAttribute("aria-pressed", "false"); speaking = null; }
  }
  function play(src, button) {
    stopReading();
    speaking = button || null;
    if (speaking) { speaking.setAttribute("aria-pressed", "true"); }
    player.src = src;
    player.onended = stopReading;
    return player.play().catch(function () { stopReading(); notice("tapToHear"); });
  }
  function readAloud(button, entry) {
    if (speaking === button) { stopReading(); return; }
    if (button.audio) { play(button.audio, button); return; }
    notice("preparing");
    button.disabled = true;
    fetch(base + "/webhooks/webchat/speak", {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({
        text: entry.text.slice(0, MAX_TEXT), language: entry.language || language || undefined,
        options: entry.buttons.map(function (b) { return b.title.slice(0, 80); }).slice(0, 12)
      })
    }).then(function (r) {
      if (!r.ok) {
        return r.json().then(function (answer) {
          notice("network");
          if (answer && typeof answer.message === "string") { status.textContent = answer.message; }
        }, function () { notice("network"); });
      }
      return r.blob().then(function (audio) {
        button.audio = URL.createObjectURL(audio);
        notice("");
        return play(button.audio, button);
      });
    }).catch(function () { notice("network"); })
      .then(function () { button.disabled = false; });
  }

  // --- socket.io -------------------------------------------------------------------------------------
  function setConnection(state) { body.setAttribute("data-connection", state); }
  var socket = null;
  if (window.io) {
    // A WebSocket first: one connection stays in one server worker (SANIC_WORKERS > 1), where polling's
    // separate requests could reach a worker that does not know the session; polling if it is blocked.
    socket = window.io({path: base + "/socket.io", reconnection: true, reconnectionDelayMax: 5000,
                        transports: ["websocket", "polling"], tryAllTransports: true});
    socket.on("connect", function () {
      confirmed = false;
      socket.emit("session_request", {session_id: sessionId});
    });
    socket.on("session_confirm", function (id) {
      if (typeof id === "string" && id && id !== sessionId) { return; }  // not ours: keep our own
      confirmed = true;
      setConnection("online");
      if (["connecting", "offline", "notSent"].indexOf(noticeShown()) >= 0) { notice(everOnline ? "back" : ""); }
      everOnline = true;
      if (humanWaiting) { human.removeAttribute("aria-busy"); askForHuman(); }
    });
    socket.on("bot_uttered", function (m) {
      try { show(normalize(m)); } catch (e) { /* one odd message must not stop the chat */ }
    });
    function offline() {
      confirmed = false;
      setConnection("offline");
      if (noticeShown() !== "notSent") { notice("offline"); }
    }
    socket.on("disconnect", offline);
    socket.on("connect_error", offline);
  } else {
    setConnection("offline");
    notice("offline");
  }

  /* Send a text or a payload to the bot; shown as `shownAs`. False (and nothing lost) when offline. */
  function online() { return Boolean(socket && socket.connected && confirmed); }
  function sendText(message, shownAs) {
    if (!online()) {
      notice("notSent");
      return false;
    }
    socket.emit("user_uttered", {message: message, session_id: sessionId});
    show({author: "customer", agent: "", text: shownAs || message, buttons: [], links: [], language: null});
    notice("");
    return true;
  }

  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    var value = text.value.trim().slice(0, MAX_TEXT);
    if (!value) { text.focus(); return; }
    if (sendText(value)) { text.value = ""; }
  });

  // One press is enough: pressed before the connection is up, the request waits for it.
  var humanWaiting = false;
  function askForHuman() {
    if (online()) {
      humanWaiting = false;
      sendText("/request_human", word("humanAsked"));
    } else if (!humanWaiting) {
      humanWaiting = true;
      human.setAttribute("aria-busy", "true");
      notice(body.getAttribute("data-connection") === "offline" ? "offline" : "connecting");
    }
  }
  human.addEventListener("click", function () {
    stopReading();
    askForHuman();
  });
  // The human button on the product's other pages (e.g. an e-invoice) links here as #human: one press there.
  if (window.location.hash === "#human") {
    history.replaceState(null, "", window.location.pathname + window.location.search);
    askForHuman();
  }

  // --- hold to talk (voice message endpoint, same conversation) ------------------------------------
  var recorder = null, chunks = [], stream = null, startedAt = 0;
  function showVoiceReply(data) {
    if (!isObject(data)) { notice("network"); return; }
    if (data.transcript) {
      show({author: "customer", agent: "", text: String(data.transcript), buttons: [], links: [], language: null});
    }
    var urls = [];
    (Array.isArray(data.messages) ? data.messages : []).forEach(function (m) {
      var entry = normalize(m);
      if (entry && !entry.language && LANGUAGES.indexOf(data.reply_language) >= 0) { entry.language = data.reply_language; }
      if (entry) {
        entry.text = entry.text || "";
        show(entry);
      }
      if (isObject(m) && typeof m.audio_url === "string") { urls.push(m.audio_url); }
    });
    notice("");
    (function next() {  // the spoken replies one after the other
      if (urls.length) { play(urls.shift()).then(function () { player.onended = next; }); }
    })();
  }
  function sendRecording(blob) {
    notice("listening");
    talk.disabled = true;
    fetch(base + "/webhooks/voice/message?sender=" + encodeURIComponent(sessionId), {
      method: "POST", headers: {"Content-Type": blob.type || "audio/webm"}, body: blob
    }).then(function (r) { return r.json(); })
      .then(showVoiceReply)
      .catch(function () { notice("network"); })
      .then(function () { talk.disabled = false; });
  }
  function startRecording(event) {
    event.preventDefault();
    if (recorder || talk.disabled) { return; }
    stopReading();
    if (!navigator.mediaDevices || !window.MediaRecorder) { notice("cannotRecord"); return; }
    navigator.mediaDevices.getUserMedia({audio: true}).then(function (s) {
      stream = s;
      var type = MediaRecorder.isTypeSupported("audio/webm;codecs=opus") ? "audio/webm;codecs=opus" : "";
      recorder = new MediaRecorder(s, type ? {mimeType: type} : {});
      chunks = [];
      recorder.ondataavailable = function (e) { if (e.data && e.data.size) { chunks.push(e.data); } };
      recorder.onstop = function () {
        stream.getTracks().forEach(function (t) { t.stop(); });
        var blob = new Blob(chunks, {type: (recorder.mimeType || "audio/webm").split(";")[0]});
        var held = Date.now() - startedAt;
        recorder = null;
        talk.classList.remove("recording");
        if (held < MIN_HOLD_MS) { notice("holdLonger"); return; }
        sendRecording(blob);
      };
      startedAt = Date.now();
      recorder.start();
      talk.classList.add("recording");
      notice("speakNow");
    }).catch(function () { notice("noMic"); });
  }
  function stopRecording(event) {
    event.preventDefault();
    if (recorder && recorder.state === "recording") { recorder.stop(); }
  }
  talk.addEventListener("pointerdown", startRecording);
  ["pointerup", "pointerleave", "pointercancel"].forEach(function (n) { talk.addEventListener(n, stopRecording); });
  talk.addEventListener("keydown", function (e) { if ((e.key === " " || e.key === "Enter") && !e.repeat) { startRecording(e); } });
  talk.addEventListener("keyup", function (e) { if (e.key === " " || e.key === "Enter") { stopRecording(e); } });
  talk.addEventListener("contextmenu", function (e) { e.preventDefault(); });  // long press on phones

  // --- start: remembered mode, language and messages -------------------------------------------------
  setMode(stored("localStorage", "anxin-mode") === "standard" ? "standard" : "elder",
          stored("localStorage", "anxin-size") === "xl" ? "xl" : "normal");
  var rememberedLanguage = stored("localStorage", "anxin-language");
  language = LANGUAGES.indexOf(rememberedLanguage) >= 0 ? rememberedLanguage : null;
  applyLanguage();
  try {
    var earlier = JSON.parse(stored("sessionStorage", "anxin-log") || "[]");
    (Array.isArray(earlier) ? earlier : []).forEach(function (entry) {
      if (isObject(entry) && typeof entry.text === "string" && Array.isArray(entry.buttons) && Array.isArray(entry.links)) {
        kept.push(entry);
        render(entry);
      }
    });
    if (kept.length) { window.scrollTo(0, document.body.scrollHeight); }
  } catch (e) { kept = []; }
  if (!everOnline && window.io) { notice("connecting"); }
  fitFooter();
})();
