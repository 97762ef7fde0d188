// Small pieces every screen uses: icons, modal dialogs, a confirmation, and a menu button.
// Dialogs are native <dialog> elements opened with showModal(), which gives focus trapping,
// Escape to close and an inert page behind for free; we add the return of focus to whatever
// opened them, since browsers do not all do that.

import { h, relativeTime, sanitize } from '../dom.js';
import { displayName } from './account.js';

const SVG = 'http://www.w3.org/2000/svg';

/** Outline icons (24×24 paths), drawn with currentColor so that they follow the theme. */
const ICONS = {
  reply: 'M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z',
  boost: 'M7 7h10v3l4-4-4-4v3H5v6h2V7zm10 10H7v-3l-4 4 4 4v-3h12v-6h-2v4z',
  like: 'M12 21.35l-1.45-1.32C5.4 15.36 2 12.28 2 8.5 2 5.42 4.42 3 7.5 3c1.74 0 3.41.81 4.5 2.09C13.09 3.81 14.76 3 16.5 3 19.58 3 22 5.42 22 8.5c0 3.78-3.4 6.86-8.55 11.54L12 21.35z',
  more: 'M6 10a2 2 0 100 4 2 2 0 000-4zm6 0a2 2 0 100 4 2 2 0 000-4zm6 0a2 2 0 100 4 2 2 0 000-4z',
  close: 'M19 6.41L17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z',
  image: 'M21 19V5a2 2 0 00-2-2H5a2 2 0 00-2 2v14a2 2 0 002 2h14a2 2 0 002-2zM8.5 13.5l2.5 3 3.5-4.5 4.5 6H5l3.5-4.5z',
  warning: 'M1 21h22L12 2 1 21zm12-3h-2v-2h2v2zm0-4h-2v-4h2v4z',
};

/** An icon as inline SVG, hidden from assistive technology (its button carries the name). */
export function icon(name) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', `icon icon-${name}`);
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', ICONS[name] || '');
  svg.append(path);
  return svg;
}

let uid = 0;
/** A document-unique id for aria-labelledby and friends. */
export function uniqueId(prefix = 'id') {
  uid += 1;
  return `${prefix}-${uid}`;
}

/**
 * Opens a modal dialog named `title` around `body` (nodes). Returns the <dialog>; it removes
 * itself when closed and gives focus back to the element that had it.
 */
export function openDialog({ title, body, className = '', onClose } = {}) {
  const returnTo = document.activeElement;
  const titleId = uniqueId('dialog-title');
  const dialog = h(
    'dialog',
    { class: `dialog ${className}`.trim(), 'aria-labelledby': titleId },
    h(
      'div',
      { class: 'dialog-inner' },
      h(
        'header',
        { class: 'dialog-header' },
        h('h2', { id: titleId, class: 'dialog-title' }, title),
        h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close', onclick: () => dialog.close() }, icon('close')),
      ),
      h('div', { class: 'dialog-body' }, body),
    ),
  );
  // A click on the backdrop lands on the <dialog> itself (its inner box takes every other click).
  dialog.addEventListener('click', (e) => {
    if (e.target === dialog) dialog.close();
  });
  dialog.addEventListener('close', () => {
    dialog.remove();
    onClose?.();
    if (returnTo && returnTo.isConnected) returnTo.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** Asks a yes/no question in a dialog; resolves true when confirmed. */
export function confirmDialog({ title, message, confirmLabel = 'OK', danger = false }) {
  return new Promise((resolve) => {
    let answer = false;
    const confirm = h(
      'button',
      {
        type: 'button',
        class: danger ? 'button button-danger' : 'button button-primary',
        onclick: () => {
          answer = true;
          dialog.close();
        },
      },
      confirmLabel,
    );
    const dialog = openDialog({
      title,
      className: 'dialog-confirm',
      body: [
        message ? h('p', {}, message) : null,
        h(
          'div',
          { class: 'dialog-actions' },
          h('button', { type: 'button', class: 'button', onclick: () => dialog.close() }, 'Cancel'),
          confirm,
        ),
      ],
      onClose: () => resolve(answer),
    });
    confirm.focus();
  });
}

/**
 * A button that opens a menu of `items` ({label, onselect, danger, hidden}). The menu follows
 * the ARIA menu-button pattern: arrow keys move between items, Escape and Tab close it, and
 * focus goes back to the button.
 */
export function menuButton({ label, content, className = '', items }) {
  const menuId = uniqueId('menu');
  const visible = items.filter((item) => !item.hidden);
  const menu = h(
    'div',
    { class: 'menu', role: 'menu', id: menuId, hidden: true, 'aria-label': label },
    visible.map((item) =>
      h(
        'button',
        {
          type: 'button',
          role: 'menuitem',
          tabindex: '-1',
          class: item.danger ? 'menu-item menu-item-danger' : 'menu-item',
          onclick: () => {
            // Focus goes back to the menu button first, so that a dialog the item opens
            // returns focus there when it closes.
            close(true);
            item.onselect();
          },
        },
        item.label,
      ),
    ),
  );
  const button = h(
    'button',
    {
      type: 'button',
      class: `icon-button ${className}`.trim(),
      'aria-label': label,
      'aria-haspopup': 'menu',
      'aria-expanded': 'false',
      'aria-controls': menuId,
      onclick: () => (menu.hidden ? open() : close(true)),
      onkeydown: (e) => {
        if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
          e.preventDefault();
          open(e.key === 'ArrowUp' ? -1 : 0);
        }
      },
    },
    content || icon('more'),
  );
  const wrapper = h('div', { class: 'menu-wrapper' }, button, menu);
  const entries = () => [...menu.querySelectorAll('[role="menuitem"]')];

  function onOutside(e) {
    if (!wrapper.contains(e.target)) close(false);
  }

  function open(index = 0) {
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    entries().at(index)?.focus();
    document.addEventListener('pointerdown', onOutside, true);
  }

  function close(returnFocus) {
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', onOutside, true);
    if (returnFocus) button.focus();
  }

  menu.addEventListener('keydown', (e) => {
    const list = entries();
    const at = list.indexOf(document.activeElement);
    const moves = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: list.length - 1 };
    if (e.key in moves) {
      e.preventDefault();
      list[(moves[e.key] + list.length) % list.length]?.focus();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation(); // an open menu inside a dialog closes first, not the dialog
      close(true);
    } else if (e.key === 'Tab') {
      close(false);
    }
  });
  return wrapper;
}

/** An inline error message, announced when it appears. */
export function errorMessage(message, retry) {
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('p', {}, message),
    retry ? h('button', { type: 'button', class: 'button', onclick: retry }, 'Try again') : null,
  );
}

/** A loading placeholder. */
export function loading(text = 'Loading…') {
  return h('p', { class: 'loading' }, text);
}

// ---- Quoted posts -------------------------------------------------------------------------
// The compact form of a quoted status, shared by the status card (where it is a link to the
// quoted post's thread) and the composer in quote mode (where it is context, not a control).

/**
 * Server HTML without Mastodon's fallback paragraph for clients that do not show quotes
 * (`<p class="quote-inline">RE: <link></p>`): the quote block stands in for it.
 */
export function withoutQuoteInline(html) {
  if (!html || !html.includes('quote-inline')) return html || '';
  const template = document.createElement('template');
  template.innerHTML = html; // inert, as in sanitize()
  for (const el of template.content.querySelectorAll('.quote-inline')) el.remove();
  return template.innerHTML;
}

/**
 * A status in compact form: avatar, names, time, content (or only its content warning), and a
 * thumbnail of its first attachment. With `href` the block is a link there named `Quoted post by
 * @acct`, its content as its description; the content's own links become plain text, since links
 * cannot nest. Without `href` it is a group named by the element `labelledBy`. Whatever the
 * quoted status itself quotes is not shown: one level of nesting only.
 */
export function quotePreview(s, { href = null, labelledBy = null } = {}) {
  const acct = s.account.acct;
  const contentId = uniqueId('quote-content');
  const list = s.media_attachments || [];
  const first = list[0];
  const text = h('div', { class: 'status-quote-content', id: contentId });
  if (s.spoiler_text) {
    text.append(h('p', { class: 'status-quote-cw' }, `Content warning: ${s.spoiler_text}`));
  } else {
    const fragment = sanitize(withoutQuoteInline(s.content));
    for (const a of fragment.querySelectorAll('a')) {
      const span = document.createElement('span');
      span.className = 'status-quote-link';
      span.append(...a.childNodes);
      a.replaceWith(span);
    }
    text.append(fragment);
  }
  let thumb = null;
  if (first && !s.spoiler_text) {
    thumb = h(
      'div',
      { class: s.sensitive ? 'status-quote-media status-quote-sensitive' : 'status-quote-media' },
      s.sensitive
        ? h('span', {}, 'Sensitive media')
        : h('img', { src: first.preview_url || first.url, alt: first.description || '', loading: 'lazy' }),
      list.length > 1 ? h('span', { class: 'status-quote-more' }, `+${list.length - 1}`) : null,
    );
  }
  const header = h(
    'div',
    { class: 'status-quote-header' },
    h('img', { class: 'status-quote-avatar', src: s.account.avatar_static || s.account.avatar, alt: '', loading: 'lazy', width: 20, height: 20 }),
    h('span', { class: 'display-name' }, displayName(s.account)),
    ' ',
    h('span', { class: 'acct' }, `@${acct}`),
    h('span', { class: 'status-dot', 'aria-hidden': 'true' }, '·'),
    h('time', { class: 'status-quote-time', datetime: s.created_at, title: new Date(s.created_at).toLocaleString() }, relativeTime(s.created_at)),
  );
  const attrs = href
    ? { href, class: 'status-quote', 'aria-label': `Quoted post by @${acct}`, 'aria-describedby': contentId, dataset: { quoteId: s.id } }
    : { class: 'composer-quote', role: 'group', 'aria-labelledby': labelledBy };
  return h(href ? 'a' : 'div', attrs, h('div', { class: 'status-quote-text' }, header, text), thumb);
}
