// The customers' web chat. Untrusted text only ever goes through textContent.
"use strict";
(function () {
  var KEY = "hitl.chat";
  var MARKS = {
    ai_reviewed: "Written by our AI assistant, reviewed by a person",
    ai_edited: "Written by a person, from our AI assistant\u2019s draft",
    ai: "Written by our AI assistant",
    person: "Written by a person",
  };
  var $ = function (id) { return document.getElementById(id); };
  var seen = new Set();
  var source = null;
  var retryTimer = null;

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "null"); } catch (e) { return null; }
  }
  function save(chat) { localStorage.setItem(KEY, JSON.stringify(chat)); }

  function show(started) {
    $("start").hidden = started;
    $("conversation").hidden = !started;
    (started ? $("text") : $("name")).focus();
  }

  function addMessage(m) {
    if (seen.has(m.id)) return;  // a resumed or replayed stream never doubles a message
    seen.add(m.id);
    var item = document.createElement("li");
    item.className = "msg " + (m.author === "customer" ? "customer" : m.author === "system" ? "system" : "reply");
    item.dataset.id = m.id;
    item.dataset.marking = m.marking;
    var body = document.createElement("span");
    body.className = "text";
    body.textContent = m.text;
    item.appendChild(body);
    if (MARKS[m.marking]) {
      var mark = document.createElement("small");
      mark.className = "mark";
      mark.textContent = MARKS[m.marking] + (m.correction_of ? " · corrects an earlier reply" : "");
      item.appendChild(mark);
    }
    $("messages").appendChild(item);
    item.scrollIntoView({ block: "end" });
  }

  function setStatus(s) {
    var text = "";
    if (s.closed) text = "This conversation is closed. Start a new chat to write again.";
    else if (s.person_will_reply) text = "A person will reply here soon.";
    $("notice").textContent = text;
    $("text").disabled = !!s.closed;
    $("complain").disabled = !!s.closed;
  }

  // The browser's language, as two letters: it picks the disclosure the chat opens with.
  function language() {
    var tag = (navigator.language || "").slice(0, 2).toLowerCase();
    return /^[a-z]{2}$/.test(tag) ? tag : null;
  }

  function connect(chat) {
    if (source) source.close();
    var url = "/v1/channel/conversations/" + encodeURIComponent(chat.id) +
      "/events?token=" + encodeURIComponent(chat.token);
    source = new EventSource(url);
    source.addEventListener("open", function () { $("connection").textContent = ""; });
    source.addEventListener("message", function (e) { addMessage(JSON.parse(e.data)); });
    source.addEventListener("status", function (e) { setStatus(JSON.parse(e.data)); });
    source.addEventListener("error", function () {
      $("connection").textContent = "Reconnecting…";
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (the server answered with an error): try again ourselves,
        // unless the chat is gone for good.
        clearTimeout(retryTimer);
        retryTimer = setTimeout(function () { check(chat); }, 2000);
      }
    });
  }

  function check(chat) {
    fetch("/v1/channel/conversations/" + encodeURIComponent(chat.id) + "/messages", {
      headers: { Authorization: "Bearer " + chat.token },
    }).then(function (r) {
      if (r.status === 404 || r.status === 401) reset();
      else connect(chat);
    }, function () { retryTimer = setTimeout(function () { check(chat); }, 2000); });
  }

  function reset() {
    if (source) source.close();
    source = null;
    localStorage.removeItem(KEY);
    seen.clear();
    $("messages").textContent = "";
    $("notice").textContent = "";
    $("connection").textContent = "";
    $("text").disabled = false;
    $("complain").disabled = false;
    show(false);
  }

  function problem(r) {
    return r.json().then(function (p) { return p.detail || p.title || "Something went wrong"; },
      function () { return "Something went wrong (" + r.status + ")"; });
  }

  $("start").addEventListener("submit", function (e) {
    e.preventDefault();
    var customer = { name: $("name").value.trim() };
    if ($("email").value.trim()) customer.email = $("email").value.trim();
    if (language()) customer.language = language();
    $("start-error").textContent = "";
    fetch("/v1/channel/conversations", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ customer: customer }),
    }).then(function (r) {
      if (!r.ok) return problem(r).then(function (m) { $("start-error").textContent = m; });
      return r.json().then(function (started) {
        var chat = { id: started.id, token: started.customer_token };
        save(chat);
        show(true);
        connect(chat);
      });
    }, function () { $("start-error").textContent = "Cannot reach the chat. Try again."; });
  });

  $("compose").addEventListener("submit", function (e) {
    e.preventDefault();
    var chat = load();
    var text = $("text").value;
    if (!chat || !text.trim()) return;
    $("send-error").textContent = "";
    fetch("/v1/channel/conversations/" + encodeURIComponent(chat.id) + "/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + chat.token },
      body: JSON.stringify({ text: text }),
    }).then(function (r) {
      if (!r.ok) return problem(r).then(function (m) { $("send-error").textContent = m; });
      $("text").value = "";
    }, function () { $("send-error").textContent = "Not sent: cannot reach the chat. Try again."; });
  });

  // "I want a person to look at this": escalates (with what is typed, if anything).
  $("complain").addEventListener("click", function () {
    var chat = load();
    if (!chat) return;
    var text = $("text").value.trim();
    $("send-error").textContent = "";
    fetch("/v1/channel/conversations/" + encodeURIComponent(chat.id) + "/complaint", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + chat.token },
      body: JSON.stringify(text ? { text: text } : {}),
    }).then(function (r) {
      if (!r.ok) return problem(r).then(function (m) { $("send-error").textContent = m; });
      $("text").value = "";
      $("notice").textContent = "A person will reply here soon.";
    }, function () { $("send-error").textContent = "Not sent: cannot reach the chat. Try again."; });
  });

  // Enter sends, Shift+Enter makes a new line.
  $("text").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      $("compose").requestSubmit();
    }
  });

  $("new-chat").addEventListener("click", reset);

  var chat = load();
  if (chat && chat.id && chat.token) {
    show(true);
    connect(chat);
  } else {
    show(false);
  }
})();
