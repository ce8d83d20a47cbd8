// Coordinators' spreadsheets, a part of /app kept apart (template: app_sheets.html): import a
// file (a dry run shows every row's outcome and reason, then the coordinator confirms: the same
// engine as `hub import`), and export their area's sheets with their session.
import { $, LANG, _, api, download, h, isoDay, ngettext } from "./hub.js";

let chosen = null; // the file checked last, sent again as it is when confirmed

// "12 created, 3 updated, 0 unchanged, 1 rejected", each part with its own plural.
function counts(report) {
  return [
    ngettext("{n} created", "{n} created", report.created),
    ngettext("{n} updated", "{n} updated", report.updated),
    ngettext("{n} unchanged", "{n} unchanged", report.unchanged),
    ngettext("{n} rejected", "{n} rejected", report.rejected),
  ].join(", ");
}

const ACTIONS = {
  created: _("new"), updated: _("updated"), unchanged: _("unchanged"), rejected: _("rejected"),
};

function rowItem(row) {
  const where = _("Line {seq}", { seq: row.line });
  const item = h("li", { class: row.action, "data-line": row.line },
    h("strong", {}, where), " · ", ACTIONS[row.action] || row.action,
    row.label ? [" · ", row.label] : null);
  for (const p of row.problems) {
    const text = p.column ? _("{column}: {reason}", { column: p.column, reason: p.reason }) : p.reason;
    item.append(h("span", { class: "reason" }, text));
  }
  return item;
}

function showReport(report) {
  const rejected = report.outcomes.filter((o) => o.action === "rejected");
  const accepted = report.outcomes.filter((o) => o.action !== "rejected");
  let verdict;
  if (report.applied) verdict = _("Imported: the changes are saved.");
  else if (report.dry_run && report.created + report.updated === 0) {
    verdict = _("The hub already has every accepted row: nothing to change.");
  } else if (report.dry_run) verdict = _("Nothing is changed yet: check the rows, then confirm.");
  else verdict = _("Nothing was changed.");
  const parts = [
    h("p", { class: "big" }, ngettext("{n} row read", "{n} rows read", report.rows)),
    h("p", { id: "import-counts" }, counts(report)),
    h("p", { class: "muted" }, verdict),
  ];
  if (report.ignored_columns.length) {
    parts.push(h("p", { class: "muted" },
      _("Columns not used: {columns}", { columns: report.ignored_columns.join(", ") })));
  }
  if (rejected.length) {
    parts.push(h("h3", {}, _("Rejected rows")),
      h("ul", { class: "list report", id: "import-rejected" }, rejected.map(rowItem)));
  }
  if (accepted.length) {
    parts.push(h("details", {}, h("summary", {}, _("Accepted rows")),
      h("ul", { class: "list report", id: "import-accepted" }, accepted.map(rowItem))));
  }
  $("import-report").replaceChildren(...parts);
}

// Send the chosen file: a dry run (check) or for real (confirm).
async function send(dryRun) {
  const kind = $("import-kind").value;
  const response = await api("POST", `/imports/${kind}?dry_run=${dryRun}`, chosen);
  return response.json();
}

// Wire the section once the page knows a coordinator is signed in. ``act`` runs an action
// with the page's error display; ``notify`` shows a success.
export function initSheets({ act, notify }) {
  $("export-format").value = LANG === "fr" ? "csv:excel-fr" : "csv:excel";
  $("import-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    act($("import-check"), async () => {
      chosen = $("import-file").files[0] || null;
      $("import-confirm").hidden = true;
      $("import-report").replaceChildren();
      if (!chosen) return;
      const report = await send(true);
      showReport(report);
      $("import-confirm").hidden = report.created + report.updated === 0;
    });
  });
  $("import-confirm").addEventListener("click", (ev) => act(ev.currentTarget, async () => {
    const report = await send(false);
    showReport(report);
    $("import-confirm").hidden = true;
    $("import-form").reset();
    notify(_("Imported: {counts}.", { counts: counts(report) }));
  }));
  $("import-file").addEventListener("change", () => {
    $("import-confirm").hidden = true;
    $("import-report").replaceChildren();
  });
  $("export-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    act($("export-download"), async () => {
      const what = $("export-what").value;
      const [fmt, dialect] = $("export-format").value.split(":");
      const query = new URLSearchParams();
      if (dialect) query.set("dialect", dialect);
      if ($("export-hxl").checked) query.set("hxl", "1");
      // The coordinator's own area is the server's default.
      await download(`/exports/${what}.${fmt}?${query}`, `${what}-${isoDay(0)}.${fmt}`);
    });
  });
}

// Signed out: forget the file and what it showed.
export function clearSheets() {
  chosen = null;
  $("import-report").replaceChildren();
  $("import-confirm").hidden = true;
}
