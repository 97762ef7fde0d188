// The status card, and the registry that keeps every card current. The same status can be on
// screen several times (a post and a boost of it, a thread and a notification), and its counts
// change under the reader's eyes (`status.counts` events, edits, the reader's own likes), so
// cards are registered by the id of the status they show and updated in place by id, never
// re-fetched or rebuilt wholesale.

import { h, relativeTime, replace, sanitize } from '../dom.js';
import { displayName, profilePath } from './account.js';
import { openComposer } from './composer.js';
import { confirmDialog, icon, menuButton, openDialog, quotePreview, uniqueId, withoutQuoteInline } from './ui.js';

/** Status id -> Set of cards showing that status (a boost's card is kept under the original). */
const cards = new Map();
/** card -> {wrapper (the status as listed, maybe a boost), ctx, opts, created} */
const meta = new WeakMap();
// A card may be built a little before it is put on the page (a feed holding new posts, a view
// still loading): only cards that have been off the page for a while are forgotten.
const GRACE_MS = 60_000;

const COUNT_FIELDS = ['replies_count', 'reblogs_count', 'favourites_count'];
const FLAG_FIELDS = ['favourited', 'reblogged'];
// Kept from the card's copy when a fresh one (a `status.update`) leaves them out (a null quote
// is news: the quote was taken out).
const QUOTE_FIELDS = ['quote', 'quote_approval'];

/** Quoted status id -> Set of quote blocks showing it (inside the cards of quoting posts). */
const quotes = new Map();
/** quote block -> when it was built */
const quoteBuilt = new WeakMap();

function register(id, card) {
  if (!cards.has(id)) cards.set(id, new Set());
  cards.get(id).add(card);
}

/** The live cards showing status `id`, dropping those long gone from the page. */
function cardsOf(id) {
  const set = cards.get(id);
  if (!set) return [];
  const now = Date.now();
  for (const card of set) {
    if (!card.isConnected && !card.held && now - (meta.get(card)?.created || 0) > GRACE_MS) set.delete(card);
  }
  if (!set.size) cards.delete(id);
  return [...set];
}

/** The status a card shows: the original for a boost. */
function shown(wrapper) {
  return wrapper.reblog || wrapper;
}

/**
 * Applies new counts or flags (any of replies_count, reblogs_count, favourites_count,
 * favourited, reblogged) to every card showing status `id`.
 */
export function updateStatus(id, patch) {
  for (const card of cardsOf(String(id))) {
    const status = shown(meta.get(card).wrapper);
    for (const key of [...COUNT_FIELDS, ...FLAG_FIELDS]) {
      if (patch[key] !== undefined && patch[key] !== null) status[key] = patch[key];
    }
    syncActions(card);
  }
}

/** The live quote blocks showing status `id`, dropping those long gone from the page. */
function quotesOf(id) {
  const set = quotes.get(id);
  if (!set) return [];
  const now = Date.now();
  for (const block of set) {
    if (!block.isConnected && !block.closest('article.status')?.held && now - (quoteBuilt.get(block) || 0) > GRACE_MS) set.delete(block);
  }
  if (!set.size) quotes.delete(id);
  return [...set];
}

/**
 * Puts `next` in the place of quote block `block` (of status `id`), in the registry and in the
 * quoting card's own copy too (`quote`: what the quote now is).
 */
function swapQuote(id, block, next, quote) {
  const owner = meta.get(block.closest('article.status'));
  const quoting = owner && shown(owner.wrapper);
  if (quoting?.quote) quoting.quote = quote;
  block.replaceWith(next);
  quotes.get(id)?.delete(block);
}

/**
 * Re-renders every card showing `status` (after an edit), keeping the reader's own flags, and
 * every quote of it in other posts' cards.
 */
export function replaceStatus(status) {
  const id = String(status.id);
  for (const block of quotesOf(id)) swapQuote(id, block, quoteBlock(status), { state: 'accepted', quoted_status: status });
  for (const card of cardsOf(id)) {
    const { wrapper, ctx, opts } = meta.get(card);
    const old = shown(wrapper);
    const fresh = { ...status };
    for (const key of FLAG_FIELDS) if (fresh[key] === undefined || fresh[key] === null) fresh[key] = old[key];
    for (const key of QUOTE_FIELDS) if (fresh[key] === undefined) fresh[key] = old[key];
    const next = statusCard(wrapper.reblog ? { ...wrapper, reblog: fresh } : fresh, ctx, opts);
    next.held = card.held;
    card.replaceWith(next);
    cards.get(String(status.id))?.delete(card);
  }
}

/**
 * Removes the cards of a deleted status, and of boosts of it (or the boost `id` itself); its
 * quotes in other posts say that it was deleted.
 */
export function removeStatus(id) {
  id = String(id);
  for (const block of quotesOf(id)) {
    swapQuote(id, block, quoteGone('The quoted post was deleted.'), { state: 'deleted', quoted_status: null });
  }
  quotes.delete(id);
  const doomed = [...cardsOf(id), ...document.querySelectorAll(`article.status[data-reblog-id="${CSS.escape(id)}"]`)];
  for (const card of doomed) {
    const { opts } = meta.get(card) || {};
    if (opts?.highlight) {
      card.replaceWith(h('p', { class: 'status-gone' }, 'This post has been deleted.'));
    } else {
      card.remove();
    }
    card.deleted = true; // a feed holding it back must not show it later
  }
  cards.delete(id);
}

/** Keeps cards current from the live stream; returns the unsubscriber for a view's cleanup. */
export function followLiveStatuses(stream) {
  if (!stream) return () => {};
  const offs = [
    stream.on('status.counts', (counts) => counts?.id && updateStatus(counts.id, counts)),
    stream.on('status.update', (status) => status?.id && replaceStatus(status)),
    stream.on('delete', (id) => removeStatus(id)),
  ];
  return () => offs.forEach((off) => off());
}

/** Remembers a status's counts from a fresh copy (a fetch, a stream event) on every card. */
function refreshFrom(status) {
  const s = shown(status);
  updateStatus(s.id, s);
}

// ---- The card ---------------------------------------------------------------------------

/**
 * A status card. `status` is as listed (a boost wraps the original in `reblog`). Options:
 * `highlight` (the focused status of a thread), `hideReplyContext`.
 */
export function statusCard(status, ctx, opts = {}) {
  const s = shown(status);
  const boost = status.reblog ? status : null;
  const card = h('article', {
    class: ['status', opts.highlight ? 'status-highlight' : '', boost ? 'status-boost' : ''].filter(Boolean).join(' '),
    tabindex: '-1',
    'aria-label': `Post by @${s.account.acct}`,
    dataset: boost ? { id: s.id, reblogId: boost.id } : { id: s.id },
  });
  meta.set(card, { wrapper: status, ctx, opts, created: Date.now() });
  register(String(s.id), card);
  const body = h('div', { class: 'status-body' }, content(s), quote(s), media(s));
  const warning = s.spoiler_text ? contentWarning(s, body) : null;
  replace(
    card,
    boost ? boostLine(boost) : null,
    h(
      'div',
      { class: 'status-main' },
      h('a', { href: profilePath(s.account), class: 'status-avatar', tabindex: '-1', 'aria-hidden': 'true' }, avatarImg(s.account)),
      h(
        'div',
        { class: 'status-column' },
        header(s),
        opts.hideReplyContext ? null : replyContext(s, ctx),
        warning,
        body,
        actions(card, s, ctx),
      ),
    ),
  );
  return card;
}

function avatarImg(account) {
  return h('img', { class: 'avatar', src: account.avatar_static || account.avatar, alt: '', loading: 'lazy', width: 48, height: 48 });
}

function boostLine(boost) {
  return h(
    'p',
    { class: 'status-boosted-by' },
    icon('boost'),
    h('a', { href: profilePath(boost.account) }, `@${boost.account.acct}`),
    ' boosted',
  );
}

function header(s) {
  return h(
    'header',
    { class: 'status-header' },
    h(
      'a',
      { href: profilePath(s.account), class: 'status-names' },
      h('span', { class: 'display-name' }, displayName(s.account)),
      ' ',
      h('span', { class: 'acct' }, `@${s.account.acct}`),
    ),
    h('span', { class: 'status-dot', 'aria-hidden': 'true' }, '·'),
    h(
      'a',
      { href: `/@${s.account.acct}/${s.id}`, class: 'status-time' },
      h('time', { datetime: s.created_at, title: new Date(s.created_at).toLocaleString() }, relativeTime(s.created_at)),
    ),
    s.edited_at ? h('span', { class: 'status-edited', title: `Edited ${new Date(s.edited_at).toLocaleString()}` }, '· edited') : null,
    s.visibility && s.visibility !== 'public' ? h('span', { class: 'status-visibility' }, visibilityLabel(s.visibility)) : null,
  );
}

function visibilityLabel(v) {
  return { unlisted: 'Unlisted', private: 'Followers only', direct: 'Mentioned only' }[v] || v;
}

function replyContext(s, ctx) {
  if (!s.in_reply_to_id) return null;
  const to =
    (s.mentions || []).find((m) => m.id === s.in_reply_to_account_id) ||
    (s.in_reply_to_account_id === s.account.id ? s.account : null) ||
    (ctx.account?.id === s.in_reply_to_account_id ? ctx.account : null);
  return h(
    'p',
    { class: 'status-reply-to' },
    'Replying to ',
    to ? h('a', { href: `/@${to.acct}` }, `@${to.acct}`) : h('a', { href: `/statuses/${s.in_reply_to_id}` }, 'a post'),
  );
}

function content(s) {
  const el = h('div', { class: 'status-content' });
  el.append(sanitize(s.quote ? withoutQuoteInline(s.content) : s.content || ''));
  return el;
}

/**
 * What a post quotes, below its content: the quoted post in compact form (a link to its thread,
 * kept current by id), or a line saying why it cannot be shown. Only one level: the quoted
 * post's own quote is not rendered.
 */
function quote(s) {
  const q = s.quote;
  if (!q) return null;
  if (q.state === 'accepted' && q.quoted_status?.account) return quoteBlock(q.quoted_status);
  if (q.state === 'accepted' && q.quoted_status_id) {
    // A shallow quote (not expected at the top level): a plain link to the post.
    return h('a', { href: `/statuses/${q.quoted_status_id}`, class: 'status-quote status-quote-shallow' }, 'Quoted post');
  }
  if (q.state === 'deleted') return quoteGone('The quoted post was deleted.');
  return quoteGone('The quoted post is not available.');
}

/** A quoted status as a link to its thread, registered so that edits and deletions reach it. */
function quoteBlock(q) {
  const block = quotePreview(q, { href: `/@${q.account.acct}/${q.id}` });
  const id = String(q.id);
  if (!quotes.has(id)) quotes.set(id, new Set());
  quotes.get(id).add(block);
  quoteBuilt.set(block, Date.now());
  return block;
}

function quoteGone(text) {
  return h('p', { class: 'status-quote status-quote-gone' }, text);
}

/** The spoiler text with a toggle that reveals the body (content and media). */
function contentWarning(s, body) {
  const bodyId = uniqueId('status-body');
  body.id = bodyId;
  body.hidden = true;
  const toggle = h('button', { type: 'button', class: 'button button-small', 'aria-expanded': 'false', 'aria-controls': bodyId }, 'Show more');
  toggle.addEventListener('click', () => {
    const open = body.hidden;
    body.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? 'Show less' : 'Show more';
  });
  return h('div', { class: 'status-cw' }, h('p', { class: 'status-cw-text' }, s.spoiler_text), toggle);
}

function media(s) {
  const list = s.media_attachments || [];
  if (!list.length) return null;
  const grid = h(
    'div',
    { class: `status-media status-media-${Math.min(list.length, 4)}` },
    list.map((m, i) =>
      h(
        'button',
        {
          type: 'button',
          class: 'status-media-item',
          'aria-label': m.description ? `View image: ${m.description}` : `View image ${i + 1}`,
          onclick: () => lightbox(list, i),
        },
        h('img', { src: m.preview_url || m.url, alt: m.description || '', loading: 'lazy' }),
      ),
    ),
  );
  // Sensitive media without a content warning still waits for a click.
  if (s.sensitive && !s.spoiler_text) {
    grid.hidden = true;
    const reveal = h(
      'button',
      {
        type: 'button',
        class: 'status-media-reveal',
        onclick: () => {
          grid.hidden = false;
          reveal.remove();
          grid.querySelector('button')?.focus();
        },
      },
      'Sensitive content: show media',
    );
    return h('div', {}, reveal, grid);
  }
  return grid;
}

/** Full-size images in a dialog, one at a time, with arrows between them. */
function lightbox(list, start) {
  let at = start;
  const img = h('img', { class: 'lightbox-image' });
  const caption = h('p', { class: 'lightbox-caption' });
  const open = h('a', { class: 'button button-small', target: '_blank', rel: 'noopener' }, 'Open original');
  const show = () => {
    const m = list[at];
    img.src = m.url;
    img.alt = m.description || '';
    caption.textContent = m.description || '';
    open.href = m.url;
  };
  const step = (d) => {
    at = (at + d + list.length) % list.length;
    show();
  };
  const nav =
    list.length > 1
      ? [
          h('button', { type: 'button', class: 'button button-small', onclick: () => step(-1) }, 'Previous image'),
          h('button', { type: 'button', class: 'button button-small', onclick: () => step(1) }, 'Next image'),
        ]
      : [];
  const dialog = openDialog({
    title: list.length > 1 ? 'Images' : 'Image',
    className: 'dialog-lightbox',
    body: [img, caption, h('div', { class: 'dialog-actions' }, nav, open)],
  });
  dialog.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowRight' && list.length > 1) step(1);
    if (e.key === 'ArrowLeft' && list.length > 1) step(-1);
  });
  show();
}

// ---- Actions ----------------------------------------------------------------------------

function actionButton(name, iconName, count, pressed, onclick) {
  const countId = uniqueId('count');
  return h(
    'button',
    {
      type: 'button',
      class: `status-action status-action-${iconName}`,
      'aria-label': name,
      'aria-pressed': String(Boolean(pressed)),
      'aria-describedby': countId,
      dataset: { action: iconName },
      onclick,
    },
    icon(iconName),
    h('span', { class: 'count', id: countId }, formatCount(count)),
  );
}

function formatCount(n) {
  n = Number(n) || 0;
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(1).replace(/\.0$/, '')}M`;
  if (n >= 10_000) return `${Math.round(n / 1000)}K`;
  return String(n);
}

/** Puts a card's buttons in line with its status's counts and flags. */
function syncActions(card) {
  const s = shown(meta.get(card).wrapper);
  const set = (action, count, pressed) => {
    const button = card.querySelector(`.status-actions [data-action="${action}"]`);
    if (!button) return;
    button.setAttribute('aria-pressed', String(Boolean(pressed)));
    button.querySelector('.count').textContent = formatCount(count);
  };
  set('reply', s.replies_count, false);
  set('boost', s.reblogs_count, s.reblogged);
  set('like', s.favourites_count, s.favourited);
}

function canBoost(s, ctx) {
  if (s.visibility === 'direct') return false;
  return s.visibility !== 'private' || s.account.id === ctx.account?.id;
}

/** Whether someone is signed in; if not, says so and goes to the sign-in page. */
function signedIn(ctx) {
  if (ctx.account) return true;
  ctx.toast('Sign in to do that.');
  ctx.navigate('/signin');
  return false;
}

function actions(card, s, ctx) {
  const reply = actionButton('Reply', 'reply', s.replies_count, false, () => {
    if (signedIn(ctx)) openComposer(ctx, { replyTo: shown(meta.get(card).wrapper) });
  });
  const boost = actionButton('Boost', 'boost', s.reblogs_count, s.reblogged, () => {
    if (signedIn(ctx)) toggle(card, ctx, 'reblog');
  });
  if (!canBoost(s, ctx)) {
    boost.setAttribute('aria-disabled', 'true');
    boost.title = 'This post cannot be boosted';
  }
  const like = actionButton('Like', 'like', s.favourites_count, s.favourited, () => {
    if (signedIn(ctx)) toggle(card, ctx, 'favourite');
  });
  return h('div', { class: 'status-actions' }, reply, boost, like, moreMenu(card, s, ctx));
}

/**
 * Likes or boosts (or undoes either): shown at once on every card of the status, then
 * reconciled with what the server answers, or put back if it refuses.
 */
async function toggle(card, ctx, kind) {
  const s = shown(meta.get(card).wrapper);
  const [flag, count, button] = kind === 'reblog' ? ['reblogged', 'reblogs_count', 'boost'] : ['favourited', 'favourites_count', 'like'];
  if (card.querySelector(`[data-action="${button}"]`)?.getAttribute('aria-disabled') === 'true') {
    ctx.toast('This post cannot be boosted.');
    return;
  }
  const before = { [flag]: Boolean(s[flag]), [count]: s[count] || 0 };
  const on = !before[flag];
  updateStatus(s.id, { [flag]: on, [count]: Math.max(0, before[count] + (on ? 1 : -1)) });
  try {
    const path = `/api/v1/statuses/${s.id}/${on ? kind : `un${kind}`}`;
    const result = await ctx.api.post(path);
    refreshFrom(result);
  } catch (err) {
    updateStatus(s.id, before);
    ctx.toast(err.message, 'error');
  }
}

function moreMenu(card, s, ctx) {
  const mine = ctx.account && ctx.account.id === s.account.id;
  return menuButton({
    label: 'More actions',
    className: 'status-more',
    items: [
      {
        label: 'Quote',
        hidden: s.quote_approval?.current_user !== 'automatic',
        onselect: () => signedIn(ctx) && openComposer(ctx, { quote: shown(meta.get(card).wrapper) }),
      },
      {
        label: 'Edit',
        hidden: !mine,
        onselect: () => openComposer(ctx, { edit: shown(meta.get(card).wrapper), onDone: (updated) => replaceStatus(updated) }),
      },
      { label: 'Delete', hidden: !mine, danger: true, onselect: () => deleteStatus(s, ctx) },
      { label: 'Edit history', onselect: () => showHistory(s, ctx) },
      { label: 'Copy link', onselect: () => copyLink(s, ctx) },
    ],
  });
}

async function deleteStatus(s, ctx) {
  const sure = await confirmDialog({
    title: 'Delete post?',
    message: 'This cannot be undone. Boosts of it and its place in threads go with it.',
    confirmLabel: 'Delete',
    danger: true,
  });
  if (!sure) return;
  try {
    await ctx.api.del(`/api/v1/statuses/${s.id}`);
    removeStatus(s.id);
    ctx.toast('Post deleted');
  } catch (err) {
    ctx.toast(err.message, 'error');
  }
}

async function showHistory(s, ctx) {
  const list = h('ol', { class: 'history' });
  const status = h('p', { class: 'loading' }, 'Loading…');
  openDialog({ title: 'Edit history', className: 'dialog-history', body: [status, list] });
  try {
    const versions = await ctx.api.get(`/api/v1/statuses/${s.id}/history`);
    // Oldest first, whatever order the server chose.
    versions.sort((a, b) => new Date(a.created_at) - new Date(b.created_at));
    status.remove();
    replace(
      list,
      versions.map((v, i) =>
        h(
          'li',
          { class: 'history-version' },
          h(
            'p',
            { class: 'history-meta' },
            i === 0 ? 'Original' : i === versions.length - 1 ? 'Current' : `Edit ${i}`,
            ' · ',
            h('time', { datetime: v.created_at }, new Date(v.created_at).toLocaleString()),
          ),
          v.spoiler_text ? h('p', { class: 'status-cw-text' }, v.spoiler_text) : null,
          h('div', { class: 'status-content' }, sanitize(v.content || '')),
        ),
      ),
    );
  } catch (err) {
    status.textContent = err.message;
    status.className = 'error';
    status.setAttribute('role', 'alert');
  }
}

async function copyLink(s, ctx) {
  const url = s.url || `${location.origin}/@${s.account.acct}/${s.id}`;
  try {
    await navigator.clipboard.writeText(url);
    ctx.toast('Link copied');
  } catch {
    // No clipboard (an insecure origin, or permission refused): show the link to copy by hand.
    openDialog({ title: 'Link to this post', body: h('input', { type: 'text', readonly: true, value: url, class: 'input', 'aria-label': 'Link' }) });
  }
}

// A reply changes its parent's reply count. The live `status.counts` signal reaches only those
// who may be shown the parent, and after the reply's own response, so the count is refetched
// here rather than incremented (which an early signal would make count twice).
document.addEventListener('starling:posted', async (e) => {
  const parentId = e.detail?.in_reply_to_id;
  const card = parentId && cardsOf(String(parentId))[0];
  if (!card) return;
  try {
    refreshFrom(await meta.get(card).ctx.api.get(`/api/v1/statuses/${parentId}`));
  } catch {
    // the count stays as it was
  }
});

// Relative times ("5m") age while they are on screen.
setInterval(() => {
  for (const time of document.querySelectorAll('.status-time time, time.status-quote-time')) {
    time.textContent = relativeTime(time.getAttribute('datetime'));
  }
}, 30_000);
