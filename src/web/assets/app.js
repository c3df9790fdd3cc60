// printfarm dashboard: reads the JSON API (signed in by the session
// cookie), follows /api/events and sends actions. No framework, no build.
'use strict';
(function () {
  const main = document.getElementById('main');
  const page = main ? main.dataset.page : null;
  const role = main ? main.dataset.role : null;
  const farmRole = role === 'operator' || role === 'technician';
  // Event kinds the farm sends; any of them means "look again".
  const KINDS = ['created', 'claimed', 'started', 'completed', 'failed', 'requeued', 'cancelled',
    'held', 'released', 'paused', 'resumed', 'printer_state', 'order_created', 'rerender',
    'rendered', 'recovered', 'priority', 'lagged'];

  // ---- helpers ---------------------------------------------------------
  // Sign-out waits for requests in flight and starts no new ones, so that
  // none comes back refused by the ended session.
  let leaving = false;
  let inFlight = 0;

  async function api(method, path, body) {
    if (leaving && path !== '/session/end') throw new Error('signed out');
    const options = { method, credentials: 'same-origin', headers: { 'X-Requested-With': 'printfarm' } };
    if (body instanceof FormData) {
      options.body = body;
    } else if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    inFlight += 1;
    let response;
    try { response = await fetch(path, options); } finally { inFlight -= 1; }
    if (response.status === 401) {
      location.assign('/');
      throw new Error('signed out');
    }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
    if (!response.ok) {
      const error = new Error((data && data.error) || response.statusText);
      error.field = data && data.field;
      throw error;
    }
    return data;
  }

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'class') node.className = value;
      else if (name === 'onclick') node.addEventListener('click', value);
      else if (name in node && typeof value !== 'string') node[name] = value;
      else node.setAttribute(name, value === true ? '' : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function say(text) {
    const live = document.getElementById('live');
    if (live) live.textContent = text;
  }

  const short = (id) => (id ? String(id).slice(-6) : '');
  const when = (ms) => (ms ? new Date(ms).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' }) : '—');
  function duration(seconds) {
    if (seconds === null || seconds === undefined || !isFinite(seconds)) return '—';
    const minutes = Math.round(seconds / 60);
    return minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
  }
  function personal(value) {
    if (value === null || value === undefined) return '';
    if (typeof value !== 'object') return String(value);
    return Object.values(value).map(String).join(', ');
  }

  // Runs `work` once now and again whenever asked, never twice at once.
  function refresher(work) {
    let running = false; let again = false; let timer = null;
    async function run() {
      if (running) { again = true; return; }
      running = true;
      try { await work(); } catch (error) { if (error.message !== 'signed out') say(`Could not refresh: ${error.message}`); }
      running = false;
      if (again) { again = false; run(); }
    }
    return function soon() {
      if (timer) return;
      timer = setTimeout(() => { timer = null; run(); }, 80);
    };
  }

  // Follows /api/events; on (re)connection resyncs everything. The
  // `printers` event (every second) goes to `onPrinters` when given.
  function follow(refresh, onPrinters) {
    if (!farmRole) { refresh(); setInterval(refresh, 5000); return; }
    let delay = 1000;
    let source = null;
    // A page left for another (or kept in the back-forward cache) lets its
    // stream go: the browser allows six connections to a host, and streams
    // left open would starve the next page's requests.
    window.addEventListener('pagehide', () => { if (source) source.close(); source = null; });
    window.addEventListener('pageshow', (event) => { if (event.persisted && !source) open(); });
    function open() {
      const stream = new EventSource('/api/events');
      source = stream;
      stream.onopen = () => { delay = 1000; document.body.dataset.stream = 'open'; refresh(); };
      stream.onerror = () => {
        document.body.dataset.stream = 'reconnecting';
        stream.close();
        if (source === stream) source = null;
        setTimeout(() => { if (!source) open(); }, delay);
        delay = Math.min(delay * 2, 15000);
      };
      stream.onmessage = refresh;
      for (const kind of KINDS) stream.addEventListener(kind, refresh);
      stream.addEventListener('printers', onPrinters || refresh);
    }
    refresh();
    open();
  }

  // A button that asks "are you sure?" in place before acting.
  function confirmButton(label, question, act) {
    const holder = el('span', { class: 'confirm' });
    const first = el('button', { type: 'button', class: 'danger' }, label);
    first.addEventListener('click', () => {
      const no = el('button', { type: 'button' }, 'No');
      const yes = el('button', { type: 'button', class: 'danger' }, `Yes, ${label.toLowerCase()}`);
      no.addEventListener('click', () => { holder.replaceChildren(first); first.focus(); });
      yes.addEventListener('click', act);
      holder.replaceChildren(el('span', { class: 'question' }, question), yes, no);
      no.focus();
    });
    holder.append(first);
    return holder;
  }

  // Sends an action and says how it went; true when it was done.
  async function act(method, path, done, body) {
    try { await api(method, path, body); say(done); return true; } catch (error) { say(`Refused: ${error.message}`); return false; }
  }

  // ---- farm ------------------------------------------------------------
  const STATE_WORDS = { offline: 'Offline', idle: 'Idle', assigned: 'Starting', printing: 'Printing',
    paused: 'Paused', awaiting_clear: 'Awaiting bed clear', error: 'Error' };
  const NEEDS_PERSON = { awaiting_clear: 0, error: 1, paused: 2, offline: 3 };
  const HEATERS = { T: 'Nozzle', T0: 'Nozzle', T1: 'Nozzle 2', B: 'Bed', C: 'Chamber' };
  const jobs = new Map();

  function rank(printer) {
    return printer.state in NEEDS_PERSON ? NEEDS_PERSON[printer.state] : 10;
  }

  function printerActions(p, refresh) {
    const name = encodeURIComponent(p.name);
    const post = (action, done) => () => act('POST', `/api/printers/${name}/${action}`, `${p.name}: ${done}`).then(refresh);
    const button = (label, action, done) => el('button', { type: 'button', onclick: post(action, done) }, label);
    const stop = confirmButton('Emergency stop', `Stop ${p.name} now?`, post('stop', 'emergency stop sent'));
    const cancel = confirmButton('Cancel', `Cancel the job on ${p.name}?`, post('cancel', 'job cancelled'));
    const service = p.maintenance && p.maintenance.service_due && !p.job
      ? [button('Service done', 'service', 'service recorded')] : [];
    return service.concat(stateActions(p, button, stop, cancel));
  }

  function stateActions(p, button, stop, cancel) {
    switch (p.state) {
      case 'awaiting_clear': return [button('Bed is clear', 'clear', 'bed cleared')];
      case 'printing': case 'assigned': return [button('Pause', 'pause', 'paused'), cancel, stop];
      case 'paused': return [button('Resume', 'resume', 'resumed'), cancel, stop];
      case 'error': case 'offline': {
        const list = [button('Reset', 'reset', 'reset sent')];
        if (p.bed_full_since) list.unshift(button('Bed is clear', 'clear', 'bed cleared'));
        return list;
      }
      default: return [];
    }
  }

  // What the tools hold, as the server writes it (pages::loads_text).
  function loadsText(loads) {
    const one = (l) => (l.material ? [l.material, l.colour].filter(Boolean).join(' · ') : '—');
    if (!loads || !loads.length) return 'nothing recorded';
    return loads.length === 1 ? one(loads[0]) : loads.map((l, i) => `T${i} ${one(l)}`).join(', ');
  }

  function fillDynamic(body, p) {
    const job = p.job;
    const progress = body.querySelector('progress');
    if (progress && job) {
      const fraction = job.progress || 0;
      progress.value = fraction;
      body.querySelector('.pct').textContent = `${Math.round(fraction * 100)} %`;
      body.querySelector('.eta').textContent = job.eta_s ? `ETA ${duration(job.eta_s)}` : '';
    }
    const temps = p.temperatures.map((t) => `${HEATERS[t.heater] || t.heater} ${Math.round(t.actual_c)}/${Math.round(t.target_c)} °C`);
    body.querySelector('.temps').textContent = temps.length ? temps.join(' · ') : 'No temperatures yet';
  }

  function renderTile(tile, p, refresh) {
    const loaded = tile.querySelector('.loaded');
    const words = loadsText(p.loaded);
    if (loaded && loaded.textContent !== words) loaded.textContent = words;
    const job = p.job ? jobs.get(p.job.id) : null;
    const due = p.maintenance && p.maintenance.service_due ? p.maintenance.reason : null;
    const signature = JSON.stringify([p.state, p.job && p.job.id, !!job, p.last_error, p.bed_full_since, due]);
    tile.dataset.state = p.state;
    let body = tile.querySelector('.tile-body');
    if (tile.dataset.signature !== signature) {
      tile.dataset.signature = signature;
      const lines = [el('p', { class: `state state-${p.state}` }, el('span', { class: 'dot', 'aria-hidden': 'true' }), STATE_WORDS[p.state] || p.state)];
      if (p.job) {
        const parts = [`Job …${short(p.job.id)}`];
        if (job && job.order_id) parts.push(`order …${short(job.order_id)}, unit ${job.unit_index + 1}`);
        lines.push(el('p', { class: 'job' }, parts.join(' · ')));
        if (job && job.personalisation) lines.push(el('p', { class: 'personal' }, `“${personal(job.personalisation)}”`));
        lines.push(el('div', { class: 'progress' }, el('progress', { max: '1', value: '0', 'aria-label': `Progress on ${p.name}` }), el('span', { class: 'pct' })));
        lines.push(el('p', { class: 'eta' }));
      }
      lines.push(el('p', { class: 'temps' }));
      if (p.last_error) lines.push(el('p', { class: 'error' }, `Last error: ${p.last_error}`));
      if (due) lines.push(el('p', { class: 'error' }, `Service due: ${due}`));
      lines.push(el('div', { class: 'actions' }, printerActions(p, refresh)));
      const fresh = el('div', { class: 'tile-body' }, lines);
      body.replaceWith(fresh);
      body = fresh;
    }
    fillDynamic(body, p);
  }

  // The tile's "Change material" form: records what a technician loaded;
  // a refusal is said in the form, naming the field when the API does.
  function materialForm(form, refresh) {
    const error = form.querySelector('.form-error');
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const printer = form.dataset.printer;
      const data = new FormData(form);
      const body = { material: String(data.get('material') || '') };
      const colour = String(data.get('colour') || '').trim();
      if (colour) body.colour = colour;
      if (data.has('tool')) body.tool = Number(data.get('tool'));
      error.textContent = '';
      for (const field of form.querySelectorAll('[aria-invalid]')) field.removeAttribute('aria-invalid');
      try {
        await api('POST', `/api/printers/${encodeURIComponent(printer)}/material`, body);
        say(`${printer}: ${loadsText([{ material: body.material.trim(), colour: body.colour }])} recorded`);
        form.reset();
        form.closest('details').open = false;
        refresh();
      } catch (refusal) {
        if (refusal.message === 'signed out') return;
        const field = refusal.field && ['material', 'colour', 'tool'].includes(refusal.field) ? form.elements[refusal.field] : null;
        error.textContent = field ? `${refusal.field}: ${refusal.message}` : refusal.message;
        if (field) { field.setAttribute('aria-invalid', 'true'); field.focus(); }
      }
    });
  }

  function farmPage() {
    const section = document.getElementById('tiles');
    const refresh = refresher(async () => {
      const printers = await api('GET', '/api/printers');
      const missing = printers.filter((p) => p.job && !jobs.has(p.job.id));
      await Promise.all(missing.map((p) => api('GET', `/api/jobs/${encodeURIComponent(p.job.id)}`)
        .then((job) => jobs.set(p.job.id, job)).catch(() => {})));
      const sorted = [...printers].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
      const tiles = new Map([...section.querySelectorAll('.tile')].map((t) => [t.dataset.printer, t]));
      for (const p of sorted) { const tile = tiles.get(p.name); if (tile) renderTile(tile, p, refresh); }
      const order = sorted.map((p) => p.name).filter((n) => tiles.has(n));
      const now = [...section.querySelectorAll('.tile')].map((t) => t.dataset.printer);
      // Tiles move only while nobody is typing in one (a move loses focus).
      const typing = document.activeElement && document.activeElement.closest && document.activeElement.closest('form.load');
      if (!typing && order.join('\n') !== now.join('\n')) for (const name of order) section.append(tiles.get(name));
      section.dataset.loaded = 'true';
    });
    for (const form of section.querySelectorAll('form.load')) materialForm(form, refresh);
    follow(refresh);
    // Progress and temperatures arrive every second as `printers` events;
    // refreshing on them keeps tiles within a second of the farm.
  }

  // ---- tasks -----------------------------------------------------------
  const TASK_WORDS = { bed_clear: 'Clear the bed', material_change: 'Change material', maintenance: 'Service' };
  const taskKey = (t) => `${t.kind}:${t.printer}:${t.job || ''}`;
  const waited = (t) => (Date.now() - t.since < 60000 ? 'under a minute' : duration((Date.now() - t.since) / 1000));

  // "now", or when someone is next on shift, in the farm's zone ("from Mon 08:00").
  function workable(ms, zone) {
    if (!ms || ms <= Date.now()) return 'now';
    const options = { weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
    if (ms - Date.now() > 6 * 86400000) Object.assign(options, { day: 'numeric', month: 'short' });
    let format;
    try { format = new Intl.DateTimeFormat([], { ...options, timeZone: zone }); } catch (_) { format = new Intl.DateTimeFormat([], options); }
    return `from ${format.format(new Date(ms))}`;
  }

  function taskRow(task, zone, refresh) {
    const word = TASK_WORDS[task.kind] || task.kind;
    const action = task.action || {};
    const done = el('button', { type: 'button', class: 'done', 'aria-label': `Done: ${word} on ${task.printer}` }, 'Done');
    done.addEventListener('click', async () => {
      // Only the API's own printer actions are sent.
      if (action.method !== 'POST' || !String(action.path).startsWith('/api/printers/')) { say('Refused: unknown action'); return; }
      done.disabled = true;
      const ok = await act('POST', action.path, `${task.printer}: ${word.toLowerCase()} done`, action.body ?? undefined);
      if (!ok) done.disabled = false;
      refresh();
    });
    const later = task.workable_from > Date.now();
    return el('tr', { 'data-task': taskKey(task), 'data-kind': task.kind, 'data-printer': task.printer },
      el('td', {}, el('span', { class: `badge task-${task.kind}` }, word)),
      el('td', {}, task.printer),
      el('td', {}, task.reason, task.job ? el('div', { class: 'meta' }, `Job …${short(task.job)}`) : null),
      el('td', { class: 'waited' }, waited(task)),
      el('td', { class: later ? 'later' : '' }, workable(task.workable_from, zone)),
      el('td', { class: 'actions' }, done));
  }

  function tasksPage() {
    const table = document.getElementById('tasks');
    const body = table.querySelector('tbody');
    const zone = table.dataset.timezone || undefined;
    let signature = '';
    const refresh = refresher(async () => {
      const { tasks } = await api('GET', '/api/tasks');
      const next = JSON.stringify(tasks.map((t) => [taskKey(t), t.reason, t.workable_from]));
      if (next === signature) {
        for (const t of tasks) { const cell = body.querySelector(`tr[data-task="${CSS.escape(taskKey(t))}"] .waited`); if (cell) cell.textContent = waited(t); }
        return;
      }
      signature = next;
      const focused = document.activeElement && document.activeElement.closest('tr[data-task]');
      const key = focused && body.contains(focused) ? focused.dataset.task : null;
      body.replaceChildren(...(tasks.length ? tasks.map((t) => taskRow(t, zone, refresh)) : [el('tr', {}, el('td', { colspan: '6' }, 'Nothing to do.'))]));
      const again = key && body.querySelector(`tr[data-task="${CSS.escape(key)}"] button`);
      if (again) again.focus(); else if (key) main.focus();
      table.dataset.loaded = 'true';
    });
    // Tasks follow printer states; the printers event (every second) only
    // asks again when a state, bed, service or load changed, and a slow poll
    // picks up material changes the scheduler asks for and the waiting times.
    let printers = '';
    follow(refresh, (event) => {
      let next = '';
      try { next = JSON.stringify(JSON.parse(event.data).map((p) => [p.name, p.state, p.bed_full_since, p.maintenance && p.maintenance.service_due, p.loaded])); } catch (_) { next = ''; }
      if (next !== printers) { printers = next; refresh(); }
    });
    setInterval(refresh, 5000);
  }

  // ---- queue -----------------------------------------------------------
  const files = new Map();
  function estimate(fileId) {
    const file = files.get(fileId);
    const analysis = file && file.analysis;
    if (!analysis) return null;
    return analysis.estimated_time_s ?? (analysis.slicer && analysis.slicer.estimated_time_s) ?? null;
  }
  function queueOrder(a, b) {
    const waiting = (j) => (j.state === 'queued' ? 0 : 1);
    return waiting(a) - waiting(b) || b.priority - a.priority
      || (a.due_at ?? Infinity) - (b.due_at ?? Infinity) || a.created_at - b.created_at || a.id.localeCompare(b.id);
  }

  function queueRow(job, refresh) {
    const id = encodeURIComponent(job.id);
    const actions = [];
    if (farmRole) {
      const input = el('input', { type: 'number', value: String(job.priority), 'aria-label': `Priority of job …${short(job.id)}`, class: 'priority' });
      const set = el('button', { type: 'button' }, 'Set');
      set.addEventListener('click', () => act('POST', `/api/jobs/${id}/priority`, 'Priority changed', { priority: Number(input.value) || 0 }).then(refresh));
      actions.push(el('span', { class: 'setprio' }, input, set));
      if (job.state === 'queued') actions.push(el('button', { type: 'button', onclick: () => act('POST', `/api/jobs/${id}/hold`, 'Job held').then(refresh) }, 'Hold'));
      if (job.state === 'held' || job.state === 'needs_review') actions.push(el('button', { type: 'button', onclick: () => act('POST', `/api/jobs/${id}/release`, 'Job released').then(refresh) }, 'Release'));
      actions.push(confirmButton('Cancel', 'Cancel this job?', () => act('POST', `/api/jobs/${id}/cancel`, 'Job cancelled').then(refresh)));
    }
    const late = job.due_at && job.due_at < Date.now();
    return el('tr', { 'data-job': job.id },
      el('td', {}, `…${short(job.id)}`, job.personalisation ? el('div', { class: 'personal' }, personal(job.personalisation)) : null),
      el('td', {}, el('span', { class: `badge job-${job.state}` }, job.state.replace('_', ' '))),
      el('td', {}, job.priority),
      el('td', { class: late ? 'late' : '' }, when(job.due_at), late ? ' (late)' : ''),
      el('td', {}, [job.material, job.colour].filter(Boolean).join(' · ') || 'any'),
      el('td', {}, duration(estimate(job.file_id))),
      el('td', { class: 'able' }, job.printers_able ? (job.printers_able.join(', ') || 'none') : '—'),
      el('td', { class: 'actions' }, actions.length ? actions : '—'));
  }

  function queuePage() {
    const body = document.querySelector('#queue tbody');
    let signature = '';
    const refresh = refresher(async () => {
      const list = await api('GET', '/api/jobs?state=queued,held,rendering,needs_review&limit=1000');
      const unknown = [...new Set(list.map((j) => j.file_id).filter((f) => f && !files.has(f)))];
      await Promise.all(unknown.map((f) => api('GET', `/api/files/${encodeURIComponent(f)}`).then((file) => files.set(f, file)).catch(() => files.set(f, null))));
      list.sort(queueOrder);
      const next = JSON.stringify(list.map((j) => [j.id, j.state, j.priority]));
      if (next === signature || body.contains(document.activeElement)) return;
      signature = next;
      body.replaceChildren(...(list.length ? list.map((j) => queueRow(j, refresh)) : [el('tr', {}, el('td', { colspan: '8' }, 'Nothing waiting.'))]));
    });
    follow(refresh);
  }

  // ---- orders ----------------------------------------------------------
  const ORDER_WORDS = { queued: 'Queued', in_progress: 'In progress', completed: 'Completed', failed: 'Failed', cancelled: 'Cancelled' };
  const open = new Set();

  const openOrder = (order) => ['queued', 'in_progress'].includes(order.status);
  // Late once due has passed; at risk when the farm's forecast misses it.
  function dueNote(order) {
    if (!openOrder(order)) return null;
    if (order.due_at && order.due_at < Date.now()) return el('span', { class: 'badge late' }, 'Late');
    if (order.at_risk) return el('span', { class: 'badge risk' }, 'At risk');
    return null;
  }
  function estimateNote(order) {
    if (!openOrder(order)) return '';
    return order.estimated_completion ? ` · estimated ${when(order.estimated_completion)}` : ' · no estimate yet';
  }

  async function unitsOf(order, holder) {
    const units = await api('GET', `/api/jobs?order_id=${encodeURIComponent(order.id)}&limit=1000`);
    units.sort((a, b) => (a.order_item_id || '').localeCompare(b.order_item_id || '') || a.unit_index - b.unit_index);
    holder.replaceChildren(el('ul', { class: 'units' }, units.map((u) => el('li', { 'data-job': u.id, 'data-state': u.state },
      `Unit ${u.unit_index + 1}`, u.personalisation ? ` “${personal(u.personalisation)}”` : '', ' — ',
      el('span', { class: `badge job-${u.state}` }, u.state.replace('_', ' ')), u.printer ? ` on ${u.printer}` : ''))));
  }

  function orderCard(order) {
    const title = order.external_id || `Order …${short(order.id)}`;
    const units = el('div', { class: 'unit-list' });
    const toggle = el('button', { type: 'button', 'aria-expanded': String(open.has(order.id)) }, 'Units');
    toggle.addEventListener('click', () => {
      if (open.has(order.id)) { open.delete(order.id); units.replaceChildren(); toggle.setAttribute('aria-expanded', 'false'); return; }
      open.add(order.id); toggle.setAttribute('aria-expanded', 'true');
      unitsOf(order, units).catch((e) => say(e.message));
    });
    if (open.has(order.id)) unitsOf(order, units).catch((e) => say(e.message));
    const items = order.items.map((item, i) => el('li', {},
      el('span', { class: 'item-name' }, item.sku || `Line ${i + 1}`),
      el('progress', { max: String(item.total), value: String(item.done), 'aria-label': `${title} line ${i + 1}: ${item.done} of ${item.total} done` }),
      el('span', {}, `${item.done}/${item.total} done`, item.in_progress ? `, ${item.in_progress} printing` : '', item.failed ? `, ${item.failed} failed` : '')));
    const risky = openOrder(order) && order.at_risk;
    return el('article', { class: risky ? 'order at-risk' : 'order', 'data-order': order.id, 'data-status': order.status, 'data-at-risk': String(risky) },
      el('header', {}, el('h2', {}, title), el('span', { class: `badge order-${order.status}` }, ORDER_WORDS[order.status] || order.status), dueNote(order)),
      el('p', { class: 'meta' }, order.customer_ref ? `For ${order.customer_ref} · ` : '', `Due ${when(order.due_at)}`, estimateNote(order), ` · placed ${when(order.created_at)}`),
      el('ul', { class: 'items' }, items), toggle, units);
  }

  function ordersPage() {
    const holder = document.getElementById('orders');
    let signature = '';
    const refresh = refresher(async () => {
      const list = await api('GET', '/api/orders?limit=200');
      const next = JSON.stringify(list);
      if (next === signature && !open.size) return;
      signature = next;
      if (holder.contains(document.activeElement) && !open.size) return;
      holder.replaceChildren(...(list.length ? list.map(orderCard) : [el('p', {}, 'No orders yet.')]));
      holder.dataset.loaded = 'true';
    });
    follow(refresh);
  }

  // ---- upload ----------------------------------------------------------
  function uploadPage() {
    const form = document.getElementById('upload');
    const input = document.getElementById('file');
    const result = document.getElementById('uploaded');
    async function send(file) {
      if (!file) { say('Choose a file first.'); return; }
      const data = new FormData();
      data.append('file', file, file.name);
      say(`Uploading ${file.name}…`);
      try {
        const uploaded = await api('POST', '/api/files', data);
        files.set(uploaded.id, uploaded);
        const quantity = el('input', { type: 'number', min: '1', value: '1', id: 'quantity' });
        const queue = el('button', { type: 'button' }, 'Queue');
        queue.addEventListener('click', () => act('POST', '/api/jobs', 'Queued', { file_id: uploaded.id, quantity: Number(quantity.value) || 1 }));
        result.replaceChildren(el('p', {}, `Uploaded ${uploaded.original_name} (…${short(uploaded.id)}), estimated ${duration(estimate(uploaded.id))}.`),
          el('p', { class: 'queue-form' }, el('label', { for: 'quantity' }, 'Copies '), quantity, queue));
        say(`Uploaded ${file.name}`);
      } catch (error) { say(`Upload refused: ${error.message}`); }
    }
    form.addEventListener('submit', (e) => { e.preventDefault(); send(input.files[0]); });
    form.addEventListener('dragover', (e) => { e.preventDefault(); form.classList.add('over'); });
    form.addEventListener('dragleave', () => form.classList.remove('over'));
    form.addEventListener('drop', (e) => { e.preventDefault(); form.classList.remove('over'); send(e.dataTransfer.files[0]); });
  }

  // ---- start -----------------------------------------------------------
  const signout = document.getElementById('signout');
  if (signout) {
    signout.addEventListener('click', async () => {
      leaving = true;
      for (let waited = 0; inFlight > 0 && waited < 2000; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      try { await api('POST', '/session/end'); } catch (_) { /* signed out either way */ }
      location.assign('/');
    });
  }
  const pages = { farm: farmPage, tasks: tasksPage, queue: queuePage, orders: ordersPage, upload: uploadPage };
  if (page && pages[page]) pages[page]();
}());
