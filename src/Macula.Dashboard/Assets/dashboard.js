// The Macula dashboard: polls api/stats every second and renders it. Plain JS, no framework, no build step.
(function () {
  "use strict";
  var byId = function (id) { return document.getElementById(id); };

  function text(value) { return value === null || value === undefined ? "–" : String(value); }
  function ms(value) { return value === null || value === undefined ? "–" : (value < 10 ? value.toFixed(2) : value.toFixed(1)) + " ms"; }
  function rate(value) { return value.toFixed(value < 10 ? 2 : 1); }
  function percent(value) { return (value * 100).toFixed(value < 0.1 ? 2 : 1) + "%"; }
  function age(seconds) {
    if (seconds < 120) return Math.round(seconds) + " s";
    if (seconds < 7200) return Math.round(seconds / 60) + " min";
    return (seconds / 3600).toFixed(1) + " h";
  }

  function cell(row, value, className) {
    var td = document.createElement("td");
    td.textContent = value;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function pill(row, label, tone) {
    var td = document.createElement("td");
    var span = document.createElement("span");
    span.className = "pill " + tone;
    span.textContent = label;
    td.appendChild(span);
    row.appendChild(td);
  }

  function fill(tableId, items, render) {
    var body = byId(tableId).tBodies[0];
    body.textContent = "";
    items.forEach(function (item) {
      var row = document.createElement("tr");
      render(row, item);
      body.appendChild(row);
    });
  }

  function health(h) {
    if (!h) return ["not called", "muted"];
    if (h.consecutive_failures > 0) return ["failing (" + h.consecutive_failures + ")", "bad"];
    return ["healthy, " + ms(h.latency_ewma_ms), "ok"];
  }

  function render(s) {
    byId("realm").textContent = s.realm;
    byId("window").textContent = s.window_s;
    var totalRate = 0, totalCalls = 0, totalErrors = 0;
    s.services.forEach(function (x) { totalRate += x.calls_per_s; totalCalls += x.calls; totalErrors += x.errors; });
    byId("card-services").textContent = s.services.length;
    byId("card-providers").textContent = s.providers.length;
    byId("card-rate").textContent = rate(totalRate);
    byId("card-errors").textContent = totalCalls === 0 ? "–" : percent(totalErrors / totalCalls);
    byId("card-dht-nodes").textContent = s.dht.nodes;
    byId("card-dht-records").textContent = s.dht.records;

    fill("services", s.services, function (row, x) {
      cell(row, x.name);
      cell(row, x.providers.length);
      cell(row, rate(x.calls_per_s), "num calls-per-s");
      cell(row, percent(x.error_rate), "num" + (x.error_rate > 0 ? " bad" : ""));
      cell(row, ms(x.p50_ms), "num");
      cell(row, ms(x.p99_ms), "num");
    });

    fill("providers", s.providers, function (row, p) {
      cell(row, p.service);
      cell(row, p.node_id, "node-id");
      cell(row, text(p.version));
      cell(row, text(p.zone));
      cell(row, age(p.age_s), "num");
      var h = health(p.health);
      cell(row, h[0], h[1]);
      var circuit = p.health ? p.health.circuit.replace("_", "-") : "–";
      pill(row, circuit, circuit === "closed" ? "ok" : circuit === "open" ? "bad" : circuit === "half-open" ? "warn" : "muted");
      cell(row, rate(p.calls_per_s), "num calls-per-s");
      cell(row, percent(p.error_rate), "num" + (p.error_rate > 0 ? " bad" : ""));
      cell(row, ms(p.p50_ms), "num");
      cell(row, ms(p.p99_ms), "num");
    });

    fill("nodes", s.nodes, function (row, n) {
      cell(row, n.node_id + (n.node_id === s.asked_by ? " (this)" : ""));
      cell(row, text(n.role));
      cell(row, text(n.version));
      cell(row, text(n.zone));
      cell(row, age(n.uptime_s), "num");
      cell(row, n.services.length ? n.services.join(", ") : "–");
      cell(row, n.dht.contacts, "num");
      cell(row, n.dht.keys, "num");
      cell(row, n.dht.records, "num");
      cell(row, n.rtt_ms.toFixed(1) + " ms", "num");
    });

    byId("status").textContent = "updated " + new Date(s.collected_at).toLocaleTimeString() + " · " + s.nodes.length + " nodes answered";
    byId("status").className = "muted";
    document.body.setAttribute("data-loaded", "true");
  }

  function poll() {
    fetch("api/stats", { cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(render)
      .catch(function (e) { byId("status").textContent = "cannot read stats: " + e.message; byId("status").className = "bad"; })
      .finally(function () { setTimeout(poll, 1000); });
  }

  poll();
})();
