// The box label page. Opened at /label/ID from the makers' page, it fetches the label the API
// renders for the signed-in lab (the token is the one every page shares), puts it in place and
// opens the print dialog. Opened as the API's own document, the label is already there.
import { $, LANG, _, api, token } from "./hub.js";

const label = $("label");

function print() {
  $("loading").hidden = true;
  // After layout, so that the print preview has the label, not an empty page.
  requestAnimationFrame(() => window.print());
}

async function fetchLabel() {
  if (!token.get()) {
    throw new Error(_("Sign in on the makers' page first, then print the label from your batch."));
  }
  const response = await api("GET", `/batches/${label.dataset.batch}/label?lang=${LANG}`);
  // The server wrote and escaped the label; a parsed document runs no script, so its label
  // can be moved here as it is.
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  const filled = doc.getElementById("label");
  if (!filled) throw new Error(_("Server error; try again."));
  label.replaceWith(document.adoptNode(filled));
  document.title = doc.title;
}

$("print").addEventListener("click", () => window.print());

if (label.hasAttribute("data-ready")) {
  print();
} else {
  try {
    await fetchLabel();
    print();
  } catch (err) {
    $("loading").hidden = true;
    $("error").textContent = err.message;
  }
}
