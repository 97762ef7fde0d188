// Building the page without HTML strings: every element is made with h(), every text set as
// text, so nothing a user wrote is ever parsed as markup. The one exception is status content,
// which the server renders to HTML (links, mentions, hashtags): sanitize() rebuilds it from an
// allow-list of elements and attributes, dropping everything else.

/** h('button', {class: 'x', onclick: fn, 'aria-label': 'Like'}, 'text', child, [more]) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'value' && 'value' in el) {
      el.value = value;
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const ALLOWED = {
  P: [], BR: [], SPAN: ['class'], A: ['href', 'class', 'rel'], STRONG: [], EM: [], B: [], I: [], CODE: [],
  PRE: [], BLOCKQUOTE: [], UL: [], OL: [], LI: [], DEL: [],
};

/** A fragment rebuilt from server HTML with only allowed elements and attributes. */
export function sanitize(html) {
  const template = document.createElement('template');
  template.innerHTML = html; // parsed inert: templates run no scripts and load nothing
  const out = document.createDocumentFragment();
  const copy = (from, to) => {
    for (const node of from.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) {
        to.append(document.createTextNode(node.textContent));
      } else if (node.nodeType === Node.ELEMENT_NODE) {
        const allowed = ALLOWED[node.tagName];
        if (!allowed) {
          copy(node, to); // keep the text of an unknown element, not the element
          continue;
        }
        const el = document.createElement(node.tagName.toLowerCase());
        for (const name of allowed) {
          const value = node.getAttribute(name);
          if (value === null) continue;
          if (name === 'href' && !/^(https?:|\/)/i.test(value)) continue;
          el.setAttribute(name, value);
        }
        if (el.tagName === 'A') {
          el.setAttribute('rel', 'nofollow noopener noreferrer');
          if (!isLocal(el.getAttribute('href'))) el.setAttribute('target', '_blank');
        }
        copy(node, el);
        to.append(el);
      }
    }
  };
  copy(template.content, out);
  return out;
}

/** Whether a link points at this server (mentions, hashtags): the router handles those. */
export function isLocal(href) {
  try {
    return new URL(href, location.href).origin === location.origin;
  } catch {
    return false;
  }
}

/** "5s", "3m", "2h", "4d", or a date, as timelines show times. */
export function relativeTime(iso, now = Date.now()) {
  const then = new Date(iso).getTime();
  const s = Math.max(0, Math.round((now - then) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  if (s < 7 * 86400) return `${Math.floor(s / 86400)}d`;
  return new Date(iso).toLocaleDateString();
}

/** A short-lived message for the user, announced to screen readers. */
export function toast(message, kind = 'info') {
  let region = document.getElementById('toasts');
  if (!region) {
    region = h('div', { id: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(region);
  }
  const item = h('div', { class: `toast toast-${kind}` }, message);
  region.append(item);
  setTimeout(() => item.remove(), 5000);
}
