// /search — accounts, hashtags and posts as the user types; /explore — what is trending:
// hashtags with their week in a small chart, and posts. Trending hashtags follow the `trends`
// signal live, which the server sends on public streams only: the explore page subscribes to
// the local one while it is open.

import { accountRow, tagFollowButton } from '../components/account.js';
import { h, replace, sanitize } from '../dom.js';

const SVG = 'http://www.w3.org/2000/svg';
/** Results follow typing, but not every keystroke: a request once typing pauses. */
const DEBOUNCE_MS = 250;
/** Without a live connection (signed out), trends are fetched again this often. */
const TRENDS_POLL_MS = 60000;

export default {
  title: (params) => (params.tab === 'explore' ? 'Explore' : 'Search'),
  render(main, ctx, params) {
    return params.tab === 'explore' ? renderExplore(main, ctx) : renderSearch(main, ctx, params);
  },
};

// ---------------------------------------------------------------- statuses

/**
 * The shared status card when it can be loaded, else a plain rendering that keeps the names
 * the rest of the app relies on (an article "Post by @acct" with class status).
 */
let cardModule = null;
function statusModule() {
  if (!cardModule) cardModule = import('../components/status.js').catch(() => ({}));
  return cardModule;
}

async function statusRenderer() {
  const mod = await statusModule();
  return typeof mod.statusCard === 'function' ? (ctx, status) => mod.statusCard(status, ctx) : plainStatus;
}

/** Keeps the cards' counts live while the view is open; returns the unsubscriber. */
function followStatuses(ctx) {
  let off = null;
  let stopped = false;
  statusModule().then((mod) => {
    if (!stopped && typeof mod.followLiveStatuses === 'function') off = mod.followLiveStatuses(ctx.stream);
  });
  return () => {
    stopped = true;
    off?.();
  };
}

function plainStatus(ctx, status) {
  const shown = status.reblog || status;
  const a = shown.account;
  return h(
    'article',
    { class: 'status', dataset: { id: shown.id }, 'aria-label': `Post by @${a.acct}` },
    h(
      'header',
      { class: 'status-header' },
      h('img', { src: a.avatar, alt: '', class: 'avatar avatar-small' }),
      h('a', { href: `/@${a.acct}` }, a.display_name || a.username),
      h('span', { class: 'acct' }, ` @${a.acct}`),
    ),
    shown.spoiler_text ? h('p', { class: 'status-cw' }, shown.spoiler_text) : null,
    h('div', { class: 'status-content' }, sanitize(shown.content || '')),
    h('a', { href: `/@${a.acct}/${shown.id}`, class: 'status-time' }, new Date(shown.created_at).toLocaleString()),
  );
}

async function statusList(ctx, statuses) {
  const card = await statusRenderer();
  return h(
    'div',
    { class: 'feed', role: 'feed', 'aria-busy': 'false' },
    statuses.map((s) => {
      try {
        return card(ctx, s);
      } catch (err) {
        console.error('status card failed', err);
        return plainStatus(ctx, s);
      }
    }),
  );
}

// ---------------------------------------------------------------- hashtags

/** Mastodon's history comes today first, numbers as strings: oldest first, as numbers. */
function week(tag) {
  return (tag.history || [])
    .slice()
    .reverse()
    .map((d) => ({ day: Number(d.day), uses: Number(d.uses) || 0, accounts: Number(d.accounts) || 0 }));
}

/** A tiny line of the week's uses, oldest to newest; the numbers are its text alternative. */
function sparkline(days, name) {
  const width = 80;
  const height = 24;
  const max = Math.max(1, ...days.map((d) => d.uses));
  const step = days.length > 1 ? width / (days.length - 1) : width;
  const points = days.map((d, i) => `${(i * step).toFixed(1)},${(height - 2 - (d.uses / max) * (height - 4)).toFixed(1)}`);
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('class', 'sparkline');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `#${name}, uses over the last ${days.length} days: ${days.map((d) => d.uses).join(', ')}`);
  const area = document.createElementNS(SVG, 'polygon');
  area.setAttribute('points', `0,${height} ${points.join(' ')} ${width},${height}`);
  area.setAttribute('class', 'sparkline-area');
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', points.join(' '));
  line.setAttribute('class', 'sparkline-line');
  svg.append(area, line);
  return svg;
}

/** Follow / Unfollow for a hashtag (only when signed in: `following` is absent otherwise). */
function tagFollowToggle(ctx, tag) {
  if (!ctx.account || tag.following === undefined) return null;
  return tagFollowButton(ctx, tag.name, tag.following, { className: 'button tag-follow', named: true });
}

function tagItem(ctx, tag) {
  const days = week(tag);
  const uses = days.reduce((n, d) => n + d.uses, 0);
  const today = days.at(-1) || { uses: 0, accounts: 0 };
  const people = Math.max(today.accounts, 0);
  return h(
    'li',
    { class: 'tag-item' },
    h(
      'div',
      { class: 'tag-names' },
      h('a', { href: `/tags/${encodeURIComponent(tag.name)}`, class: 'tag-link' }, `#${tag.name}`),
      h(
        'span',
        { class: 'muted tag-figures' },
        `${uses} ${uses === 1 ? 'post' : 'posts'} this week · ${people} ${people === 1 ? 'person' : 'people'} today`,
      ),
    ),
    days.length ? sparkline(days, tag.name) : null,
    tagFollowToggle(ctx, tag),
  );
}

// ---------------------------------------------------------------- search

function renderSearch(main, ctx, params) {
  const initial = params.query?.get('q') || '';
  const input = h('input', {
    id: 'search-box',
    class: 'input',
    type: 'search',
    name: 'q',
    value: initial,
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'People, #hashtags, words',
  });
  const status = h('p', { class: 'search-status muted', role: 'status', 'aria-live': 'polite' });
  const results = h('div', { class: 'search-results' });
  const form = h(
    'form',
    { role: 'search', class: 'search-form', onsubmit: (e) => (e.preventDefault(), run()) },
    h('label', { for: 'search-box', class: 'visually-hidden' }, 'Search'),
    input,
  );
  replace(main, h('div', { class: 'view-pad search-view' }, h('h1', {}, 'Search'), form, status, results));

  let seq = 0;
  let timer = null;
  async function run() {
    clearTimeout(timer);
    const q = input.value.trim();
    const mine = ++seq;
    // The query stays in the address, so that a reload or a shared link shows the same results.
    history.replaceState(history.state, '', q ? `/search?q=${encodeURIComponent(q)}` : '/search');
    if (!q) {
      replace(results);
      status.textContent = '';
      return;
    }
    status.textContent = 'Searching…';
    try {
      const found = await ctx.api.get('/api/v2/search', { q, resolve: 'false', limit: 20 });
      if (mine !== seq) return; // a later query is on its way: its answer wins
      const posts = await statusList(ctx, found.statuses);
      if (mine !== seq) return;
      const n = found.accounts.length + found.hashtags.length + found.statuses.length;
      status.textContent = n ? `${n} ${n === 1 ? 'result' : 'results'}` : 'Nothing found.';
      replace(
        results,
        section('Accounts', found.accounts, () =>
          h('ul', { class: 'account-list' }, found.accounts.map((a) => h('li', {}, accountRow(ctx, a)))),
        ),
        section('Hashtags', found.hashtags, () => h('ul', { class: 'tag-list' }, found.hashtags.map((t) => tagItem(ctx, t)))),
        section('Posts', found.statuses, () => posts),
      );
    } catch (err) {
      if (mine === seq) {
        status.textContent = '';
        replace(results, h('p', { role: 'alert' }, err.message));
      }
    }
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(run, DEBOUNCE_MS);
  });
  if (initial) run();
  input.focus();
  const unfollow = followStatuses(ctx);
  return () => {
    unfollow();
    clearTimeout(timer);
    seq += 1; // answers still on their way are dropped
  };
}

function section(title, items, body) {
  const id = `results-${title.toLowerCase()}`;
  return h(
    'section',
    { class: 'search-section', 'aria-labelledby': id },
    h('h2', { id }, title),
    items.length ? body() : h('p', { class: 'muted' }, `No ${title.toLowerCase()} found.`),
  );
}

// ---------------------------------------------------------------- explore

function renderExplore(main, ctx) {
  const tagList = h('ol', { class: 'tag-list trending-tags' });
  const posts = h('div', { class: 'trending-posts' });
  replace(
    main,
    h(
      'div',
      { class: 'view-pad explore-view' },
      h('h1', {}, 'Explore'),
      h('section', { 'aria-labelledby': 'trending-tags' }, h('h2', { id: 'trending-tags' }, 'Trending hashtags'), tagList),
      h('section', { 'aria-labelledby': 'trending-posts' }, h('h2', { id: 'trending-posts' }, 'Trending posts'), posts),
    ),
  );

  let tags = [];
  const drawTags = () =>
    replace(
      tagList,
      tags.length ? tags.map((t) => tagItem(ctx, t)) : h('li', { class: 'muted' }, 'Nothing is trending right now.'),
    );
  const loadTags = async () => {
    try {
      tags = await ctx.api.get('/api/v1/trends/tags', { limit: 10 });
      drawTags();
    } catch (err) {
      replace(tagList, h('li', { role: 'alert' }, err.message));
    }
  };
  const loadPosts = async () => {
    try {
      const list = await ctx.api.get('/api/v1/trends/statuses', { limit: 20 });
      replace(posts, list.length ? await statusList(ctx, list) : h('p', { class: 'muted' }, 'No posts are trending right now.'));
    } catch (err) {
      replace(posts, h('p', { role: 'alert' }, err.message));
    }
  };
  replace(tagList, h('li', { class: 'loading' }, 'Loading…'));
  replace(posts, h('p', { class: 'loading' }, 'Loading…'));
  loadTags();
  loadPosts();

  const stops = [followStatuses(ctx)];
  if (ctx.stream) {
    stops.push(ctx.stream.subscribe('public:local'));
    stops.push(
      // The signal is the same for everyone; fetching the list again brings whether the reader
      // follows each tag as well.
      ctx.stream.on('trends', () => loadTags()),
    );
  } else {
    const timer = setInterval(loadTags, TRENDS_POLL_MS);
    stops.push(() => clearInterval(timer));
  }
  return () => stops.forEach((stop) => stop());
}
