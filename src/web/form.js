// The request form: plain-word errors next to each field, with the field's range.

import { api } from './api.js';
import { $, setText, shortId } from './lib.js';
import { filterShows, loadJobs, show } from './jobs.js';

const FIELDS = ['goal', 'experience', 'days_per_week', 'weeks', 'session_minutes', 'equipment', 'notes'];

const fieldInputs = (name) => [...document.getElementsByName(name)];

// The message for a field in words, with the range the form's own min/max give.
function fieldMessage(field, serverMessage) {
  const input = document.getElementById(field);
  if (input?.type === 'number') return `Enter a whole number from ${input.min} to ${input.max}.`;
  if (field === 'notes') return `Keep the notes under ${$('#notes').maxLength} characters.`;
  if (field === 'equipment') return 'Tick at least one: Bodyweight if you have no equipment.';
  return serverMessage;
}

function readForm(form) {
  const f = form.elements;
  const int = (name) => (f[name].value.trim() === '' ? null : Number(f[name].value));
  const body = {
    goal: f.goal.value,
    experience: f.experience.value,
    days_per_week: int('days_per_week'),
    weeks: int('weeks'),
    equipment: [...form.querySelectorAll('input[name=equipment]:checked')].map((box) => box.value),
    notes: f.notes.value,
  };
  if (f.session_minutes.value.trim() !== '') body.session_minutes = int('session_minutes'); // else the default
  return body;
}

function clearFieldError(name) {
  const box = document.getElementById(`err-${name}`);
  if (box) setText(box, '');
  fieldInputs(name).forEach((input) => input.removeAttribute('aria-invalid'));
}

// Show each message next to its field and move focus to the first bad one.
function showFieldErrors(byField, general = []) {
  for (const [field, message] of byField) {
    setText(document.getElementById(`err-${field}`), message);
    fieldInputs(field).forEach((input) => input.setAttribute('aria-invalid', 'true'));
  }
  setText($('#form-error'), general.join(' '));
  const first = FIELDS.find((field) => byField.has(field));
  if (first) fieldInputs(first)[0].focus();
}

// A 422's messages by field (loc[1]); anything else goes to the form's error line.
function serverErrors(res, detail) {
  const byField = new Map();
  const general = [];
  for (const item of Array.isArray(detail) ? detail : []) {
    const loc = item.loc || [];
    if (loc[0] === 'body' && FIELDS.includes(loc[1])) byField.set(loc[1], fieldMessage(loc[1], item.msg));
    else general.push(item.msg);
  }
  if (!Array.isArray(detail)) general.push(typeof detail === 'string' ? detail : `The server answered HTTP ${res.status}.`);
  showFieldErrors(byField, general);
}

async function send(body) {
  const res = await api('api/programs/generate', { method: 'POST', body });
  if (!res.ok) {
    serverErrors(res, await res.json().then((data) => data.detail, () => null));
    return;
  }
  const job = await res.json();
  if (filterShows(job.status)) show(job, { prepend: true });
  else {
    $('#status-filter').value = 'all';
    loadJobs();
  }
  $('#form-status').textContent = `Asked for it: #${shortId(job.id)} is in the list.`;
  setText($('#jobs-status'), '');
}

async function submitForm(event) {
  event.preventDefault();
  FIELDS.forEach(clearFieldError);
  setText($('#form-error'), '');
  const body = readForm(event.target);
  if (!body.equipment.length) {
    showFieldErrors(new Map([['equipment', fieldMessage('equipment')]]));
    return;
  }
  $('#form-status').textContent = 'Sending…';
  $('#submit').disabled = true;
  try {
    await send(body);
  } catch {
    setText($('#form-error'), 'The server could not be reached. Try again.');
    $('#form-status').textContent = '';
  } finally {
    $('#submit').disabled = false;
    if ($('#form-status').textContent === 'Sending…') $('#form-status').textContent = '';
  }
}

export function initForm() {
  const form = $('#request-form');
  const notes = $('#notes');
  form.addEventListener('submit', submitForm);
  form.addEventListener('input', (event) => clearFieldError(event.target.name));
  notes.addEventListener('input', () => {
    const counter = $('#notes-count');
    counter.textContent = `${notes.value.length} / 1000`;
    counter.classList.toggle('near', notes.value.length > 900);
  });
}

// A stale "could not be reached" under the form goes when the server is back.
export const clearReachError = () => {
  if (/could not be reached/.test($('#form-error').textContent)) setText($('#form-error'), '');
};
