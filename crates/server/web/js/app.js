// The app shell: navigation, the account switcher, the connection state, the notification
// badge, and the main region where the routed view renders. Views live in views/*.js, each a
// module whose default export is {title, render(main, ctx, params)}; render may return a
// cleanup function, called when the view is left.

import * as accounts from './accounts.js';
import { h, replace, toast } from './dom.js';
import { match, navigate, route, start } from './router.js';
import { Stream } from './stream.js';

/** Lazily loaded views, by module name under views/. */
const view = (name, params = {}) => ({ name, params });

route('/', () => (accounts.current() ? view('timeline', { kind: 'home' }) : view('signin', { mode: 'signin' })));
route('/home', () => view('timeline', { kind: 'home' }));
route('/local', () => view('timeline', { kind: 'local' }));
route('/public', () => view('timeline', { kind: 'public' }));
route('/tags/:name', (p) => view('timeline', { kind: 'tag', ...p }));
route('/@:acct', (p) => view('profile', { ...p, tab: 'statuses' }));
route('/@:acct/followers', (p) => view('profile', { ...p, tab: 'followers' }));
route('/@:acct/following', (p) => view('profile', { ...p, tab: 'following' }));
route('/@:acct/:id', (p) => view('thread', p));
route('/statuses/:id', (p) => view('thread', p));
route('/notifications', () => view('notifications'));
route('/chats', () => view('chats'));
route('/chats/:id', (p) => view('chats', p));
route('/stories/:account', (p) => view('stories', p));
route('/search', () => view('search', { tab: 'search' }));
route('/explore', () => view('search', { tab: 'explore' }));
route('/stats', () => view('stats'));
route('/signin', () => view('signin', { mode: 'signin' }));
route('/signup', () => view('signin', { mode: 'signup' }));
route('/settings', () => view('settings'));

/** What every view gets. `stream` is the current account's live connection (null if none). */
const ctx = {
  get account() {
    return accounts.current();
  },
  get api() {
    return accounts.api();
  },
  stream: null,
  navigate,
  toast,
  badges: {
    counts: {},
    set(name, n) {
      this.counts[name] = n;
      renderBadges();
    },
    add(name, n = 1) {
      this.set(name, (this.counts[name] || 0) + n);
    },
  },
};
window.starling = ctx; // for the console and the browser tests

let cleanup = null;
let currentView = null;
const shell = {};

function renderBadges() {
  for (const [name, n] of Object.entries(ctx.badges.counts)) {
    const badge = shell.nav?.querySelector(`[data-badge="${name}"]`);
    if (!badge) continue;
    badge.textContent = n > 0 ? String(n > 99 ? '99+' : n) : '';
    badge.hidden = !(n > 0);
    badge.setAttribute('aria-label', `${n} unread`);
  }
}

function navLink(path, label, badge) {
  return h(
    'a',
    { href: path, class: 'nav-link', dataset: { path } },
    h('span', { class: 'nav-label' }, label),
    badge ? h('span', { class: 'badge', hidden: true, dataset: { badge } }) : null,
  );
}

function renderNav() {
  const me = accounts.current();
  const links = me
    ? [
        navLink('/home', 'Home'),
        navLink('/local', 'Local'),
        navLink('/public', 'Public'),
        navLink('/notifications', 'Notifications', 'notifications'),
        navLink('/chats', 'Chats', 'chats'),
        navLink('/search', 'Search'),
        navLink('/explore', 'Explore'),
        navLink(`/@${me.acct}`, 'Profile'),
        navLink('/stats', 'Stats'),
      ]
    : [navLink('/public', 'Public'), navLink('/explore', 'Explore'), navLink('/stats', 'Stats'), navLink('/signin', 'Sign in')];
  replace(shell.nav, h('ul', {}, links.map((a) => h('li', {}, a))));
  renderBadges();
  markCurrentLink();
}

function markCurrentLink() {
  for (const a of shell.nav.querySelectorAll('a[data-path]')) {
    if (a.dataset.path === location.pathname) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function renderSwitcher() {
  const me = accounts.current();
  if (!me) {
    replace(shell.switcher);
    return;
  }
  const others = accounts.accounts().filter((a) => a.id !== me.id);
  const menu = h(
    'div',
    { class: 'menu', role: 'menu', hidden: true, id: 'account-menu' },
    others.map((a) =>
      h('button', { role: 'menuitem', class: 'menu-item', onclick: () => accounts.switchTo(a.id) }, `Switch to @${a.acct}`),
    ),
    h('button', { role: 'menuitem', class: 'menu-item', onclick: () => navigate('/signin') }, 'Add an account'),
    h('button', { role: 'menuitem', class: 'menu-item', onclick: () => navigate('/settings') }, 'Settings'),
    h(
      'button',
      {
        role: 'menuitem',
        class: 'menu-item',
        onclick: async () => {
          await accounts.signOut(me.id);
          navigate(accounts.current() ? '/home' : '/signin');
        },
      },
      `Sign out @${me.acct}`,
    ),
  );
  const toggle = h(
    'button',
    {
      class: 'account-button',
      'aria-haspopup': 'menu',
      'aria-expanded': 'false',
      'aria-controls': 'account-menu',
      'aria-label': `Accounts (signed in as @${me.acct})`,
      onclick: () => {
        const open = menu.hidden;
        menu.hidden = !open;
        toggle.setAttribute('aria-expanded', String(open));
        if (open) menu.querySelector('button')?.focus();
      },
    },
    h('img', { src: me.avatar, alt: '', class: 'avatar avatar-small' }),
    h('span', { class: 'account-name' }, `@${me.acct}`),
  );
  menu.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      menu.hidden = true;
      toggle.setAttribute('aria-expanded', 'false');
      toggle.focus();
    }
  });
  replace(shell.switcher, toggle, menu);
}

function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  localStorage.setItem('starling.theme', theme);
  shell.theme.textContent = theme === 'dark' ? 'Light theme' : 'Dark theme';
  shell.theme.setAttribute('aria-pressed', String(theme === 'dark'));
}

/** Opens the current account's live connection (closing any other) and watches it. */
function connect() {
  ctx.stream?.close();
  ctx.stream = null;
  const me = accounts.current();
  if (!me) {
    replace(shell.connection, '');
    return;
  }
  const stream = new Stream(me.token, me.id);
  ctx.stream = stream;
  stream.onState((state) => {
    const label = { live: 'Live', connecting: 'Connecting…', offline: 'Offline, reconnecting…' }[state];
    shell.connection.dataset.state = state;
    replace(shell.connection, label);
  });
  stream.on('notification', () => {
    if (location.pathname !== '/notifications') ctx.badges.add('notifications');
  });
  stream.on('chat.message', (message) => {
    if (!location.pathname.startsWith('/chats') && message?.account?.id !== me.id) ctx.badges.add('chats');
  });
  ctx.api
    .get('/api/v1/notifications/unread_count')
    .then((r) => ctx.badges.set('notifications', r.count || 0))
    .catch(() => {});
}

async function render(path, query) {
  if (path === '/callback') {
    try {
      await accounts.completeSignIn();
      navigate('/home', { replace: true });
    } catch (err) {
      toast(err.message, 'error');
      navigate('/signin', { replace: true });
    }
    return;
  }
  const found = match(path);
  if (cleanup) {
    try {
      cleanup();
    } catch (err) {
      console.error(err);
    }
    cleanup = null;
  }
  markCurrentLink();
  const main = shell.main;
  if (!found) {
    replace(main, h('h1', {}, 'Not found'), h('p', {}, 'There is nothing at this address.'));
    document.title = 'Not found · Starling';
    return;
  }
  const { name, params } = found.handler(found.params, path);
  if (['notifications'].includes(name)) ctx.badges.set('notifications', 0);
  if (name === 'chats') ctx.badges.set('chats', 0);
  const token = Symbol(path);
  currentView = token;
  let module;
  try {
    module = (await import(`./views/${name}.js`)).default;
  } catch (err) {
    console.error(err);
    replace(main, h('h1', {}, 'Unavailable'), h('p', {}, `This part of Starling could not be loaded (${name}).`));
    return;
  }
  if (currentView !== token) return;
  replace(main);
  document.title = `${typeof module.title === 'function' ? module.title(params) : module.title} · Starling`;
  try {
    const done = (await module.render(main, ctx, { ...params, query })) || null;
    // Left while this view was still rendering: the next one has taken over, so this one's
    // cleanup runs now instead of overwriting (and losing) the next one's.
    if (currentView !== token) {
      done?.();
      return;
    }
    cleanup = done;
  } catch (err) {
    console.error(err);
    replace(main, h('h1', {}, 'Something went wrong'), h('p', { role: 'alert' }, err.message));
  }
  main.focus({ preventScroll: true });
}

function boot() {
  const app = document.getElementById('app');
  shell.nav = h('nav', { class: 'nav', 'aria-label': 'Main' });
  shell.switcher = h('div', { class: 'switcher' });
  shell.connection = h('span', { class: 'connection', role: 'status', 'aria-live': 'polite' });
  shell.theme = h('button', {
    class: 'theme-toggle',
    onclick: () => applyTheme(document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark'),
  });
  shell.main = h('main', { id: 'main', tabindex: '-1' });
  const header = h(
    'header',
    { class: 'topbar' },
    h('a', { href: '/', class: 'brand' }, 'Starling'),
    shell.connection,
    shell.theme,
    shell.switcher,
  );
  replace(
    app,
    h('a', { href: '#main', class: 'skip-link', onclick: (e) => (e.preventDefault(), shell.main.focus()) }, 'Skip to content'),
    header,
    h('div', { class: 'layout' }, shell.nav, shell.main),
  );
  app.removeAttribute('aria-live');
  const theme =
    localStorage.getItem('starling.theme') || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
  applyTheme(theme);
  renderNav();
  renderSwitcher();
  connect();
  accounts.onChange(() => {
    renderNav();
    renderSwitcher();
    connect();
    // The same view, as the newly current account sees it.
    render(location.pathname, new URLSearchParams(location.search));
  });
  start(render);
  preloadViews();
}

/** Every view, so that each screen opens at once and none has to be fetched later, when the
 * network may be gone: a browser remembers a module that failed to load as failed until the
 * page is reloaded. */
const VIEWS = ['timeline', 'thread', 'profile', 'notifications', 'signin', 'settings', 'stories', 'chats', 'search', 'stats'];

function preloadViews() {
  setTimeout(() => {
    for (const name of VIEWS) import(`./views/${name}.js`).catch(() => {});
  }, 0);
}

boot();
