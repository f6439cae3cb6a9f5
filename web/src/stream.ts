/** The live stream (WebSocket): reconnects with backoff and starts every connection with a full
 * snapshot, so nothing is missed across a drop. It authenticates by the HttpOnly session cookie,
 * which the browser sends on this same-origin connection; no token ever goes into the URL (the
 * server refuses `?token=` and foreign origins). Clients without the cookie use a single-use
 * ticket instead: `POST /api/v1/auth/stream-ticket`, then `?ticket=...` (docs/security.md). */

import type { StreamMessage, StreamNotice } from './types';

export interface StreamHandlers {
  onMessage(message: StreamMessage): void;
  /** Alerts, advice or sources changed on the server (any worker): reread them now. */
  onNotice(notice: StreamNotice): void;
  onState(state: 'live' | 'reconnecting'): void;
}

export function openStream(site: string, handlers: StreamHandlers): () => void {
  let socket: WebSocket | null = null;
  let attempt = 0;
  let stopped = false;
  let timer: number | undefined;

  const connect = (): void => {
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocket(`${scheme}://${window.location.host}/api/v1/sites/${encodeURIComponent(site)}/zones/stream`);
    socket.onmessage = (event: MessageEvent<string>) => {
      attempt = 0;
      const message = JSON.parse(event.data) as StreamMessage | StreamNotice;
      if (message.type === 'changed') handlers.onNotice(message);
      else handlers.onMessage(message);
    };
    socket.onclose = () => {
      if (stopped) return;
      handlers.onState('reconnecting');
      const delay = Math.min(30_000, 1000 * 2 ** attempt);
      attempt += 1;
      timer = window.setTimeout(connect, delay);
    };
  };
  connect();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
    socket?.close();
  };
}
