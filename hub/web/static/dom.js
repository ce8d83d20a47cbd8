"use strict";
// Shared by the hub's pages (/app and /driver): build DOM nodes, and call the API. Text goes in
// as text nodes, never as HTML, because site and need names come from users.

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) {
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }
  return el;
}

// An error whose message is for the user, already in the page's language.
class ApiError extends Error {}

// What the API client says when the server cannot: no network, an ended session, and a frame
// or a stand-in per status (see below).
const API_TEXT = {
  fr: {
    offline: "Le serveur ne répond pas. Vérifiez la connexion et réessayez.",
    sessionOver: "Votre session a expiré : reconnectez-vous.",
    http401: "Identifiants incorrects ou session expirée.",
    http403: "Vous n’avez pas le droit de faire cela.", http404: "Introuvable.",
    http409: "Impossible : ", http422: "Saisie invalide : ",
    http429: "Trop de tentatives ; patientez une minute.", http500: "Erreur du serveur ; réessayez.",
  },
  en: {
    offline: "The server does not answer. Check the connection and try again.",
    sessionOver: "Your session has ended: sign in again.",
    http401: "Wrong credentials, or your session has ended.",
    http403: "You are not allowed to do that.", http404: "Not found.",
    http409: "Not possible: ", http422: "Invalid input: ",
    http429: "Too many attempts; wait a minute.", http500: "Server error; try again.",
  },
};

// The API client of both pages, in ``lang`` ("fr" or "en"); ``onSignedOut`` shows the sign-in
// form when the stored token stops working.
function apiClient({ base, lang, tokenKey, onSignedOut }) {
  const text = API_TEXT[lang];
  return async function api(method, path, body, extraHeaders) {
    // Errors come back in the page's language.
    const headers = { "Accept": "application/json", "Accept-Language": lang, ...(extraHeaders || {}) };
    const token = localStorage.getItem(tokenKey);
    if (token) headers["Authorization"] = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let r;
    try {
      r = await fetch(base + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (_) {
      // On a phone this is mostly no signal: say so rather than "Failed to fetch".
      throw new ApiError(text.offline);
    }
    if (r.status === 401 && token) {
      localStorage.removeItem(tokenKey);
      onSignedOut();
      throw new ApiError(text.sessionOver);
    }
    if (!r.ok) {
      let detail = "";
      try { detail = (await r.json()).detail || ""; } catch (_) { /* not JSON */ }
      const prefix = text["http" + (r.status >= 500 ? 500 : r.status)] || "";
      // The server answers in the page's language (Accept-Language), so its detail says what
      // went wrong; 409 and 422 get a short frame, the other sentences only stand in for a
      // missing detail (a proxy's error page, say).
      const framed = prefix.endsWith(": ") || prefix.endsWith(" : ");
      throw new ApiError(framed ? prefix + detail : (detail || prefix || String(r.status)));
    }
    return r;
  };
}
