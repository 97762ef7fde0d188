// The Mastodon client API, as the web client uses it: JSON in and out, bearer tokens, errors
// as ApiError with the server's message, lists with their Link header cursors.

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** Parses `Link: <url>; rel="next", <url>; rel="prev"` into {next, prev} (URLs or null). */
export function parseLink(header) {
  const out = { next: null, prev: null };
  for (const part of (header || '').split(',')) {
    const m = part.match(/<([^>]+)>;\s*rel="(next|prev)"/);
    if (m) out[m[2]] = m[1];
  }
  return out;
}

export class Api {
  /** token: a user's access token, or null for anonymous calls. */
  constructor(token = null) {
    this.token = token;
  }

  async request(method, path, { body, query, form, headers = {} } = {}) {
    let url = path;
    if (query) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) {
        if (v === undefined || v === null || v === '') continue;
        if (Array.isArray(v)) v.forEach((item) => params.append(`${k}[]`, item));
        else params.append(k, String(v));
      }
      const qs = params.toString();
      if (qs) url += (url.includes('?') ? '&' : '?') + qs;
    }
    const init = { method, headers: { Accept: 'application/json', ...headers } };
    if (this.token) init.headers.Authorization = `Bearer ${this.token}`;
    if (form) {
      init.body = form; // FormData: the browser sets the multipart boundary
    } else if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = text;
    }
    if (!response.ok) {
      const message = (data && (data.error_description || data.error)) || `${response.status} ${response.statusText}`;
      throw new ApiError(response.status, message, data);
    }
    return { data, link: parseLink(response.headers.get('Link')), response };
  }

  async get(path, query) {
    return (await this.request('GET', path, { query })).data;
  }

  /** A list with its paging: {items, next, prev} (next/prev are URLs to pass to page()). */
  async list(path, query) {
    const { data, link } = await this.request('GET', path, { query });
    return { items: data || [], next: link.next, prev: link.prev };
  }

  /** Follows a `next`/`prev` URL from list(). */
  async page(url) {
    const u = new URL(url, location.href);
    return this.list(u.pathname + u.search);
  }

  async post(path, body = {}, headers = {}) {
    return (await this.request('POST', path, { body, headers })).data;
  }

  async put(path, body = {}) {
    return (await this.request('PUT', path, { body })).data;
  }

  async patch(path, body = {}) {
    return (await this.request('PATCH', path, { body })).data;
  }

  async del(path) {
    return (await this.request('DELETE', path)).data;
  }

  /** Multipart upload (media): `fields` is an object of strings or Blobs. */
  async upload(path, fields) {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null) form.append(k, v);
    return (await this.request('POST', path, { form })).data;
  }
}
