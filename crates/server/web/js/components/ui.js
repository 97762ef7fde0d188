// Small pieces every screen uses: icons, modal dialogs, a confirmation, and a menu button.
// Dialogs are native <dialog> elements opened with showModal(), which gives focus trapping,
// Escape to close and an inert page behind for free; we add the return of focus to whatever
// opened them, since browsers do not all do that.

import { h } from '../dom.js';

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
