/** The API as the browser sees it: same origin, the session cookie from the /login form, and the
 * CSRF token (the readable csm_csrf cookie) echoed in a header on every change. */

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export function cookie(name: string, source: string = document.cookie): string | null {
  for (const part of source.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return null;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    headers['X-CSRF-Token'] = cookie('csm_csrf') ?? '';
  }
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    window.location.assign('/login');
    throw new ApiError(401, 'login required');
  }
  if (!response.ok) {
    let detail = response.statusText;
    try {
      detail = ((await response.json()) as { detail?: string }).detail ?? detail;
    } catch {
      // not JSON: keep the status text
    }
    throw new ApiError(response.status, detail);
  }
  return (await response.json()) as T;
}

export const getJson = <T>(path: string): Promise<T> => request<T>('GET', path);
export const postJson = <T>(path: string, body: unknown): Promise<T> => request<T>('POST', path, body);

export function siteUrl(site: string, rest = ''): string {
  return `/api/v1/sites/${encodeURIComponent(site)}${rest}`;
}

// -- training (web/src/training*.ts): the sandbox sessions' routes --------------------------------
export const deleteJson = <T>(path: string): Promise<T> => request<T>('DELETE', path);

export function trainingUrl(session: string, rest = ''): string {
  return `/api/v1/training/sessions/${encodeURIComponent(session)}${rest}`;
}

/** A change whose refusal the caller shows in detail (a 422's `problems`): the status and the parsed
 * body, not an exception. 401 still goes to the login page. */
export async function postForAnswer(path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(path, {
    method: 'POST', credentials: 'same-origin', body: JSON.stringify(body),
    headers: { Accept: 'application/json', 'Content-Type': 'application/json', 'X-CSRF-Token': cookie('csm_csrf') ?? '' },
  });
  if (response.status === 401) {
    window.location.assign('/login');
    throw new ApiError(401, 'login required');
  }
  let parsed: unknown = null;
  try {
    parsed = await response.json();
  } catch {
    parsed = { detail: response.statusText };
  }
  return { status: response.status, body: parsed };
}
