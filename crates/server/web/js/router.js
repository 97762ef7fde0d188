// Client-side routing with the History API: the server answers every client path with the
// same page (see `web.rs`), and links within the app are followed here without a reload.

const routes = [];
let onRoute = () => {};

/** Registers a route: `pattern` like '/tags/:name' or '/@:acct/:id'; handler(params, path). */
export function route(pattern, handler) {
  const names = [];
  const source = pattern
    .split('/')
    .map((part) => {
      if (part.startsWith(':')) {
        names.push(part.slice(1));
        return '([^/]+)';
      }
      const at = part.indexOf(':');
      if (at > 0) {
        // '@:acct': a literal prefix, then a parameter
        names.push(part.slice(at + 1));
        return part.slice(0, at).replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '([^/]+)';
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  routes.push({ regex: new RegExp(`^${source}/?$`), names, handler });
}

/** The handler and params for a path, or null. */
export function match(path) {
  for (const r of routes) {
    const m = path.match(r.regex);
    if (m) {
      const params = {};
      r.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1])));
      return { handler: r.handler, params };
    }
  }
  return null;
}

/** Goes to `path` (pushing history unless `replace`). */
export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState({}, '', path);
  else history.pushState({}, '', path);
  onRoute(location.pathname, new URLSearchParams(location.search));
}

/** Starts routing: calls `render(path, query)` now and on every navigation. */
export function start(render) {
  onRoute = render;
  window.addEventListener('popstate', () => onRoute(location.pathname, new URLSearchParams(location.search)));
  // Same-origin links are followed in the app, unless they leave it (API, files) or ask not to.
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = e.target.closest('a[href]');
    if (!a || a.target === '_blank' || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin) return;
    if (/^\/(api|oauth|system|web|metrics|avatars|headers)\//.test(url.pathname)) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  });
  onRoute(location.pathname, new URLSearchParams(location.search));
}
