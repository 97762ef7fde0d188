// A paged, live list: the first page, more pages as the reader scrolls (or presses "Load
// more"), and items arriving live at the top. A reader at the top sees new items slide in; a
// reader who has scrolled down is not moved: new items wait behind an "N new posts" pill
// until asked for.

import { h, replace } from '../dom.js';
import { errorMessage } from './ui.js';

/**
 * Options: `load(cursor)` -> {items, next} (cursor: null for the first page, then the `next`
 * it returned), `render(item)` -> Element, `key(item)` -> string, `label` (the accessible
 * name), `empty` (text when there is nothing), `list` (a plain list of rows rather than a
 * feed of articles), `noun` (['new post', 'new posts'] for the pill).
 */
export function pagedFeed({ load, render, key, label, empty = 'Nothing to see here yet.', list = false, noun = ['new post', 'new posts'] }) {
  const keys = new Set();
  const held = []; // rendered items waiting for the pill, oldest first
  let next = null;
  let loading = false;
  let done = false;

  const container = list
    ? h('ul', { class: 'feed feed-list', 'aria-label': label })
    : h('div', { class: 'feed', role: 'feed', 'aria-label': label, 'aria-busy': 'true' });
  const pill = h('button', { type: 'button', class: 'new-posts', hidden: true, onclick: reveal });
  // The empty note and the loading or error state live inside the list, so that the feed is
  // there (and visible) from the start, whatever it holds.
  const noteTag = list ? 'li' : 'div';
  const emptyNote = h(noteTag, { class: 'feed-note empty', hidden: true }, empty);
  const status = h(noteTag, { class: 'feed-note feed-status' });
  const more = h('button', { type: 'button', class: 'button load-more', hidden: true, onclick: () => loadMore() }, 'Load more');
  const end = h('p', { class: 'feed-end', hidden: true }, 'You have reached the end.');
  container.append(emptyNote, status);
  const element = h('div', { class: 'feed-wrapper' }, pill, container, more, end);

  const observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((e) => e.isIntersecting) && next && !loading) loadMore();
    },
    { rootMargin: '600px 0px' },
  );
  observer.observe(more);

  function wrap(el) {
    return list ? h('li', { class: 'feed-item' }, el) : el;
  }

  function count() {
    return container.querySelectorAll(':scope > :not(.feed-note)').length;
  }

  function refreshEmpty() {
    emptyNote.hidden = loading || count() > 0 || held.length > 0;
  }

  function setLoading(on) {
    loading = on;
    container.setAttribute('aria-busy', String(on));
    replace(status, on ? h('p', { class: 'loading' }, 'Loading…') : null);
    more.hidden = on || !next;
    end.hidden = on || Boolean(next) || !done || count() === 0;
    refreshEmpty();
  }

  async function loadMore() {
    if (loading) return;
    const first = !done && !next;
    setLoading(true);
    try {
      const page = await load(first ? null : next);
      for (const item of page.items) {
        const k = key(item);
        if (keys.has(k)) continue;
        keys.add(k);
        emptyNote.before(wrap(render(item)));
      }
      next = page.items.length ? page.next : null;
      done = true;
      setLoading(false);
    } catch (err) {
      setLoading(false);
      more.hidden = true;
      replace(status, errorMessage(`Could not load: ${err.message}`, () => loadMore()));
    }
  }

  /** Whether the reader is looking at the top of the list. */
  function atTop() {
    return container.getBoundingClientRect().top > -80;
  }

  /** A live item: shown at once at the top, or held behind the pill. */
  function prepend(item) {
    const k = key(item);
    if (keys.has(k)) return;
    keys.add(k);
    const el = render(item);
    if (atTop() && !held.length) {
      insert(el);
    } else {
      el.held = true;
      held.push(el);
      updatePill();
    }
    refreshEmpty();
  }

  function insert(el) {
    el.held = false;
    el.classList.add('slide-in');
    el.addEventListener('animationend', () => el.classList.remove('slide-in'), { once: true });
    container.prepend(wrap(el));
  }

  function updatePill() {
    const n = held.filter((el) => !el.deleted).length;
    pill.hidden = n === 0;
    pill.textContent = `${n} ${n === 1 ? noun[0] : noun[1]}`;
  }

  /** Shows the held items and takes the reader to the top, focusing the newest. */
  function reveal() {
    const shown = held.splice(0).filter((el) => !el.deleted);
    shown.forEach(insert);
    updatePill();
    element.scrollIntoView({ block: 'start', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
    shown.at(-1)?.focus({ preventScroll: true });
  }

  function clear() {
    keys.clear();
    held.splice(0);
    updatePill();
    replace(container, emptyNote, status);
    next = null;
    more.hidden = true;
    end.hidden = true;
    refreshEmpty();
  }

  return {
    element,
    container,
    start: () => loadMore(),
    prepend,
    clear,
    destroy: () => observer.disconnect(),
  };
}
