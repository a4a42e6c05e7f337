// labtool watch: the page. One stream of events (/events) keeps a model of the lab; each event
// changes the DOM at once. Hooks kept stable for tests: #watch[data-vip-holder] (a node, "" or
// "split"), [data-node][data-up][data-state], [data-server][data-status].
"use strict";
(() => {
  const root = document.getElementById("watch");
  const token = root.dataset.token;
  let W = {}; // the page's words, in the lab's language: from the server (state.words)
  const CHART_S = 30;
  let state = null;
  let offset = null; // browser seconds - server seconds (least seen: the shortest transit)
  const requests = [];
  const adverts = {};

  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k.startsWith("data-") || k === "class" || k === "title") node.setAttribute(k, v);
      else node[k] = v;
    }
    node.append(...children);
    return node;
  };
  const now = () => performance.now() / 1000;

  function words() {
    $("scenario-label").textContent = W.scenario;
    $("run").textContent = W.run;
    $("report").textContent = W.report;
    $("requests-title").textContent = W.requests;
    $("table-title").textContent = W.table;
    $("th-test").textContent = W.test;
    $("th-expected").textContent = W.expected;
    $("th-observed").textContent = W.observed;
    $("timeline-title").textContent = W.timeline;
  }

  function post(body) {
    $("said").className = "";
    $("said").textContent = "…";
    fetch("action?token=" + encodeURIComponent(token), {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Labtool-Token": token },
      body: JSON.stringify(body),
    }).then((r) => r.json().then((data) => {
      $("said").textContent = r.ok ? data.what + ": " + W.sent : data.error;
      if (!r.ok) $("said").className = "failed";
    })).catch((e) => { $("said").textContent = String(e); $("said").className = "failed"; });
  }

  function button(label, body) {
    const b = el("button", { type: "button", textContent: label });
    b.addEventListener("click", () => post(body));
    return b;
  }

  function nodeCard(node) {
    const card = el("div", { class: "node", "data-node": node.name });
    root.querySelector("#tier-" + (node.role === "lb" ? "lb" : node.role)).append(card);
    return card;
  }

  function renderNode(node) {
    const card = root.querySelector(`[data-node="${node.name}"]`) || nodeCard(node);
    const holders = state.vip_holders;
    card.dataset.up = String(node.up);
    card.dataset.state = node.state;
    card.dataset.vip = String(holders.includes(node.name));
    card.replaceChildren();
    const title = el("div", { class: "title" },
      el("span", { class: "name" }, node.name + " ", el("span", { class: "addr", textContent: node.address })),
      el("span", { class: "vipmark", textContent: W.vip }),
      el("span", { class: "state", textContent: W[node.state] || node.state }));
    card.append(title);
    const daemons = el("div", { class: "row" });
    for (const [name, running] of Object.entries(node.daemons)) {
      const unit = (state.units || {})[name] || name;
      const group = el("span", { class: "daemonctl" },
        el("span", { class: "daemon", "data-daemon": name, "data-running": String(running), textContent: name }));
      if (node.up) group.append(button(running ? W.stop : W.start, { action: "daemon", node: node.name, unit, op: running ? "stop" : "start" }));
      daemons.append(group);
    }
    if (node.role === "lb") {
      const dot = el("span", { class: "advert", title: W.adverts });
      if (adverts[node.name] && now() - adverts[node.name] < 0.4) dot.classList.add("seen");
      daemons.append(el("span", { class: "daemonctl", title: W.adverts }, "VRRP ", dot));
    }
    if (Object.keys(node.daemons).length) card.append(daemons);
    if (node.role === "lb") {
      const servers = el("div", { class: "row" }, "HAProxy:");
      for (const [server, status] of Object.entries(state.servers[node.name] || {})) {
        if (server === "*") continue;
        servers.append(el("span", { class: "server", "data-server": server, "data-status": status, textContent: server + " " + status }));
      }
      card.append(servers);
    }
    if (node.role !== "client") {
      const power = el("div", { class: "row" });
      if (node.up) power.append(button(W.halt, { action: "halt", node: node.name }), button(W.force, { action: "halt", node: node.name, force: true }));
      else power.append(button(W.start, { action: "up", node: node.name }));
      card.append(power);
    }
  }

  function renderVip() {
    const holders = state.vip_holders;
    const holder = holders.length === 1 ? holders[0] : holders.length > 1 ? "split" : "";
    root.dataset.vipHolder = holder;
    const who = holders.length ? holders.join(", ") : W.nobody;
    const text = `${W.vip} ${state.vip} → ${who}` + (holders.length > 1 ? ` (${W.split})` : "");
    $("vip").textContent = text;
    $("vip").className = "pill " + (holders.length === 1 ? "ok" : "bad");
    $("vip-node").textContent = `${W.vip} ${state.vip}`;
    for (const node of state.nodes) {
      const card = root.querySelector(`[data-node="${node.name}"]`);
      if (card) card.dataset.vip = String(holders.includes(node.name));
    }
  }

  function renderAll() {
    W = state.words || W;
    document.documentElement.lang = state.lang;
    words();
    $("lab").textContent = `lab ${state.lab} (${state.backend})`;
    for (const tier of root.querySelectorAll(".tier:not(#tier-vip)")) tier.replaceChildren();
    for (const node of state.nodes) renderNode(node);
    renderVip();
    renderScenarios();
    renderTable();
    wires();
  }

  function renderScenarios() {
    const select = $("scenario");
    if (select.options.length) return;
    for (const name of state.scenarios) select.append(el("option", { value: name, textContent: name }));
    if (state.scenarios.includes("lose-haproxy1")) select.value = "lose-haproxy1";
  }

  function renderTable() {
    const body = root.querySelector("#table tbody");
    body.replaceChildren();
    for (const row of state.table) {
      body.append(el("tr", { "data-row": row.row, "data-state": row.state },
        el("td", { textContent: row.test }), el("td", { textContent: row.expected }),
        el("td", { textContent: row.state === "running" ? W.running : row.observed })));
    }
  }

  function centre(card, side) {
    const box = card.getBoundingClientRect(), top = $("topology").getBoundingClientRect();
    return [box.left + box.width / 2 - top.left, (side === "top" ? box.top : box.bottom) - top.top];
  }

  function wires() {
    const svg = $("wires");
    svg.replaceChildren();
    const line = (a, b, cls) => {
      const l = document.createElementNS("http://www.w3.org/2000/svg", "line");
      l.setAttribute("x1", a[0]); l.setAttribute("y1", a[1]); l.setAttribute("x2", b[0]); l.setAttribute("y2", b[1]);
      l.setAttribute("class", cls);
      svg.append(l);
    };
    const vip = $("vip-node");
    const holders = state.vip_holders;
    for (const client of root.querySelectorAll("#tier-client .node")) line(centre(client, "bottom"), centre(vip, "top"), holders.length ? "held" : "DOWN");
    for (const lb of root.querySelectorAll("#tier-lb .node")) {
      const name = lb.dataset.node, held = holders.includes(name);
      line(centre(vip, "bottom"), centre(lb, "top"), held ? (holders.length > 1 ? "split" : "held") : "faint");
      for (const web of root.querySelectorAll("#tier-web .node")) {
        const status = (state.servers[name] || {})[web.dataset.node] || "";
        const cls = status === "UP" ? "UP" : status.startsWith("DOWN") || !status ? "DOWN" : "moving";
        line(centre(lb, "bottom"), centre(web, "top"), cls + (held ? "" : " faint"));
      }
    }
  }

  function log(event, text, cls = "") {
    const when = el("span", { class: "when", textContent: event.t.toFixed(2) + " s" });
    const list = $("timeline");
    list.prepend(el("li", { class: cls }, when, text));
    while (list.children.length > 80) list.lastChild.remove();
  }

  function nodeOf(name) { return state.nodes.find((n) => n.name === name); }

  function handle(event) {
    const seen = now() - event.t;
    if (offset === null || seen < offset) offset = seen;
    switch (event.kind) {
      case "state":
        state = event.state; requests.length = 0; renderAll(); break;
      case "node": {
        const i = state.nodes.findIndex((n) => n.name === event.node.name);
        const before = i >= 0 ? state.nodes[i] : null;
        if (i >= 0) state.nodes[i] = event.node; else state.nodes.push(event.node);
        renderNode(event.node); wires();
        if (!before || before.state !== event.node.state) log(event, `${event.node.name}: ${W[event.node.state] || event.node.state}`, event.node.up ? "" : "bad");
        break;
      }
      case "vip":
        state.vip_holders = event.holders; renderVip(); wires();
        log(event, `${W.vip} ${event.held ? "+" : "−"} ${event.node} → ${event.holders.join(", ") || W.nobody}`, event.holders.length === 1 ? "" : "bad");
        break;
      case "haproxy": {
        (state.servers[event.lb] = state.servers[event.lb] || {})[event.server] = event.status;
        const node = nodeOf(event.lb);
        if (node) renderNode(node);
        wires();
        log(event, `HAProxy ${event.lb}: ${event.server} ${event.status}`, event.status === "UP" ? "" : "bad");
        break;
      }
      case "vrrp": {
        adverts[event.node] = now();
        const dot = root.querySelector(`[data-node="${event.node}"] .advert`);
        if (dot) { dot.classList.add("seen"); setTimeout(() => dot.classList.remove("seen"), 350); dot.title = `${W.adverts}: priority ${event.priority}`; }
        break;
      }
      case "http":
        requests.push(event);
        while (requests.length && requests[0].sent < event.sent - CHART_S - 5) requests.shift();
        break;
      case "action":
        log(event, `${event.what}: ${event.state === "started" ? "…" : (event.message || event.state)}`, event.state === "failed" ? "failed" : "");
        if (event.state !== "started") { $("said").textContent = event.message || ""; $("said").className = event.state === "failed" ? "failed" : ""; }
        break;
      case "phase":
        log(event, `${event.scenario}: ${event.phase}`); break;
      case "table":
        state.table = event.rows; renderTable(); break;
      case "probe":
        if (event.state === "failed") log(event, event.message, "failed");
        break;
    }
  }

  function chart() {
    const canvas = $("chart");
    const width = canvas.clientWidth, height = canvas.clientHeight || 120;
    if (canvas.width !== width * devicePixelRatio) { canvas.width = width * devicePixelRatio; canvas.height = height * devicePixelRatio; }
    const g = canvas.getContext("2d");
    g.setTransform(devicePixelRatio, 0, 0, devicePixelRatio, 0, 0);
    g.clearRect(0, 0, width, height);
    if (!state || offset === null) return;
    const webs = state.nodes.filter((n) => n.role === "web").map((n) => n.name);
    const lanes = [...webs, W.slow, W.failed];
    const lane = height / lanes.length, left = 52;
    const end = now() - offset, start = end - CHART_S;
    const colours = getComputedStyle(document.documentElement);
    g.font = "11px system-ui, sans-serif";
    lanes.forEach((name, i) => { g.fillStyle = "#656d76"; g.fillText(name, 0, i * lane + lane / 2 + 4); });
    g.fillStyle = "#d0d7de";
    for (let s = 0; s <= CHART_S; s += 10) g.fillRect(left + (s / CHART_S) * (width - left) - 0.5, 0, 1, height);
    const counts = {};
    for (const r of requests) {
      if (r.sent < start) continue;
      const x = left + ((r.sent - start) / CHART_S) * (width - left);
      let i = r.ok && webs.includes(r.node) ? webs.indexOf(r.node) : r.status === 200 ? webs.length : webs.length + 1;
      g.fillStyle = i < webs.length ? colours.getPropertyValue(`--web${i % 4}`) : i === webs.length ? "#bf8700" : "#cf222e";
      g.fillRect(x, i * lane + 3, 1.5, lane - 6);
      if (r.sent > end - 5) { const key = lanes[i]; counts[key] = (counts[key] || 0) + 1; }
    }
    $("counts").textContent = `${W.last5}: ` + lanes.map((n) => `${n} ${counts[n] || 0}`).join(" · ");
  }

  function connect() {
    const source = new EventSource("events?token=" + encodeURIComponent(token));
    source.onopen = () => { root.dataset.connected = "true"; $("conn").textContent = W.live; $("conn").className = "pill ok"; };
    source.onerror = () => { root.dataset.connected = "false"; $("conn").textContent = W.offline; $("conn").className = "pill off"; };
    source.onmessage = (m) => handle(JSON.parse(m.data));
  }

  $("run").addEventListener("click", () => post({ action: "scenario", name: $("scenario").value }));
  $("report").addEventListener("click", () => post({ action: "report" }));
  window.addEventListener("resize", () => { if (state) wires(); });
  setInterval(chart, 100);
  connect();
})();
