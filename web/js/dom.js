// The one way this app puts text on the page: DOM nodes with textContent, never HTML strings,
// so a message such as <img src=x onerror=alert(1)> is shown as the characters it is made of.

/**
 * Build an element: h("button", {class: "link", onclick: fn}, "Kick").
 * Attributes starting with "on" are listeners; `dataset` is an object; null/false attributes are skipped;
 * children are nodes or strings (strings become text nodes), nested arrays are flattened.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace everything inside `parent`. */
export function replaceChildren(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

/** The values of a form's named fields, trimmed; empty ones left out. */
export function formValues(form) {
  const values = {};
  for (const [name, value] of new FormData(form).entries()) {
    const trimmed = String(value).trim();
    if (trimmed !== "") values[name] = trimmed;
  }
  return values;
}

/** A random id for `client_msg_id` (hex, 32 characters); works without a secure context. */
export function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** "14:05" today, else "3 Dec 14:05", in the browser's time zone. */
export function shortTime(iso) {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return "";
  const time = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  if (when.toDateString() === new Date().toDateString()) return time;
  return `${when.toLocaleDateString([], { day: "numeric", month: "short" })} ${time}`;
}
