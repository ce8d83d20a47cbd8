// Starts ReDoc on /redoc. A file rather than an inline script, so that the page keeps the hub's
// Content-Security-Policy; ReDoc gives its own <style> elements the nonce this response allows.
"use strict";

// ReDoc's sidebar shows its maker's logo from their CDN. The hub loads nothing from the
// internet (and its policy would refuse it, with an error in the console), so an image from
// another site gets an empty picture instead.
const EMPTY = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==";
const local = (value) => {
  const url = new URL(String(value), location.href);
  return url.origin === location.origin || url.protocol === "data:" ? value : EMPTY;
};
const setAttribute = Element.prototype.setAttribute;
Element.prototype.setAttribute = function (name, value) {
  const isSrc = this instanceof HTMLImageElement && String(name).toLowerCase() === "src";
  return setAttribute.call(this, name, isSrc ? local(value) : value);
};
const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
Object.defineProperty(HTMLImageElement.prototype, "src", {
  ...src,
  set(value) { src.set.call(this, local(value)); },
});

const root = document.getElementById("redoc");
// Darker code than ReDoc's own red, readable on its grey (WCAG AA, 4.5:1).
const theme = { typography: { code: { color: "#b3261e" } } };
Redoc.init(root.dataset.openapiUrl, { nonce: root.dataset.nonce, theme }, root);
