// The live connection: one WebSocket per signed-in account, multiplexing the user stream and
// whatever public or hashtag streams the open view asks for. It reconnects by itself with
// backoff, and resumes the user stream from the last event it saw (`last_event_id`), so that
// nothing is lost across a network drop or a server restart; events seen twice are dropped by
// their id. Signals (typing, presence, trends) carry no id and are never replayed.

const MAX_BACKOFF_MS = 15000;

export class Stream {
  /** token: the account's access token; key: where the last event id is kept (per account). */
  constructor(token, key) {
    this.token = token;
    this.key = `starling.last-event.${key}`;
    this.handlers = new Map(); // event name (or '*') -> Set of fn(payload, message)
    this.extra = new Map(); // "stream|tag" -> {stream, tag} subscribed besides `user`
    this.state = 'connecting';
    this.stateHandlers = new Set();
    this.backoff = 500;
    this.closed = false;
    this.seen = new Set();
    this.connect();
  }

  /** The id of the last stored event received, or null. */
  get lastEventId() {
    return sessionStorage.getItem(this.key);
  }

  connect() {
    if (this.closed) return;
    this.setState('connecting');
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const params = new URLSearchParams({ stream: 'user', access_token: this.token });
    if (this.lastEventId) params.set('last_event_id', this.lastEventId);
    const socket = new WebSocket(`${scheme}://${location.host}/api/v1/streaming?${params}`);
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.backoff = 500;
      this.setState('live');
      for (const { stream, tag } of this.extra.values()) this.send({ type: 'subscribe', stream, tag });
    });
    socket.addEventListener('message', (e) => this.receive(e.data));
    socket.addEventListener('close', () => {
      if (this.socket !== socket) return;
      this.setState('offline');
      if (this.closed) return;
      const wait = this.backoff;
      this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
      this.retry = setTimeout(() => this.connect(), wait);
    });
    socket.addEventListener('error', () => socket.close());
  }

  receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.error) return;
    const id = message.event_id;
    if (id !== undefined && id !== null) {
      // One event can reach several of the multiplexed streams (a followed hashtag's post on
      // both `user` and `hashtag`): each stream's copy counts, only a replay is a duplicate.
      const seenKey = `${(message.stream || []).join(':')}|${id}`;
      if (this.seen.has(seenKey)) return; // replayed after a reconnect: already handled
      this.seen.add(seenKey);
      if (this.seen.size > 5000) this.seen = new Set([...this.seen].slice(-2500));
      // Only the user stream is resumed; public streams start afresh on reconnect.
      if ((message.stream || [])[0] === 'user') sessionStorage.setItem(this.key, id);
    }
    if (message.event === 'resync') {
      // Too much was missed to replay: views refetch what they show.
      sessionStorage.setItem(this.key, message.event_id);
    }
    let payload = message.payload;
    if (typeof payload === 'string' && /^[[{]/.test(payload)) {
      try {
        payload = JSON.parse(payload);
      } catch {
        // a plain string payload (a deleted status's id)
      }
    }
    for (const name of [message.event, '*']) {
      for (const fn of this.handlers.get(name) || []) {
        try {
          fn(payload, message);
        } catch (err) {
          console.error('stream handler failed', err);
        }
      }
    }
  }

  send(command) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(command));
  }

  /** Calls fn(payload, message) for each `event` ('*' for all); returns an unsubscriber. */
  on(event, fn) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event).add(fn);
    return () => this.handlers.get(event)?.delete(fn);
  }

  /** Adds a stream (`public`, `public:local`, `hashtag` with a tag …); returns an unsubscriber. */
  subscribe(stream, tag) {
    const key = `${stream}|${tag || ''}`;
    this.extra.set(key, { stream, tag });
    this.send({ type: 'subscribe', stream, tag });
    return () => {
      this.extra.delete(key);
      this.send({ type: 'unsubscribe', stream, tag });
    };
  }

  setState(state) {
    this.state = state;
    this.stateHandlers.forEach((fn) => fn(state));
  }

  /** Calls fn(state) now and whenever the state ('connecting', 'live', 'offline') changes. */
  onState(fn) {
    this.stateHandlers.add(fn);
    fn(this.state);
    return () => this.stateHandlers.delete(fn);
  }

  close() {
    this.closed = true;
    clearTimeout(this.retry);
    this.socket?.close();
  }
}
