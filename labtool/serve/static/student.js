// The student's page: their lab's steps, live (server-sent events), and a terminal per node
// (xterm.js, a WebSocket to the node's shell). The instructor's copy of the page reads only:
// its terminals mirror the student's, its keys go nowhere.
import { Terminal } from "/static/vendor/xterm.mjs";
import { FitAddon } from "/static/vendor/addon-fit.mjs";

const root = document.getElementById("student");
const slug = root.dataset.student;
const readonly = root.dataset.readonly === "true";
const nodes = root.dataset.nodes.split(" ").filter(Boolean);
const said = document.getElementById("said");
const terms = {};
let shown = null;
let phase = "none";

const PHASES = { none: "connexion…", making: "préparation du lab…", up: "lab prêt",
                 failed: "le lab n'a pas pu démarrer" };

function render(state) {
  phase = state.phase;
  root.dataset.phase = phase;
  root.dataset.stepsDone = String(state.steps_done);
  const pill = document.getElementById("phase");
  pill.textContent = PHASES[phase] || phase;
  pill.className = "pill" + (phase === "up" ? "" : phase === "failed" ? " bad" : " off");
  document.getElementById("progress").textContent =
    `${state.steps_done}/${state.steps_total || "?"}`;
  const holders = (state.status && state.status.vip_holders) || [];
  const vip = document.getElementById("vip");
  vip.textContent = "VIP : " + (holders.length ? holders.join(" + ") : "—");
  vip.className = "pill" + (holders.length === 1 ? "" : holders.length > 1 ? " bad" : " off");
  said.textContent = state.error || "";
  root.dataset.handedIn = String(Boolean(state.handed_in));
  document.getElementById("handed").textContent = state.handed_in_at
    ? `rendu à ${new Date(state.handed_in_at * 1000).toLocaleTimeString("fr-FR")}` : "";
  document.getElementById("handin").disabled = phase !== "up";
  const list = document.getElementById("step-list");
  list.replaceChildren();
  let next = true;
  for (const step of state.steps) {
    const item = document.createElement("li");
    item.dataset.step = step.id;
    item.dataset.ok = String(step.ok);
    const title = document.createElement("div");
    title.textContent = step.title;
    item.append(title);
    if (!step.ok && next) {
      item.classList.add("next");
      next = false;
      const missing = document.createElement("ul");
      missing.className = "missing";
      for (const text of step.missing.slice(0, 4)) {
        const line = document.createElement("li");
        line.textContent = text;
        missing.append(line);
      }
      item.append(missing);
      if (step.hint) {
        const hint = document.createElement("p");
        hint.className = "hint";
        hint.textContent = step.hint;
        item.append(hint);
      }
    }
    list.append(item);
  }
  if (phase === "up" && shown === null) show(nodes[0]);
}

const LIVE = "live";  // the tab of the live view (labtool watch's page, in a frame)

function openLive() {
  const screen = document.createElement("div");
  screen.className = "screen live";
  screen.dataset.node = LIVE;
  const frame = document.createElement("iframe");
  frame.src = `/students/${encodeURIComponent(slug)}/watch/`;
  frame.title = "Vue live du cluster";
  screen.append(frame);
  document.getElementById("screens").append(screen);
  const entry = { term: null, fit: null, screen, socket: null };
  terms[LIVE] = entry;
  return entry;
}

function open(node) {
  if (node === LIVE) return openLive();
  const screen = document.createElement("div");
  screen.className = "screen";
  screen.dataset.node = node;
  document.getElementById("screens").append(screen);
  const term = new Terminal({ fontSize: 14, cursorBlink: !readonly, disableStdin: readonly,
                              fontFamily: '"Liberation Mono", monospace', scrollback: 5000 });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(screen);
  const entry = { term, fit, screen, socket: null };
  terms[node] = entry;
  connect(node, entry);
  if (!readonly) {
    term.onData((data) => send(entry, "0" + data));
    term.onResize(({ cols, rows }) => send(entry, "1" + JSON.stringify({ cols, rows })));
  }
  return entry;
}

function send(entry, message) {
  if (entry.socket && entry.socket.readyState === WebSocket.OPEN) entry.socket.send(message);
}

function connect(node, entry) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/api/students/${slug}/term/${node}`);
  socket.binaryType = "arraybuffer";
  entry.socket = socket;
  entry.screen.dataset.connected = "false";
  socket.onopen = () => {
    entry.screen.dataset.connected = "true";
    entry.term.reset();
    fitNow(entry);
    send(entry, "1" + JSON.stringify({ cols: entry.term.cols, rows: entry.term.rows }));
  };
  socket.onmessage = (event) => entry.term.write(new Uint8Array(event.data));
  socket.onclose = () => {
    entry.screen.dataset.connected = "false";
    // the shell ended (exit), or the lab is not up yet: a new one shortly
    setTimeout(() => { if (terms[node] === entry) connect(node, entry); }, 1500);
  };
}

function fitNow(entry) {
  if (!entry.fit) return;
  try { entry.fit.fit(); } catch (e) { /* hidden: fitted when shown */ }
}

function show(node) {
  shown = node;
  for (const button of document.querySelectorAll("#tabs button")) {
    button.setAttribute("aria-selected", String(button.dataset.node === node));
  }
  const entry = terms[node] || open(node);
  for (const other of Object.values(terms)) other.screen.classList.toggle("shown", other === entry);
  fitNow(entry);
  if (entry.term) entry.term.focus();
}

const tabs = document.getElementById("tabs");
for (const node of [...nodes, LIVE]) {
  const button = document.createElement("button");
  button.textContent = node === LIVE ? "vue live" : node;
  button.dataset.node = node;
  button.setAttribute("role", "tab");
  button.onclick = () => { if (phase === "up") show(node); };
  tabs.append(button);
}
window.addEventListener("resize", () => { if (shown) fitNow(terms[shown]); });

async function post(path, body) {
  const answer = await fetch(path, { method: "POST", body: JSON.stringify(body || {}),
                                     headers: { "Content-Type": "application/json" } });
  const found = await answer.json().catch(() => ({}));
  said.textContent = answer.ok ? "" : (found.error || `erreur ${answer.status}`);
  return answer.ok;
}

document.getElementById("handin").onclick = async () => {
  said.textContent = "collecte du lab…";
  if (await post(`/api/students/${slug}/handin`)) said.textContent = "TP rendu.";
};
for (const [id, keep] of [["reset-keep", true], ["reset-wipe", false]]) {
  document.getElementById(id).onclick = async () => {
    const ask = keep ? "Réinitialiser le lab de l'étudiant en gardant ses fichiers ?"
                     : "Réinitialiser le lab de l'étudiant et effacer tous ses fichiers ?";
    if (window.confirm(ask)) await post(`/api/students/${slug}/reset`, { keep_files: keep });
  };
}

const events = new EventSource(`/api/students/${slug}/events`);
events.onmessage = (event) => render(JSON.parse(event.data));
events.onerror = () => { document.getElementById("phase").textContent = "reconnexion…"; };
