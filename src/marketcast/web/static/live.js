// Keeps an open LIVE page current without a reload: the viewers' room (pinned product, the deal's countdown and
// units left, the buy button) and the host's panel (figures, deals). The page is drawn on the server; this only
// redraws what changes, from /live/{id}/state. The room's WebSocket says when something changed (pin, deal,
// purchase, ended; viewers are drawn from the message itself) and the state is read again at once; it reconnects
// with the last `seq` it saw. Without a socket the state is polled every few seconds, and always at the moment a
// countdown ends.
(function () {
  "use strict";
  var root = document.querySelector("[data-live]");
  if (!root) return;
  var stateUrl = root.getAttribute("data-state-url");
  var pollMs = (parseInt(root.getAttribute("data-poll-seconds"), 10) || 2) * 1000;
  var deadline = null;  // {status, at}: when the shown countdown reaches zero, in performance.now() time
  var inFlight = false;
  var again = false;  // something changed while a read was on its way: read once more after it
  var wsUrl = root.getAttribute("data-ws-url");
  var socket = null;
  var lastSeq = null;
  var retryMs = 1000;
  var lastRead = 0;

  function all(testid) { return root.querySelectorAll('[data-testid="' + testid + '"]'); }
  function one(testid) { return root.querySelector('[data-testid="' + testid + '"]'); }
  function setText(el, text) { if (el && el.textContent !== String(text)) el.textContent = String(text); }
  function show(el, visible) { if (el) el.hidden = !visible; }
  function badge(el, status) {
    if (!el) return;
    var span = el.querySelector(".badge") || el;
    span.className = "badge " + status;
    setText(span, status.replace(/_/g, " "));
  }
  function clock(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    seconds = Math.max(0, Math.round(seconds));
    var s = seconds % 60;
    return Math.floor(seconds / 60) + ":" + (s < 10 ? "0" : "") + s;
  }
  function buyLabel(d, status) {
    if (status !== "live") return "LIVE " + status;
    if (!d) return "No deal now";
    if (d.status === "sold_out") return "Sold out";
    if (d.status === "counting_down") return "Opens soon";
    if (d.status === "open") return "Buy now · " + d.price;
    return "Deal " + d.status.replace(/_/g, " ");
  }

  function drawCountdown() {
    var el = one("countdown");
    if (!el || !deadline) return;
    var left = (deadline.at - performance.now()) / 1000;
    setText(el, (deadline.status === "counting_down" ? "opens in " : "ends in ") + clock(left));
    if (left <= 0) { deadline = null; refresh(); }  // it opened (or ended): ask what it is now
  }

  function drawRoom(s) {
    badge(one("session-status"), s.status);
    show(one("ended"), s.status === "ended");
    var p = s.pinned;
    show(one("pinned"), !!p);
    show(one("no-pin"), !p);
    if (p) {
      setText(one("pinned-title"), p.title);
      setText(one("pinned-price"), p.price);
      var link = one("pinned-link");
      if (link) link.setAttribute("href", "/products/" + p.id);
    }
    var d = s.deal;
    show(one("deal"), !!d);
    var buttons = all("buy");
    for (var i = 0; i < buttons.length; i++) {
      setText(buttons[i], buyLabel(d, s.status));
      var form = buttons[i].form;
      buttons[i].disabled = !(d && d.status === "open" && s.status === "live" && form);
    }
    if (!d) { deadline = null; return; }
    badge(one("deal-status"), d.status);
    setText(one("deal-title"), d.title);
    setText(one("deal-price"), d.price);
    setText(one("deal-regular"), d.regular);
    setText(one("units-left"), d.units_left);
    setText(one("deal-limit"), d.per_buyer_limit);
    var form = one("buy-form");
    if (form && form.elements.deal_id.value !== d.id) {  // a new deal: a new order, so a new key
      form.elements.deal_id.value = d.id;
      form.elements.sku_id.value = d.sku_id;
      form.elements.key.value = newKey();
    }
    var seconds = d.status === "counting_down" ? d.seconds_to_open : d.seconds_remaining;
    deadline = seconds === null || seconds === undefined ? null
      : {status: d.status, at: performance.now() + seconds * 1000};
    if (!deadline) setText(one("countdown"), d.status.replace(/_/g, " "));
    drawCountdown();
  }

  function drawPanel(s) {
    badge(one("session-status"), s.status);
    var f = s.figures || {};
    Object.keys(f).forEach(function (key) {
      var el = root.querySelector('[data-figure="' + key + '"]');
      if (el) setText(el, f[key] === null || f[key] === undefined ? "—" : f[key]);
    });
    (s.deals || []).forEach(function (d) {
      var row = root.querySelector('tr[data-deal="' + d.id + '"]');
      if (!row) return;
      badge(row.querySelector('[data-testid="deal-status"]'), d.status);
      setText(row.querySelector('[data-testid="deal-units-left"]'), d.units_left);
      setText(row.querySelector('[data-testid="deal-sold"]'), d.sold);
    });
  }

  function newKey() {
    if (window.crypto && window.crypto.getRandomValues) {
      var bytes = new Uint8Array(16);
      window.crypto.getRandomValues(bytes);
      return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    }
    return String(Date.now()) + String(Math.random()).slice(2);
  }

  function draw(s) {
    if (root.getAttribute("data-live") === "panel") drawPanel(s); else drawRoom(s);
    root.setAttribute("data-state-at", s.at || "");
  }

  function refresh() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    lastRead = Date.now();
    fetch(stateUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s) draw(s); })
      .catch(function () { /* the next poll tries again */ })
      .then(function () {
        inFlight = false;
        if (again) { again = false; refresh(); }
      });
  }

  function drawViewers(n) {
    var els = root.querySelectorAll("[data-viewers]");
    for (var i = 0; i < els.length; i++) setText(els[i], n);
  }

  function onMessage(event) {
    var m;
    try { m = JSON.parse(event.data); } catch (e) { return; }
    if (typeof m.seq === "number") lastSeq = m.seq;
    var data = m.data || {};
    if (m.type === "viewers" || m.type === "snapshot") {
      var n = data.viewers !== undefined ? data.viewers : data.count;
      if (n !== undefined) drawViewers(n);
    }
    if (m.type !== "viewers") refresh();
  }

  function connect() {
    if (!wsUrl || !window.WebSocket) return;
    var url = new URL(wsUrl, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    if (lastSeq !== null) url.searchParams.set("after_seq", String(lastSeq));
    try { socket = new WebSocket(url.toString()); } catch (e) { socket = null; return; }
    socket.onopen = function () { retryMs = 1000; root.setAttribute("data-socket", "open"); };
    socket.onmessage = onMessage;
    socket.onclose = function (event) {
      socket = null;
      root.setAttribute("data-socket", "closed");
      if (event.code === 1008 || event.code === 4004) return;  // refused (not found, not allowed): polling stays
      window.setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 30000);
    };
  }

  function poll() {  // with the socket open, a slow safety read; without it, every few seconds
    var every = socket && socket.readyState === 1 ? Math.max(pollMs * 5, 10000) : pollMs;
    if (Date.now() - lastRead >= every - 50) refresh();
  }

  window.setInterval(drawCountdown, 250);
  window.setInterval(poll, pollMs);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
  refresh();
  connect();
  root.setAttribute("data-live-ready", "1");
})();
