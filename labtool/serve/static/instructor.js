// The instructor's page: one tile per student, kept live (the class's state every second).
const tiles = document.getElementById("tiles");

function seen(at) {
  if (!at) return "—";
  const date = new Date(at * 1000);
  return date.toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit" });
}

function tile(student) {
  let element = tiles.querySelector(`[data-student="${CSS.escape(student.student)}"]`);
  if (!element) {
    element = document.createElement("a");
    element.dataset.student = student.student;
    tiles.append(element);
  }
  element.href = `/instructor/students/${encodeURIComponent(student.student)}`;
  element.className = "tile" + (student.signed_in ? " in" : "");
  element.dataset.stepsDone = String(student.steps_done);
  element.dataset.handedIn = String(student.handed_in);
  element.dataset.phase = student.phase;
  const total = student.steps_total || 14;
  const name = document.createElement("strong");
  name.textContent = student.name;
  const state = document.createElement("span");
  state.className = "muted";
  state.textContent = `${student.signed_in ? "connecté" : "pas connecté"} · ${seen(student.last_seen)}`
    + (student.handed_in ? " · rendu" : "");
  const steps = document.createElement("span");
  steps.className = "steps";
  steps.textContent = `${student.steps_done}/${total}`;
  const vip = document.createElement("span");
  vip.className = "vip muted";
  vip.textContent = student.vip_holder ? ` VIP : ${student.vip_holder}` : "";
  const bar = document.createElement("div");
  bar.className = "bar";
  const fill = document.createElement("i");
  fill.style.width = `${Math.round((100 * student.steps_done) / total)}%`;
  bar.append(fill);
  element.replaceChildren(name, document.createElement("br"), state,
                          document.createElement("br"), steps, vip, bar);
}

const graded = document.getElementById("graded");

async function showGrades() {
  const answer = await fetch("/api/class/grades/grades.json", { cache: "no-store" });
  if (!answer.ok) return;
  const table = document.getElementById("grades");
  const head = document.createElement("tr");
  for (const text of ["Rendu", "Note", "Erreur"]) {
    const cell = document.createElement("th");
    cell.textContent = text;
    head.append(cell);
  }
  table.replaceChildren(head);
  for (const grade of await answer.json()) {
    const row = document.createElement("tr");
    row.dataset.submission = grade.submission;
    for (const text of [grade.submission, `${grade.grade}/${grade.total}`, grade.error || ""]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    table.append(row);
  }
}

document.getElementById("grade").onclick = async () => {
  graded.textContent = "notation en cours…";
  const answer = await fetch("/api/class/grade", { method: "POST" });
  const found = await answer.json().catch(() => ({}));
  graded.textContent = answer.ok ? `${found.graded} rendus notés` : (found.error || "erreur");
  if (answer.ok) showGrades();
};
showGrades();

async function refresh() {
  try {
    const answer = await fetch("/api/class", { cache: "no-store" });
    if (answer.ok) for (const student of (await answer.json()).students) tile(student);
  } catch (e) { /* the server restarts: the next second */ }
  setTimeout(refresh, 1000);
}
refresh();
