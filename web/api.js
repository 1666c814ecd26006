// The one way the app talks to the server: JSON over /admin/api/ (docs/ADMIN.md "Routes").
// Every failure becomes an ApiError whose message a person can act on; the CSRF token from the
// session rides on every state-changing request.

let csrfToken = '';
let onSignedOut = () => {};

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export function setCsrfToken(token) { csrfToken = token || ''; }
export function onUnauthorized(callback) { onSignedOut = callback; }

export function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== '') q.set(key, String(value));
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}

async function errorFrom(response) {
  let body = null;
  try { body = await response.json(); } catch { /* not JSON */ }
  let message = body && typeof body.error === 'string' ? body.error : '';
  if (!message) {
    message = response.status === 413 ? 'the file is larger than the server accepts'
      : response.status >= 500 ? `the server failed (HTTP ${response.status}); try again`
        : `the request was refused (HTTP ${response.status})`;
  }
  if (response.status === 429) {
    const after = Number(response.headers.get('Retry-After'));
    if (after > 0 && !/try again/i.test(message)) message += ` — try again in ${Math.ceil(after / 60)} minute${after > 60 ? 's' : ''}`;
  }
  return new ApiError(response.status, message, body);
}

// api('GET', '/members', {query: {q: 'ann'}}) → the parsed JSON (null for 204).
// options.body: an object (sent as JSON), or a Blob/File/FormData/string sent as it is with
// options.contentType. options.signal: an AbortSignal.
export async function api(method, path, options = {}) {
  const headers = { Accept: 'application/json' };
  let body;
  if (options.body instanceof Blob || options.body instanceof FormData || typeof options.body === 'string') {
    body = options.body;
    if (options.contentType) headers['Content-Type'] = options.contentType;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] = 'application/json';
  }
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken;
  let response;
  try {
    response = await fetch(`/admin/api${path}${query(options.query)}`, {
      method, headers, body, credentials: 'same-origin', signal: options.signal,
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, 'the server cannot be reached: check the connection and try again', null);
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && path !== '/session') onSignedOut(error);
    throw error;
  }
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  if (type.startsWith('application/json')) return response.json();
  return response.text();
}
