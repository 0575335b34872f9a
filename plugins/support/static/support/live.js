// The agent's conversation page on the real-time channel (/api/v1/realtime): new messages and the user's typing as
// they happen, the agent's typing sent to the user. While the socket is down the page keeps htmx's 5-s refresh.
// The access token comes with the page; it is renewed before it expires through the panel action live_token
// (session + CSRF), whose answer is a one-time page carrying the new token.
(function () {
  "use strict";
  var box = document.getElementById("support-live");
  if (!box || !window.WebSocket || !window.fetch) return;
  var d = box.dataset;
  var rooms = ["support.ticket:" + d.ticket, "support.notes:" + d.ticket];
  var token = d.token, live = false, socket = null, force = false;
  var renewTimer = null, retryMs = 1000, heartbeatTimer = null, typingHideTimer = null, lastTypingSent = 0;

  function setLive(on) {
    live = on;
    var s = document.getElementById("live-status");
    if (s) s.textContent = on ? d.liveText : d.pollingText;
    clearInterval(heartbeatTimer);
    if (on) {
      heartbeat();
      heartbeatTimer = setInterval(heartbeat, 30000); // the page's refresh no longer says "I am online"
    }
  }

  // The 5-s refresh only runs while the socket is down (and once when it comes up: messages missed meanwhile).
  document.body.addEventListener("htmx:beforeRequest", function (e) {
    if (!e.detail || !e.detail.elt || e.detail.elt.id !== "conversation") return;
    if (force) { force = false; return; }
    if (live) e.preventDefault();
  });
  function resync() {
    var el = document.getElementById("conversation");
    if (el && window.htmx) { force = true; window.htmx.trigger(el, "live-sync"); }
  }

  function desk(path) {
    return fetch(d.deskUrl + path, {method: "POST", headers: {"Authorization": "Bearer " + token}});
  }
  function heartbeat() { desk("/heartbeat").catch(function () {}); }

  function schedule(expiresIn) {
    clearTimeout(renewTimer);
    renewTimer = setTimeout(function () { renew().catch(function () {}); },
                            Math.max(Number(expiresIn) * 800, 5000)); // at 80 % of its life
  }
  function renew() {
    var form = new FormData();
    form.append("_csrf", d.csrf);
    form.append("id", d.ticket);
    return fetch(d.renewUrl, {method: "POST", body: form, credentials: "same-origin"}).then(function (r) {
      if (!r.ok) throw new Error("renewal refused: " + r.status);
      return r.text();
    }).then(function (html) {
      var el = new DOMParser().parseFromString(html, "text/html").getElementById("live-token");
      if (!el || !el.dataset.token) throw new Error("no token in the answer"); // signed out: keep polling
      token = el.dataset.token;
      schedule(el.dataset.expiresIn);
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({type: "auth", token: token}));
    });
  }

  function showTyping() {
    var conv = document.getElementById("conversation");
    if (!conv) return;
    var p = document.getElementById("typing");
    if (!p) {
      p = document.createElement("p");
      p.id = "typing";
      p.appendChild(document.createElement("small")).textContent = d.typingText;
      conv.appendChild(p);
    }
    clearTimeout(typingHideTimer);
    typingHideTimer = setTimeout(hideTyping, 6000);
  }
  function hideTyping() {
    var p = document.getElementById("typing");
    if (p) p.parentNode.removeChild(p);
  }

  function addMessage(m, kind) {
    var conv = document.getElementById("conversation");
    if (!conv || document.getElementById("m" + m.id)) return;
    var article = document.createElement("article");
    article.className = "message " + kind;
    article.id = "m" + m.id;
    var header = article.appendChild(document.createElement("header"));
    header.appendChild(document.createElement("strong")).textContent = m.author_name;
    header.appendChild(document.createTextNode(" "));
    var badge = header.appendChild(document.createElement("span"));
    badge.className = "badge " + kind;
    badge.textContent = kind;
    header.appendChild(document.createTextNode(" "));
    header.appendChild(document.createElement("small")).textContent = new Date(m.created_at).toLocaleString();
    var body = article.appendChild(document.createElement("p"));
    body.style.whiteSpace = "pre-wrap";
    body.textContent = m.body;
    (m.attachments || []).forEach(function (a) {
      article.appendChild(document.createElement("small")).textContent = a.media_id + " (" + a.content_type + ")";
    });
    var typing = document.getElementById("typing");
    if (typing && !m.from_agent) { hideTyping(); typing = null; }
    conv.insertBefore(article, typing && typing.parentNode === conv ? typing : null);
  }

  function onEvent(room, data) {
    if (!data) return;
    if (data.event === "typing" && !data.from_agent) showTyping();
    else if (data.event === "message.created" && data.message) {
      addMessage(data.message, room === rooms[1] ? "note" : data.message.from_agent ? "agent" : "user");
    } else if (data.event === "ticket.updated") resync();
  }

  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + d.socketPath);
    socket = ws;
    ws.onopen = function () { ws.send(JSON.stringify({type: "auth", token: token})); };
    ws.onmessage = function (ev) {
      var f;
      try { f = JSON.parse(ev.data); } catch (err) { return; }
      if (f.type === "ready" && !live) {
        rooms.forEach(function (r) { ws.send(JSON.stringify({type: "subscribe", room: r})); });
      } else if (f.type === "subscribed" && f.room === rooms[0]) {
        retryMs = 1000;
        resync();
        setLive(true);
      } else if (f.type === "message") onEvent(f.room, f.data);
      else if ((f.type === "error" || f.type === "unsubscribed") && f.room === rooms[0]) ws.close();
    };
    ws.onclose = function (ev) {
      if (socket === ws) socket = null;
      setLive(false);
      var again = function () { setTimeout(connect, retryMs); retryMs = Math.min(retryMs * 2, 60000); };
      if (ev.code === 4401) renew().then(again, again); // expired or ended: a new token first
      else again();
    };
  }

  var answer = document.querySelector("#reply-form textarea[name=body]");
  if (answer) {
    answer.addEventListener("input", function () {
      var now = Date.now();
      if (!live || now - lastTypingSent < 3000) return; // support allows typing_per_minute (30) frames
      lastTypingSent = now;
      desk("/tickets/" + d.ticket + "/typing").catch(function () {});
    });
  }
  schedule(d.expiresIn);
  connect();
})();
