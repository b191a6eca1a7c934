// IMAS dashboard: live updates over /ws/ (the session cookie authenticates it). A page that
// shows live data marks its container with data-live="incidents" or data-live="incident" and
// data-fragment (the URL of its server-rendered part); on a matching event the part is fetched
// again and swapped in place, and the aria-live region says what happened.
(function () {
  "use strict";
  var root = document.querySelector("[data-live]");
  if (!root) return;
  var kind = root.getAttribute("data-live");
  var shortId = root.getAttribute("data-short-id");
  var announcer = document.getElementById("live-announcer");
  var label = document.querySelector("[data-ws-label]");
  var retry = 1000;
  var inFlight = false;
  var again = false;

  function setState(state, text) {
    document.body.setAttribute("data-ws-state", state);
    if (label) label.textContent = text;
  }

  function announce(text) {
    if (!announcer) return;
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function refresh(highlight) {
    if (inFlight) { again = true; return; }
    inFlight = true;
    fetch(root.getAttribute("data-fragment"), {
      credentials: "same-origin",
      headers: { "X-IMAS-Fragment": "1" }
    }).then(function (response) {
      if (response.status === 401) { window.location.assign("/login"); return null; }
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (html === null) return;
      root.innerHTML = html;
      if (highlight) {
        var row = root.querySelector('[data-incident="' + highlight + '"]');
        if (row) row.classList.add("fresh");
      }
      document.body.setAttribute("data-refreshed", String(Date.now()));
    }).catch(function () { /* the next event tries again */ }).finally(function () {
      inFlight = false;
      if (again) { again = false; refresh(); }
    });
  }

  function handle(message) {
    var event = message.event;
    var ticket = message.ticket || {};
    var id = message.ticket_id || ticket.id;
    if (kind === "incidents") {
      if (event === "new_ticket") {
        refresh(ticket.id);
        announce("New incident " + ticket.id + ": " + (ticket.title || ""));
      } else if (event === "status_update" || event === "ticket_update") {
        refresh();
        if (event === "status_update") announce(id + " is now " + message.new_status);
      }
    } else if (kind === "incident" && id === shortId) {
      if (event === "status_update" || event === "ticket_update") {
        refresh();
        if (event === "status_update") {
          announce(id + " is now " + message.new_status + (message.updated_by ? " (by " + message.updated_by + ")" : ""));
        } else {
          announce(id + " was updated");
        }
      }
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/");
    setState("connecting", "connecting…");
    socket.onmessage = function (e) {
      var message;
      try { message = JSON.parse(e.data); } catch (err) { return; }
      if (message.event === "connected") { retry = 1000; setState("live", "on"); return; }
      handle(message);
    };
    socket.onclose = function (e) {
      setState("offline", "off, reconnecting");
      if (e.code === 4401) { window.location.assign("/login"); return; }
      window.setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  connect();
})();
