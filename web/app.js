// The explorer page: loads the pieces from motif serve's API, draws the map, and opens a piece (stored or
// uploaded) in the side panel with its roll, playback, nearest pieces and continuation. The API is the
// only source of data; map.js, roll.js and player.js draw, show and sound it.
import { createMap } from './map.js';
import { createPlayer } from './player.js';
import { createRoll } from './roll.js';

const $ = (id) => document.getElementById(id);
const api = async (path, init) => {
  const res = await fetch(path, init);
  if (!res.ok) throw new Error((await res.json().catch(() => ({}))).error ?? `${res.status} ${res.statusText}`);
  return res;
};
const midiPost = (path, bytes) => api(path, { method: 'POST', headers: { 'Content-Type': 'audio/midi' }, body: bytes });
const pieceUrl = (id, what) => `api/pieces/${encodeURIComponent(id)}/${what}`;
// ASAP titles use underscores for spaces (Piano_Sonatas_12-3): shown with spaces.
const label = (p) => `${p.composer ?? 'unknown composer'}: ${(p.title ?? p.piece ?? p.id).replaceAll('_', ' ')}`;

const health = await (await api('api/health')).json();
const { pieces, colors } = await (await api('api/pieces')).json();
const byId = new Map(pieces.map((p, i) => [p.id, { ...p, index: i }]));
$('summary').textContent = `${pieces.length} performances, ${new Set(pieces.map((p) => p.piece)).size} pieces`;

const tooltip = $('tooltip');
const map = createMap($('map'), [...byId.values()], {
  onHover(p, event) {
    if (!p) {
      tooltip.hidden = true;
      return;
    }
    tooltip.hidden = false;
    tooltip.innerHTML = '';
    const lines = [
      label(p),
      [p.performer && `performer ${p.performer}`, p.key, p.form].filter(Boolean).join(' · '),
      `${p.split ?? ''} · ${Math.round(p.duration)} s · ${p.notes} notes`,
    ];
    for (const [i, text] of lines.entries())
      tooltip.append(Object.assign(document.createElement(i === 0 ? 'strong' : 'div'), { textContent: text }));
    const box = $('map-pane').getBoundingClientRect();
    tooltip.style.left = `${Math.min(event.clientX - box.left + 14, box.width - 260)}px`;
    tooltip.style.top = `${event.clientY - box.top + 14}px`;
  },
  onClick: (p) => openStored(p.id),
});

// Colours and the legend: the server groups each field (largest groups first, the rest "other").
let field = 'composer';
const hidden = new Set();
let query = '';
const groupOf = (p) => colors[field].names[colors[field].of[p.index]];
const visible = (p) =>
  !hidden.has(groupOf(p)) &&
  (!query || [p.title, p.composer, p.performer, p.piece, p.id].some((s) => s && s.toLowerCase().includes(query)));
const refresh = () => map.filter(visible);
function recolor() {
  const c = colors[field];
  map.color((p) => c.colors[c.of[p.index]]);
  hidden.clear();
  $('legend-title').textContent = field;
  const list = $('legend');
  list.innerHTML = '';
  const counts = new Map();
  for (const i of c.of) counts.set(i, (counts.get(i) ?? 0) + 1);
  c.names.forEach((name, i) => {
    const li = document.createElement('li');
    li.innerHTML = `<span class="swatch" style="background:${c.colors[i]}"></span>`;
    li.append(`${name} (${counts.get(i) ?? 0})`);
    li.title = 'click to hide or show';
    li.onclick = () => {
      if (hidden.has(name)) hidden.delete(name);
      else hidden.add(name);
      li.classList.toggle('off', hidden.has(name));
      refresh();
    };
    list.append(li);
  });
  refresh();
}
$('color-by').onchange = (e) => {
  field = e.target.value;
  recolor();
};
$('search').oninput = (e) => {
  query = e.target.value.trim().toLowerCase();
  refresh();
};
$('search').onkeydown = (e) => {
  const first = [...byId.values()].find(visible);
  if (e.key === 'Enter' && query && first) openStored(first.id);
};
recolor();

// The open piece: what is shown, played, continued and downloaded.
const roll = createRoll($('roll'));
const player = createPlayer();
let current = null; // { name, notes, midi: Blob, prompt?: seconds where a continuation starts }
let position = 0; // where playback stopped: a continuation starts from here
const status = (text) => void ($('status').textContent = text);

function show(piece, meta) {
  player.stop();
  $('play').textContent = '▶ Play';
  current = piece;
  position = piece.start ?? 0;
  $('piece-empty').hidden = true;
  $('piece').hidden = false;
  $('piece-title').textContent = piece.name;
  $('piece-meta').textContent = meta;
  $('download').href = URL.createObjectURL(piece.midi);
  $('download').download = piece.file;
  $('continue').disabled = !health.generate;
  $('continue').title = health.generate
    ? 'Generate what could come next, with the model'
    : 'no model for continuations (see motif serve)';
  roll.show(piece.notes, { prompt: piece.prompt ?? null, at: piece.start ?? (piece.prompt ? piece.prompt - 5 : 0) });
  status('');
}

function listNeighbours(neighbours, from) {
  const list = $('neighbours');
  list.innerHTML = '';
  for (const n of neighbours) {
    const li = document.createElement('li');
    // A passage's match says where in the piece its window starts, and opens the piece there.
    const where = n.at === undefined ? '' : ` at ${formatTime(n.at)}`;
    const a = Object.assign(document.createElement('a'), { textContent: label(n) + where, title: n.id });
    a.onclick = () => openStored(n.id, n.at);
    li.append(
      a,
      Object.assign(document.createElement('span'), { className: 'distance', textContent: n.distance.toFixed(3) }),
    );
    list.append(li);
  }
  map.select(
    from.id ?? null,
    from.point,
    neighbours
      .map((n) => byId.get(n.id))
      .filter(Boolean)
      .map((p) => [p.x, p.y]),
  );
}

/** Opens a stored piece; `start` (seconds) is where its roll and playback begin (a passage's match). */
async function openStored(id, start) {
  const p = byId.get(id);
  status('loading…');
  try {
    const [notes, midi, similar] = await Promise.all([
      api(pieceUrl(id, 'notes')).then((r) => r.json()),
      api(pieceUrl(id, 'midi')).then((r) => r.blob()),
      api(`${pieceUrl(id, 'similar')}?k=10`).then((r) => r.json()),
    ]);
    show(
      { name: label(p), notes, midi, file: `${id.replaceAll('/', '_')}`, start },
      [p.performer && `performer ${p.performer}`, p.key, p.form, p.split, `${Math.round(p.duration)} s`]
        .filter(Boolean)
        .join(' · '),
    );
    listNeighbours(similar.neighbours, { id, point: [p.x, p.y] });
  } catch (err) {
    status(err.message);
  }
}

/** Embeds an uploaded file and lists its nearest pieces; `match` 'window' takes it as a passage to find. */
async function openUpload(file, match = 'piece') {
  status(`embedding ${file.name}…`);
  $('piece-empty').textContent = `embedding ${file.name}…`;
  try {
    const bytes = await file.arrayBuffer();
    const [notes, similar] = await Promise.all([
      midiPost('api/notes', bytes).then((r) => r.json()),
      midiPost(`api/similar?k=10&match=${match}`, bytes).then((r) => r.json()),
    ]);
    const piece = {
      name: `${file.name} (your file)`,
      notes,
      midi: new Blob([bytes], { type: 'audio/midi' }),
      file: file.name,
    };
    const open = () => {
      const how = match === 'window' ? 'pieces by the passage nearest to it' : 'placed among its nearest pieces';
      show(piece, `${notes.notes.length} notes · ${Math.round(notes.seconds)} s · ${how}`);
      listNeighbours(similar.neighbours, { point: similar.position });
    };
    map.addUpload(similar.position, open);
    open();
  } catch (err) {
    $('piece-empty').textContent = `${file.name}: ${err.message}`;
    status(`${file.name}: ${err.message}`);
  }
}

$('play').onclick = async () => {
  if (!current) return;
  if (player.playing) {
    player.stop();
    $('play').textContent = '▶ Play';
    return;
  }
  $('play').textContent = '■ Stop';
  status('loading piano samples…');
  const from =
    position > 0 && position < current.notes.seconds ? position : current.prompt ? Math.max(0, current.prompt - 5) : 0;
  await player.play(
    current.notes,
    from,
    (t) => {
      position = t;
      roll.playhead(t);
      status(`${formatTime(t)} / ${formatTime(current.notes.seconds)}`);
    },
    () => {
      position = 0;
      $('play').textContent = '▶ Play';
      roll.playhead(null);
    },
  );
};
const formatTime = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

$('continue').onclick = async () => {
  if (!current) return;
  player.stop();
  $('play').textContent = '▶ Play';
  // The prompt is what was heard: up to where playback stopped, or the first 20 s.
  const promptSeconds = position > 2 ? Math.round(position * 10) / 10 : Math.min(20, current.notes.seconds);
  status(`continuing after ${promptSeconds} s…`);
  $('continue').disabled = true;
  try {
    const res = await midiPost(
      `api/generate?seconds=20&prompt_seconds=${promptSeconds}`,
      await current.midi.arrayBuffer(),
    );
    const prompt = Number(res.headers.get('x-motif-prompt-seconds'));
    const midi = await res.blob();
    const notes = await (await midiPost('api/notes', await midi.arrayBuffer())).json();
    show(
      {
        name: `${current.name.replace(/ — continued$/, '')} — continued`,
        notes,
        midi,
        file: 'continuation.mid',
        prompt,
      },
      `the first ${prompt.toFixed(1)} s as heard, then 20 s generated by the model (red)`,
    );
  } catch (err) {
    status(err.message);
  } finally {
    $('continue').disabled = !health.generate;
  }
};

// Uploads: the file chooser, or a file dropped anywhere on the page.
$('upload').onchange = (e) => e.target.files[0] && openUpload(e.target.files[0]);
$('passage').onchange = (e) => e.target.files[0] && openUpload(e.target.files[0], 'window');
$('passage-label').hidden = !health.passages;
let dragDepth = 0;
window.addEventListener('dragenter', (e) => {
  e.preventDefault();
  dragDepth++;
  $('drop-overlay').hidden = false;
});
window.addEventListener('dragleave', () => {
  if (--dragDepth <= 0) $('drop-overlay').hidden = true;
});
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0;
  $('drop-overlay').hidden = true;
  const file = e.dataTransfer?.files[0];
  if (file) openUpload(file);
});
window.addEventListener('resize', () => roll.redraw());
// For tests and the curious: the page's state.
window.motifExplorer = { ready: true, audioState: () => player.state(), position: () => position };
