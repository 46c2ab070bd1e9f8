// Small DOM helpers. User-supplied text only ever goes through textContent, never HTML.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child);
  return node;
}

// Shows an element the server rendered hidden because it needs the script (charts, the map),
// with any hidden ancestor.
export function reveal(node) {
  for (let n = node; n; n = n.parentElement) if (n.hidden) n.hidden = false;
}

export function byId(id) {
  return document.getElementById(id);
}
