// SPDX-License-Identifier: GPL-2.0
// app.js - the farm page: subscribes to the farm over /ws
// (subscribe_farm, then "farm" notifications), renders places, queue and
// recent reservations, reconnects after a server restart. Everything that
// came from a peer goes into the page as text (textContent), never HTML.
'use strict';

(function () {
	const TOKEN_KEY = 'nmb-token';
	const $ = (id) => document.getElementById(id);
	let ws = null;
	let farm = null;		// the last snapshot
	let you = null;			// {user, roles} from subscribe_farm
	let skew = 0;			// local clock minus the server's
	let retryMs = 500;
	let opened = false;
	let refused = false;
	let nextId = 1;
	const calls = new Map();	// id -> callback(error, result)

	// --- little DOM helpers: text only --------------------------------

	function el(tag, cls, text) {
		const e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text !== undefined && text !== null)
			e.textContent = String(text);
		return e;
	}

	function add(parent, ...children) {
		for (const c of children)
			if (c)
				parent.appendChild(c);
		return parent;
	}

	function clear(e) {
		while (e.firstChild)
			e.removeChild(e.firstChild);
	}

	function duration(ms) {
		let s = Math.max(0, Math.round(ms / 1000));
		if (s < 60)
			return s + ' s';
		let m = Math.floor(s / 60);
		if (m < 60)
			return m + ' min';
		const h = Math.floor(m / 60);
		m %= 60;
		if (h < 48)
			return h + ' h' + (m ? ' ' + m + ' min' : '');
		return Math.floor(h / 24) + ' d ' + (h % 24) + ' h';
	}

	function serverNow() {
		return Date.now() - skew;
	}

	function ago(ms) {
		return duration(serverNow() - ms) + ' ago';
	}

	function clock(ms) {
		return new Date(ms + skew).toLocaleString();
	}

	function who(h) {
		return h.user + ' (' + h.ip + ')';
	}

	function isAdmin() {
		return you && you.roles.indexOf('admin') >= 0;
	}

	// --- status and errors ----------------------------------------------

	function setStatus(text, cls) {
		const s = $('status');
		s.textContent = text;
		s.className = 'pill ' + (cls || '');
	}

	function showError(text) {
		const e = $('error');
		e.textContent = text || '';
		e.hidden = !text;
	}

	function showLogin(why) {
		$('login-why').textContent = why;
		$('login').hidden = false;
		$('token').focus();
	}

	// --- the WebSocket ----------------------------------------------------

	function hex(s) {
		return Array.from(new TextEncoder().encode(s),
			(b) => b.toString(16).padStart(2, '0')).join('');
	}

	function send(method, params, done) {
		const id = nextId++;
		if (done)
			calls.set(id, done);
		ws.send(JSON.stringify({jsonrpc: '2.0', id: id, method: method,
			params: params || {}}));
	}

	function onMessage(ev) {
		let msg;
		try {
			const text = typeof ev.data === 'string' ? ev.data :
				new TextDecoder().decode(ev.data);
			msg = JSON.parse(text);
		} catch (e) {
			return;
		}
		if (msg.method === 'farm' && msg.params) {
			update(msg.params);
			return;
		}
		if (msg.id !== undefined && calls.has(msg.id)) {
			const done = calls.get(msg.id);
			calls.delete(msg.id);
			done(msg.error || null, msg.result);
		}
	}

	function subscribed(err, result) {
		if (err) {
			refused = true;
			setStatus('refused', 'bad');
			showError('The server refused this page: ' + err.message);
			showLogin('This token may not view the farm. Give a token with the viewer role.');
			ws.close();
			return;
		}
		you = result.you;
		$('who').textContent = you.user ? 'as ' + you.user +
			(isAdmin() ? ' (admin)' : '') : '';
		showError('');
		$('login').hidden = true;
		retryMs = 500;
		setStatus('live', 'good');
		update(result);
	}

	async function tokensNeeded() {
		try {
			const r = await fetch('web-info.json', {cache: 'no-store'});
			return (await r.json()).tokens === true;
		} catch (e) {
			return null;	// the server is not there
		}
	}

	async function connect() {
		const token = sessionStorage.getItem(TOKEN_KEY);
		const need = await tokensNeeded();
		if (need && !token) {
			setStatus('no token', 'bad');
			showLogin('Give a token with the viewer role (or importer, or admin). It is kept in this tab only (session storage).');
			return;
		}
		const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') +
			location.host + '/ws';
		const protocols = ['nmb'];
		if (token)
			protocols.push('nmb-bearer.' + hex(token));
		opened = false;
		refused = false;
		try {
			ws = new WebSocket(url, protocols);
		} catch (e) {
			retry();
			return;
		}
		ws.binaryType = 'arraybuffer';
		ws.onopen = () => {
			opened = true;
			send('subscribe_farm', {}, subscribed);
		};
		ws.onmessage = onMessage;
		ws.onclose = async () => {
			calls.clear();
			if (refused)
				return;
			if (!opened && token && await tokensNeeded()) {
				sessionStorage.removeItem(TOKEN_KEY);
				setStatus('refused', 'bad');
				showLogin('The server did not accept this token. Give another one.');
				return;
			}
			retry();
		};
	}

	function retry() {
		setStatus('reconnecting', 'warn');
		setTimeout(connect, retryMs);
		retryMs = Math.min(retryMs * 2, 5000);
	}

	// --- rendering ----------------------------------------------------------

	function tagsOf(place) {
		const tags = [];
		for (const part of place.parts || [])
			for (const t of part.compatible || [])
				tags.push(t);
		return tags;
	}

	function matches(place, q) {
		if (!q)
			return true;
		q = q.toLowerCase();
		return place.name.toLowerCase().includes(q) ||
			tagsOf(place).some((t) => t.toLowerCase().includes(q));
	}

	function stateOf(place) {
		if (!place.connected)
			return ['offline', 'bad'];
		if (!place.holder)
			return ['free', 'good'];
		if (place.holder.granting)
			return ['granting', 'warn'];
		return ['reserved', 'busy'];
	}

	function forceReturn(place, button) {
		if (!confirm('Force-return ' + place.name + ' from ' +
			     place.holder.user + '?'))
			return;
		button.disabled = true;
		send('return_reservation', {place_id: place.id, force: true},
		     (err) => {
			button.disabled = false;
			if (err)
				showError('Force return of ' + place.name +
					  ' failed: ' + err.message);
		});
	}

	function partsList(place) {
		const list = el('ul', 'parts');
		(place.parts || []).forEach((part, i) => {
			const li = el('li', 'part');
			const tags = el('div', 'tags');
			for (const t of part.compatible || [])
				add(tags, el('span', 'tag', t));
			add(li, el('span', 'part-no', 'part ' + (i + 1)), tags);
			const ifs = el('div', 'ifaces');
			for (const [name, u] of Object.entries(part.usb || {}))
				add(ifs, el('span', 'iface usb',
					    name + ' USB ' + u.usbid));
			for (const [name, t] of Object.entries(part.tcp || {}))
				add(ifs, el('span', 'iface tcp', name + ' TCP ' +
					    t.host + ':' + t.port));
			add(li, ifs);
			add(list, li);
		});
		return list;
	}

	function holderLine(place) {
		const h = place.holder;
		if (!h)
			return el('div', 'holder free', 'nobody holds it');
		const d = el('div', 'holder');
		if (h.granting) {
			d.textContent = 'being granted to ' + who(h);
			return d;
		}
		add(d, el('span', 'holder-who', who(h)),
		    el('span', 'muted', ' since ' + duration(serverNow() -
				h.since)));
		if (h.lease_end)
			add(d, el('span', 'muted', ', lease ends in ' +
				   duration(h.lease_end - serverNow())));
		if (!h.connected)
			add(d, el('span', 'warn-text', ' (holder offline)'));
		return d;
	}

	function exporterLine(place) {
		const d = el('div', 'exporter');
		add(d, el('span', 'muted', 'exporter '), el('span', 'host',
								place.host));
		if (place.connected) {
			add(d, el('span', 'good-text', ' connected'));
		} else {
			add(d, el('span', 'bad-text', ' offline, last seen ' +
				   ago(place.last_seen)));
			if (place.grace_end)
				add(d, el('span', 'muted', ', kept for ' +
					   duration(place.grace_end -
						    serverNow())));
		}
		return d;
	}

	function placeCard(place) {
		const [state, cls] = stateOf(place);
		const card = el('article', 'card ' + cls);
		card.dataset.placeId = String(place.id);
		const head = el('div', 'card-head');
		const a = el('a', 'place-name', place.name);
		a.href = '#place=' + encodeURIComponent(place.name);
		add(head, a, el('span', 'pill ' + cls, state));
		add(card, head, holderLine(place), exporterLine(place),
		    partsList(place));
		if (isAdmin() && place.holder && !place.holder.granting) {
			const b = el('button', 'force', 'Force return');
			b.type = 'button';
			b.addEventListener('click', () => forceReturn(place, b));
			add(card, b);
		}
		return card;
	}

	function renderSummary() {
		const s = $('summary');
		clear(s);
		const n = farm.places.length;
		const free = farm.places.filter((p) => p.connected &&
						 !p.holder).length;
		const off = farm.places.filter((p) => !p.connected).length;
		const items = [['places', n], ['free', free],
			       ['reserved', farm.places.filter((p) =>
					p.holder).length],
			       ['offline', off], ['waiting', farm.queue_length]];
		for (const [label, v] of items)
			add(s, add(el('div', 'stat'), el('b', null, v),
				   el('span', null, label)));
	}

	function renderQueue(tbody, queue) {
		clear(tbody);
		for (const w of queue) {
			const tr = el('tr');
			let cands = w.candidates.join(', ');
			if (w.candidate_count > w.candidates.length)
				cands += ' and ' + (w.candidate_count -
					w.candidates.length) + ' more';
			add(tr, el('td', null, w.position), el('td', null, who(w)),
			    el('td', null, duration(serverNow() - w.since)),
			    el('td', null, w.priority), el('td', null, cands));
			add(tbody, tr);
		}
	}

	function renderRecent(tbody, recent) {
		clear(tbody);
		for (const r of recent) {
			const tr = el('tr');
			add(tr, el('td', null, r.place), el('td', null, who(r)),
			    el('td', null, duration(r.until - r.since)),
			    el('td', 'ended ' + r.ended.replace(/\W/g, '-'),
			       r.ended),
			    el('td', null, ago(r.until)));
			add(tbody, tr);
		}
	}

	function renderDetail(name) {
		const d = $('detail');
		clear(d);
		const place = farm.places.find((p) => p.name === name);
		const back = el('a', 'back', '\u2190 all places');
		back.href = '#';
		add(d, back);
		if (!place) {
			add(d, el('p', 'muted', 'No place named ' + name +
				  ' is registered now.'));
			return;
		}
		add(d, placeCard(place));
		const facts = el('dl', 'facts');
		const fact = (k, v) => add(facts, el('dt', null, k),
					   el('dd', null, v));
		fact('id', place.id);
		fact('exporter', place.host + (place.connected ? ' (connected)' :
			' (offline since ' + clock(place.last_seen) + ')'));
		if (place.holder && !place.holder.granting) {
			fact('held by', who(place.holder));
			fact('since', clock(place.holder.since));
			fact('lease ends', place.holder.lease_end ?
			     clock(place.holder.lease_end) : 'never');
		}
		for (const s of place.power || [])
			fact('part ' + s.part + ' power', s.power +
			     (s.since ? ' since ' + clock(s.since) : '') +
			     (s.reason ? ': ' + s.reason : ''));
		fact('tags', tagsOf(place).join(', ') || 'none');
		add(d, facts);
		add(d, el('h3', null, 'Waiting for it'));
		add(d, table(['#', 'Who', 'Waiting', 'Priority', 'Candidates'],
			     farm.queue.filter((w) =>
				w.candidates.indexOf(name) >= 0),
			     renderQueue, 'Nobody is waiting for it.'));
		add(d, el('h3', null, 'Its recent reservations'));
		add(d, table(['Place', 'Who', 'Held', 'Ended', 'When'],
			     farm.recent.filter((e) => e.place === name),
			     renderRecent, 'No recent reservation.'));
	}

	// A table with a head, filled by fill(tbody, rows); or a note.
	function table(heads, rows, fill, none) {
		if (!rows.length)
			return el('p', 'muted', none);
		const t = el('table');
		const tr = el('tr');
		for (const h of heads)
			add(tr, el('th', null, h));
		add(t, add(el('thead'), tr));
		const body = el('tbody');
		fill(body, rows);
		add(t, body);
		return add(el('div', 'scroll'), t);
	}

	function detailName() {
		const m = /^#place=(.*)$/.exec(location.hash);
		if (!m)
			return null;
		try {
			return decodeURIComponent(m[1]);
		} catch (e) {
			return null;
		}
	}

	function render() {
		if (!farm)
			return;
		renderSummary();
		const name = detailName();
		$('detail').hidden = name === null;
		$('farm').hidden = name !== null;
		if (name !== null) {
			renderDetail(name);
			return;
		}
		clear($('detail'));
		const q = $('filter').value.trim();
		const list = $('places');
		clear(list);
		let shown = 0;
		for (const p of farm.places) {
			if (!matches(p, q))
				continue;
			add(list, placeCard(p));
			shown++;
		}
		$('no-places').hidden = shown > 0;
		renderQueue($('queue').tBodies[0], farm.queue);
		$('queue-empty').hidden = farm.queue.length > 0;
		renderRecent($('recent').tBodies[0], farm.recent);
		$('recent-empty').hidden = farm.recent.length > 0;
	}

	function update(snapshot) {
		farm = snapshot;
		skew = Date.now() - snapshot.now;
		render();
	}

	// --- start ----------------------------------------------------------------

	document.addEventListener('DOMContentLoaded', () => {
		$('login').addEventListener('submit', (ev) => {
			ev.preventDefault();
			const t = $('token').value.trim();
			if (!t)
				return;
			sessionStorage.setItem(TOKEN_KEY, t);
			$('token').value = '';
			$('login').hidden = true;
			showError('');
			if (ws)
				ws.onclose = null;
			if (ws)
				ws.close();
			connect();
		});
		$('filter').addEventListener('input', render);
		window.addEventListener('hashchange', render);
		setInterval(render, 1000);	// the durations move on
		connect();
	});
}());
