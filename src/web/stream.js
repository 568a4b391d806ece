// A job's live updates from GET /api/programs/jobs/{id}/stream (server-sent events),
// read with fetch so the token travels in the Authorization header, as on every other
// request (EventSource cannot send one, and a token in the URL would end up in logs).

import { api } from './api.js';

export const streamsSupported = typeof ReadableStream === 'function'
  && typeof TextDecoderStream === 'function' && typeof AbortController === 'function';

// An SSE parser: feed it text as it arrives; it calls onEvent(name, data) for each event.
export function sseParser(onEvent) {
  let buffer = '';
  let name = '';
  let data = [];
  const line = (text) => {
    if (text === '') {
      if (data.length) onEvent(name || 'message', data.join('\n'));
      name = '';
      data = [];
    } else if (!text.startsWith(':')) { // a comment (the keep-alive) says nothing
      const colon = text.indexOf(':');
      const field = colon < 0 ? text : text.slice(0, colon);
      let value = colon < 0 ? '' : text.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') name = value;
      else if (field === 'data') data.push(value);
    }
  };
  return (chunk) => {
    buffer += chunk;
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop(); // an unfinished line waits for the rest
    lines.forEach(line);
  };
}

// Follow the job's stream, handing each Job to onJob, until it ends. Resolves with
//   'ended'   the server ended it (after a terminal job, or when it shut down),
//   'dropped' the connection failed midway or could not be made,
//   'refused' the answer was no event stream (an error status, a proxy's page),
//   'aborted' `signal` stopped it.
export async function followJob(id, onJob, signal) {
  let res;
  try {
    res = await api(`api/programs/jobs/${id}/stream`, { accept: 'text/event-stream', signal });
  } catch {
    return signal.aborted ? 'aborted' : 'dropped';
  }
  const type = res.headers.get('Content-Type') ?? '';
  if (!res.ok || !type.startsWith('text/event-stream') || !res.body) {
    res.body?.cancel().catch(() => {});
    return 'refused';
  }
  const feed = sseParser((event, data) => { if (event === 'job') onJob(JSON.parse(data)); });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return 'ended';
      feed(value);
    }
  } catch {
    return signal.aborted ? 'aborted' : 'dropped';
  }
}
