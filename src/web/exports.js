// Take the program elsewhere: a calendar (.ics) at the days and time chosen
// here, a sheet (.csv), and the JSON with the request it was written for.

import { download, saveBlob } from './api.js';
import { el, setText, shortId } from './lib.js';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
// The server's default spread for n sessions a week (programs/exports.py SPREAD).
const SPREAD = {
  1: ['mon'], 2: ['mon', 'thu'], 3: ['mon', 'wed', 'fri'], 4: ['mon', 'tue', 'thu', 'fri'],
  5: ['mon', 'tue', 'wed', 'fri', 'sat'], 6: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'], 7: WEEKDAYS,
};

const pad = (n) => String(n).padStart(2, '0');
const isoDate = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

function nextMonday() {
  const d = new Date();
  d.setDate(d.getDate() + (((8 - d.getDay()) % 7) || 7));
  return isoDate(d);
}

const fileBase = (job) => `${(job.result.title || 'program').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'program'}-${shortId(job.id)}`;

function field(id, label, input, hint) {
  return el('div', { class: 'field' },
    el('label', { for: id }, label), input,
    hint ? el('p', { class: 'small', id: `${id}-hint` }, hint) : null,
    el('p', { class: 'field-error', id: `${id}-error`, hidden: true }));
}

function zoneInput() {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const list = el('datalist', { id: 'ics-zones' }, ...zones.map((zone) => el('option', { value: zone })));
  const input = el('input', {
    id: 'ics-tz', name: 'tz', type: 'text', list: 'ics-zones', autocomplete: 'off', spellcheck: 'false',
    value: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC', 'aria-describedby': 'ics-tz-hint ics-tz-error',
  });
  return [input, list];
}

function weekdayBoxes(count) {
  const chosen = new Set(SPREAD[count] ?? []);
  return el('fieldset', { class: 'weekdays', 'aria-describedby': 'ics-days-hint ics-days-error' },
    el('legend', {}, `Training days (${count} a week)`),
    ...WEEKDAYS.map((day, i) => el('label', {},
      el('input', { type: 'checkbox', name: 'days', value: day, checked: chosen.has(day) }),
      el('span', { 'aria-hidden': 'true' }, DAY_NAMES[i].slice(0, 3)),
      el('span', { class: 'sr-only' }, DAY_NAMES[i]))),
    el('p', { class: 'small', id: 'ics-days-hint' }, 'Sessions go on these days, in order.'),
    el('p', { class: 'field-error', id: 'ics-days-error', hidden: true }));
}

// Where a 422 from the calendar route belongs: its detail starts with the option's name.
function showError(form, text) {
  const option = /^(start|days|time|tz):/.exec(text)?.[1];
  const box = form.querySelector(option ? `#ics-${option}-error` : '.export-error');
  setText(box, text);
  form.querySelector(option ? `#ics-${option}` : 'button')?.focus();
}

function clearErrors(form) {
  form.querySelectorAll('.field-error').forEach((box) => setText(box, ''));
}

async function calendar(event, job) {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const count = job.result.weeks[0].sessions.length;
  const days = [...form.querySelectorAll('input[name=days]:checked')].map((box) => box.value);
  if (days.length !== count) {
    setText(form.querySelector('#ics-days-error'), `Tick ${count} days: one for each session of a week (${days.length} ticked).`);
    form.querySelector('input[name=days]').focus();
    return;
  }
  const params = new URLSearchParams({
    start: form.elements.start.value, days: days.join(','), time: form.elements.time.value, tz: form.elements.tz.value.trim(),
  });
  const problem = await download(`api/programs/jobs/${job.id}/program.ics?${params}`, `${fileBase(job)}.ics`);
  if (problem) showError(form, problem);
}

async function csv(job, form) {
  clearErrors(form);
  const problem = await download(`api/programs/jobs/${job.id}/program.csv`, `${fileBase(job)}.csv`);
  if (problem) showError(form, problem);
}

// The JSON is built here: the request as asked and the program as written.
function json(job) {
  const text = JSON.stringify({ request: job.request, program: job.result }, null, 2);
  saveBlob(new Blob([text], { type: 'application/json' }), `${fileBase(job)}.json`);
}

export function renderExports(job) {
  const count = job.result.weeks[0].sessions.length;
  const form = el('form', { class: 'export-form', novalidate: true },
    el('div', { class: 'export-grid' },
      field('ics-start', 'First week starts', el('input', {
        id: 'ics-start', name: 'start', type: 'date', value: nextMonday(), required: true, 'aria-describedby': 'ics-start-error',
      })),
      field('ics-time', 'Time', el('input', {
        id: 'ics-time', name: 'time', type: 'time', value: '18:00', required: true, 'aria-describedby': 'ics-time-error',
      })),
      field('ics-tz', 'Time zone', zoneInput(), 'A name such as Europe/Paris.')),
    weekdayBoxes(count),
    el('p', { class: 'field-error export-error', role: 'alert', hidden: true }),
    el('div', { class: 'actions' },
      el('button', { type: 'submit', class: 'primary' }, 'Download calendar (.ics)'),
      el('button', { type: 'button', onclick: () => csv(job, form) }, 'Download sheet (.csv)'),
      el('button', { type: 'button', onclick: () => json(job) }, 'Download JSON')));
  form.addEventListener('submit', (event) => calendar(event, job));
  form.addEventListener('input', (event) => {
    const box = form.querySelector(`#ics-${event.target.name}-error`);
    if (box) setText(box, '');
  });
  return el('section', { class: 'block exports no-print', id: 'program-exports', 'aria-labelledby': 'exports-heading', tabindex: '-1' },
    el('h3', { id: 'exports-heading' }, 'Calendar and files'),
    el('p', { class: 'small' }, 'Put every session in your calendar, or take the program to a spreadsheet.'),
    form);
}
