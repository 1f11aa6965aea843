// Keeps an open LIVE page current without a reload: the viewers' room (pinned product, the deal's countdown and
// units left, the buy button) and the host's panel (figures, deals). The page is drawn on the server; this only
// redraws what changes, from /live/{id}/state: asked for every few seconds, and at once when the countdown ends.
(function () {
  "use strict";
  var root = document.querySelector("[data-live]");
  if (!root) return;
  var stateUrl = root.getAttribute("data-state-url");
  var pollMs = (parseInt(root.getAttribute("data-poll-seconds"), 10) || 2) * 1000;
  var deadline = null;  // {status, at}: when the shown countdown reaches zero, in performance.now() time
  var inFlight = false;
  var timer = null;

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
    if (inFlight) return;
    inFlight = true;
    fetch(stateUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s) draw(s); })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { inFlight = false; });
  }

  window.setInterval(drawCountdown, 250);
  timer = window.setInterval(refresh, pollMs);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
  refresh();
  root.setAttribute("data-live-ready", "1");
  void timer;
})();
